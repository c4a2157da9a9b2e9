// TrainerService's ExportModel formats: the stored model file as it is, or
// that file as an ONNX model built (and checked by ONNX's checker) per call.
#include <memory>
#include <string>

#include "engine/onnx/onnx_export.hpp"
#include "server/trainer_service.hpp"

namespace gradstream::server {

engine::Result<std::shared_ptr<const std::string>> TrainerService::exported_model(
    const v1::ExportModelRequest& request) {
  if (!v1::ModelFormat_IsValid(request.format())) {
    return engine::invalid_argument("format: unknown value " + std::to_string(request.format()));
  }
  engine::Result<std::shared_ptr<const std::string>> bytes = jobs_.model_bytes(request.job_id());
  if (!bytes.ok() || request.format() != v1::MODEL_FORMAT_ONNX) return bytes;
  engine::Result<std::string> onnx = engine::export_onnx(**bytes, request.job_id());
  if (!onnx.ok()) return onnx.status();
  return std::make_shared<const std::string>(std::move(onnx).value());
}

}  // namespace gradstream::server
