// Parameters as v1::Tensor messages (model_file.proto): named by layer and
// parameter, with their shape and row-major f32 values. Model files,
// checkpoints and optimizer slots write and check them the same way.
#pragma once

#include <optional>
#include <string>

#include "engine/core/parameter.hpp"
#include "gradstream/v1/model_file.pb.h"

namespace gradstream::engine {

// "layer/name": how messages name a tensor.
std::string tensor_name(const std::string& layer, const std::string& name);

// `p`'s layer, name and shape, and its value row-major.
void write_tensor_message(const Parameter& p, v1::Tensor* out);
// The same with the values of `like_value`, stored() floats laid out like
// p's value (an optimizer's moments).
void write_tensor_message(const Parameter& p, const float* like_value, v1::Tensor* out);

// Why `tensor` is not `p`'s, or nullopt: another name (`where` says where it
// was found, e.g. "tensors[3]") or another shape.
std::optional<std::string> tensor_identity_mismatch(const v1::Tensor& tensor, const Parameter& p,
                                                    const std::string& where);
// Why `tensor`'s values cannot be `p`'s, or nullopt: their count is not its shape's.
std::optional<std::string> tensor_size_mismatch(const v1::Tensor& tensor, const Parameter& p);

}  // namespace gradstream::engine
