// Reshape: the target dims must be positive, at most kMaxSampleRank of them,
// and hold exactly as many values as the input.
#include "engine/layers/view/reshape_kind.hpp"

#include "engine/base/field_checks.hpp"
#include "engine/layers/view/view_node.hpp"

namespace gradstream::engine {

namespace {

// No single dim may exceed this (the product is bounded by the input anyway).
constexpr uint32_t kMaxDim = uint32_t{1} << 24;

Result<Shape> validate(const LayerSpecContext& ctx) {
  const auto& dims = ctx.spec.reshape().shape();
  const std::string path = ctx.path + ".reshape.shape";
  if (dims.empty()) return invalid_argument(path + ": must have at least one dimension");
  if (dims.size() > kMaxSampleRank) {
    return invalid_argument(path + ": " + std::to_string(dims.size()) + " dimensions, at most " +
                            std::to_string(kMaxSampleRank));
  }
  Shape out;
  for (int i = 0; i < dims.size(); ++i) {
    if (Status s = check_count(path + "[" + std::to_string(i) + "]", dims[i], 1, kMaxDim);
        !s.ok()) {
      return s;
    }
    out.push_back(dims[i]);
  }
  if (element_count(out) != element_count(ctx.input)) {
    return invalid_argument(path + ": " + shape_text(out) + " holds " +
                            std::to_string(element_count(out)) + " values, the input " +
                            shape_text(ctx.input) + " holds " +
                            std::to_string(element_count(ctx.input)));
  }
  return out;
}

}  // namespace

const LayerKind& reshape_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kReshape, "reshape", validate, no_parameters,
                              build_view};
  return kind;
}

}  // namespace gradstream::engine
