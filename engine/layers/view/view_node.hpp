// ViewNode: the model node of flatten and reshape (no parameters), and their build.
#pragma once

#include <memory>

#include "engine/core/layer.hpp"
#include "engine/layers/layer_kind.hpp"
#include "engine/layers/view/view_layer.hpp"

namespace gradstream::engine {

class ViewNode : public LayerNode {
 public:
  ViewNode(std::string name, Shape input, Shape output)
      : LayerNode(std::move(name), std::move(input), std::move(output)) {}

  dnnl::memory::desc plan_layouts(const dnnl::memory::desc& src, bool /*training*/,
                                  const dnnl::engine& /*eng*/) override {
    return plain_desc(with_batch(src.data.dims[0], output_shape()));
  }

  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& /*options*/,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<ViewLayer>(name(), src, output_shape(), eng);
  }
};

// The build of flatten and reshape: one view node from the inferred shapes.
inline Status build_view(LayerBuildContext& ctx) {
  ctx.add_node(std::make_unique<ViewNode>(ctx.name, ctx.input, ctx.output));
  return ok_status();
}

}  // namespace gradstream::engine
