// ModelTensors: a model file's tensors taken in the model's order (layer by
// layer, as Model::tensors() wrote them), each checked for the name and the
// value count the exporter expects where it takes it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/base/status.hpp"
#include "gradstream/v1/model_file.pb.h"

namespace gradstream::engine::onnx_export {

class ModelTensors {
 public:
  explicit ModelTensors(const v1::ModelFile& file) : file_(file) {}

  // The next tensor's values; data_loss naming it ("tensors[3] dense_1/bias")
  // when it is not called `name` or does not hold `count` values.
  Result<std::span<const float>> take(const std::string& name, int64_t count);
  // data_loss when tensors are left over (the spec and the tensors disagree).
  Status check_all_taken() const;

 private:
  const v1::ModelFile& file_;
  int next_ = 0;
};

}  // namespace gradstream::engine::onnx_export
