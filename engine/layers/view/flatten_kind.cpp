// Flatten: always valid; the output is one dimension holding every value.
#include "engine/layers/view/flatten_kind.hpp"

#include "engine/layers/view/view_node.hpp"

namespace gradstream::engine {

namespace {

Result<Shape> validate(const LayerSpecContext& ctx) { return Shape{element_count(ctx.input)}; }

int64_t count_parameters(const v1::LayerSpec& /*spec*/, const Shape& /*input*/) { return 0; }

Status build(LayerBuildContext& ctx) {
  ctx.add_node(std::make_unique<ViewNode>(ctx.name, ctx.input, ctx.output));
  return ok_status();
}

}  // namespace

const LayerKind& flatten_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kFlatten, "flatten", validate, count_parameters,
                              build};
  return kind;
}

}  // namespace gradstream::engine
