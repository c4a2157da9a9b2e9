// Parameters to and from v1::Tensor messages.
#include "engine/core/tensor_message.hpp"

namespace gradstream::engine {

std::string tensor_name(const std::string& layer, const std::string& name) {
  return layer + "/" + name;
}

void write_tensor_message(const Parameter& p, v1::Tensor* out) {
  write_tensor_message(p, p.stored_value(), out);
}

void write_tensor_message(const Parameter& p, const float* like_value, v1::Tensor* out) {
  out->set_layer(p.layer());
  out->set_name(p.name());
  out->clear_shape();
  for (int64_t d : p.shape()) out->add_shape(static_cast<uint32_t>(d));
  out->mutable_values()->Resize(static_cast<int>(p.size()), 0.0F);
  p.read_like_value(like_value, out->mutable_values()->mutable_data());
}

std::optional<std::string> tensor_identity_mismatch(const v1::Tensor& tensor, const Parameter& p,
                                                    const std::string& where) {
  const std::string expected = tensor_name(p.layer(), p.name());
  const std::string found = tensor_name(tensor.layer(), tensor.name());
  if (found != expected) {
    return where + " is \"" + found + "\", the spec's model expects \"" + expected + "\" there";
  }
  const Shape shape(tensor.shape().begin(), tensor.shape().end());
  if (shape != p.shape()) {
    return "tensor \"" + expected + "\": shape " + shape_text(shape) +
           " does not match the model's " + shape_text(p.shape());
  }
  return std::nullopt;
}

std::optional<std::string> tensor_size_mismatch(const v1::Tensor& tensor, const Parameter& p) {
  if (tensor.values_size() == p.size()) return std::nullopt;
  return "tensor \"" + tensor_name(p.layer(), p.name()) + "\": has " +
         std::to_string(tensor.values_size()) + " values, its shape " + shape_text(p.shape()) +
         " needs " + std::to_string(p.size());
}

}  // namespace gradstream::engine
