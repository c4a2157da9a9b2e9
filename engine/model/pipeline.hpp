// Pipeline: a Model's nodes instantiated for one batch size, with every
// primitive and buffer built up front. The trainer keeps one per batch size it
// meets (training batch, last partial batch, evaluation batches).
// Its edges are plain row-major: the input ([batch, input_shape...], pointed at
// the caller's rows), the output and its gradient ([batch, units]).
#pragma once

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/model/model.hpp"
#include "gradstream/v1/checkpoint.pb.h"

namespace gradstream::engine {

class Pipeline {
 public:
  // `training` builds backward primitives and the gradient of the output;
  // `input_gradient` also back-propagates into the input (diff_input), which
  // training alone skips below the first layer with parameters.
  // `first_row`: the global row of the batch's first row, and
  // `synced_statistics`: the ranks whose batch statistics are summed (both
  // LayerOptions; training only).
  Pipeline(const Model& model, int64_t batch, bool training, const dnnl::engine& eng,
           bool input_gradient = false, int64_t first_row = 0,
           Collective* synced_statistics = nullptr);

  int64_t batch() const { return batch_; }
  // Points the input at `batch() x input_features` floats; no copy.
  void set_input(const float* features);
  void forward(const dnnl::stream& stream);
  // Back-propagates diff_output() through every layer into the parameter grads.
  void backward(const dnnl::stream& stream);

  // [batch, units], plain.
  const dnnl::memory& output() const { return output_rows_.tensor().memory(); }
  float* output_data() const { return output_rows_.tensor().data(); }
  float* diff_output_data() const { return diff_output_.data(); }
  // d(loss)/d(input) after backward(), in the input's shape and plain;
  // only with input_gradient.
  const Tensor& diff_input() const { return diff_input_.tensor(); }
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }

  // Checkpoints: the counters its layers carry between steps (Layer::counters,
  // dropout's), for the layers that keep any.
  v1::PipelineState counters_state() const;
  // OK when `state` is this pipeline's: its batch, the same layers with as
  // many counters each; else invalid_argument naming the field under `path`.
  Status check_counters_state(const v1::PipelineState& state, const std::string& path) const;
  // Restores a state check_counters_state accepted.
  void restore_counters_state(const v1::PipelineState& state);

 private:
  int64_t batch_;
  Tensor input_;
  LayoutConversion output_;  // the last layer's dst, plain ...
  PlainView output_rows_;    // ... seen as [batch, units]
  Tensor diff_output_;
  LayoutConversion diff_input_;
  std::vector<std::unique_ptr<Layer>> layers_;
};

}  // namespace gradstream::engine
