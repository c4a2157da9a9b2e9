// ModelTensors: the model file's tensors in order, checked as they are taken.
#include "engine/onnx/model_tensors.hpp"

namespace gradstream::engine::onnx_export {

Result<std::span<const float>> ModelTensors::take(const std::string& name, int64_t count) {
  const std::string where = "model file: tensors[" + std::to_string(next_) + "]";
  if (next_ >= file_.tensors_size())
    return data_loss(where + ": missing, the spec's model needs a \"" + name + "\" tensor there");
  const v1::Tensor& tensor = file_.tensors(next_++);
  const std::string named = where + " " + tensor.layer() + "/" + tensor.name();
  if (tensor.name() != name) return data_loss(named + ": expected a \"" + name + "\" tensor");
  if (tensor.values_size() != count)
    return data_loss(named + ": has " + std::to_string(tensor.values_size()) +
                     " values, expected " + std::to_string(count));
  return std::span<const float>(tensor.values().data(), static_cast<size_t>(count));
}

Status ModelTensors::check_all_taken() const {
  if (next_ == file_.tensors_size()) return ok_status();
  return data_loss("model file: has " + std::to_string(file_.tensors_size()) +
                   " tensors, the spec's model uses " + std::to_string(next_));
}

}  // namespace gradstream::engine::onnx_export
