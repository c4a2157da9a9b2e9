// ViewNode: the model node of flatten and reshape (no parameters).
#pragma once

#include <memory>

#include "engine/core/layer.hpp"
#include "engine/layers/view/view_layer.hpp"

namespace gradstream::engine {

class ViewNode : public LayerNode {
 public:
  ViewNode(std::string name, Shape input, Shape output)
      : LayerNode(std::move(name), std::move(input), std::move(output)) {}

  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& /*options*/,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<ViewLayer>(name(), src, output_shape(), eng);
  }
};

}  // namespace gradstream::engine
