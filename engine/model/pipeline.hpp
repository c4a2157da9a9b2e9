// Pipeline: a Model's layers instantiated for one batch size, with every
// primitive and buffer built up front. The trainer keeps one per batch size it
// meets (training batch, last partial batch, evaluation batches).
#pragma once

#include <memory>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/core/layer.hpp"
#include "engine/model/model.hpp"

namespace gradstream::engine {

class Pipeline {
 public:
  // `training` builds backward primitives and the gradient of the output.
  Pipeline(const Model& model, int64_t batch, bool training, const dnnl::engine& eng);

  int64_t batch() const { return batch_; }
  // Points the input at `batch() x input_features` floats; no copy.
  void set_input(const float* features);
  void forward(const dnnl::stream& stream);
  // Back-propagates diff_output() through every layer into the parameter grads.
  void backward(const dnnl::stream& stream);

  const dnnl::memory& output() const { return output_; }
  float* output_data() const { return static_cast<float*>(output_.get_data_handle()); }
  float* diff_output_data() const { return static_cast<float*>(diff_output_.get_data_handle()); }
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }

 private:
  int64_t batch_;
  dnnl::memory input_;
  dnnl::memory output_;
  dnnl::memory diff_output_;
  std::vector<std::unique_ptr<Layer>> layers_;
};

}  // namespace gradstream::engine
