// Model: the network a spec describes, as a list of layer nodes built by the
// layer registry (a Dense with an activation is two nodes) and the trainable
// parameters they own, in the layouts their primitives prefer. Pipelines for
// each batch size are built from it.
#pragma once

#include <deque>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/core/layer.hpp"
#include "engine/core/parameter.hpp"
#include "engine/core/shape.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// The pipeline the parameters' layouts are chosen for: the training batch for
// a trainer, inference otherwise. (oneDNN 2.6 picks the same weight layouts for
// every batch size; another pipeline uses them as they are.)
struct LayoutHint {
  int64_t batch = 1000;
  bool training = false;
};

class Model {
 public:
  // Builds from a validated spec; the seed drives the initializers.
  static Result<std::unique_ptr<Model>> build(const v1::TrainingSpec& spec, const dnnl::engine& eng,
                                              LayoutHint hint = {});

  // One sample in and out, without the batch dimension. The output is [units].
  const Shape& input_shape() const { return input_shape_; }
  int64_t input_features() const { return element_count(input_shape_); }
  int64_t output_units() const { return output_units_; }
  const std::vector<std::unique_ptr<LayerNode>>& nodes() const { return nodes_; }
  // Every trained parameter, in model-file order.
  std::vector<Parameter*> parameters();
  // Everything a model file holds: each node's parameters, then its state.
  std::vector<Parameter*> tensors();
  uint64_t seed() const { return seed_; }
  // True when the spec ends in softmax and the loss (softmax cross-entropy)
  // applies it itself: the training network then stops at the logits.
  bool softmax_fused() const { return softmax_fused_; }

 private:
  Model() = default;

  Shape input_shape_;
  int64_t output_units_ = 0;
  uint64_t seed_ = 0;
  bool softmax_fused_ = false;
  std::deque<Parameter> parameters_;  // deque: nodes keep references as it grows
  std::vector<std::unique_ptr<LayerNode>> nodes_;
};

}  // namespace gradstream::engine
