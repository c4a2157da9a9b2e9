// Flatten: always valid; the output is one dimension holding every value.
#include "engine/layers/view/flatten_kind.hpp"

#include "engine/layers/view/view_node.hpp"

namespace gradstream::engine {

namespace {

Result<Shape> validate(const LayerSpecContext& ctx) { return Shape{element_count(ctx.input)}; }

}  // namespace

const LayerKind& flatten_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kFlatten, "flatten", validate, no_parameters,
                              build_view};
  return kind;
}

}  // namespace gradstream::engine
