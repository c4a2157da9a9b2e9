// export_onnx: a gradstream model file as an ONNX model (opset kOnnxOpset),
// built with ONNX's own protobuf classes and checked by its checker before it
// is returned. The graph takes raw rows ("input", [N, input_shape...]), applies
// the model file's preprocessing (Div for SCALE; Sub and Mul for STANDARDIZE),
// then every layer, and gives what Predict gives: class probabilities
// ("probabilities", [N, units]) for models trained with softmax
// cross-entropy, else the network's outputs ("outputs").
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.hpp"

namespace gradstream::engine {

inline constexpr int64_t kOnnxOpset = 17;     // the default domain's operator set
inline constexpr int64_t kOnnxIrVersion = 8;  // the IR of ONNX 1.10 - 1.12 at opset 17
inline constexpr const char* kOnnxInputName = "input";

// The gradstream version written into exported models (producer_version and
// the "gradstream_version" metadata entry).
std::string gradstream_version();

// Binary ModelProto of the model file `bytes`, with metadata_props "spec" (the
// training spec as JSON), "job_id" and "gradstream_version". data_loss as
// load_model for a file that does not parse or whose tensors do not fit its
// spec; internal_error when ONNX's checker or strict shape inference refuses
// the graph (a bug here), with the checker's message.
Result<std::string> export_onnx(const std::string& bytes, const std::string& job_id);

}  // namespace gradstream::engine
