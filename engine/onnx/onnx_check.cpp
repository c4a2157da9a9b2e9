// check_onnx_model: ONNX's checker and strict shape inference.
#include "engine/onnx/onnx_check.hpp"

#include <exception>
#include <string>

#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"

namespace gradstream::engine {

Status check_onnx_model(const onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;  // InferShapes adds value_info: not to what is sent
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true,
                                                                   /*strict_mode=*/1,
                                                                   /*data_prop=*/false));
  } catch (const std::exception& e) {
    return internal_error(std::string("ONNX export: the graph fails ONNX's checker: ") + e.what());
  }
  return ok_status();
}

}  // namespace gradstream::engine
