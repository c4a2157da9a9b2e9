// check_onnx_model: ONNX's own checks of a model, as Python's
// onnx.checker.check_model(model, full_check=True) runs them.
#pragma once

#include "engine/base/status.hpp"
#include "onnx/onnx_pb.h"

namespace gradstream::engine {

// onnx::checker::check_model (the structure: names, types, operators at the
// model's opsets), then shape inference in strict mode with type checks.
// internal_error with the checker's message when either refuses the model.
Status check_onnx_model(const onnx::ModelProto& model);

}  // namespace gradstream::engine
