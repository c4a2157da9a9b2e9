// The exported model file (proto/gradstream/v1/model_file.proto): one binary
// ModelFile message holding the training spec, which rebuilds the network, and
// every trainable parameter in Model::parameters() order, each named by layer
// and parameter with its shape. serialize_model writes it, load_model reads it
// back into a Model ready for inference (or further pipelines).
#pragma once

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "engine/base/status.hpp"
#include "engine/data/input_preprocessing.hpp"
#include "engine/model/model.hpp"
#include "gradstream/v1/model_file.pb.h"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// Binary protobuf of a ModelFile: `spec` (as given; the Dense layers'
// initial_weights / initial_bias are cleared since the tensors supersede them)
// and one Tensor per parameter of `model`, values row-major f32, and the
// preprocessing training applied to its inputs (none by default).
// internal_error if the message cannot be encoded (over protobuf's 2 GiB).
Result<std::string> serialize_model(const v1::TrainingSpec& spec, Model& model,
                                    const InputPreprocessing& preprocessing = {});

// Rebuilds the Model from the file's spec (input features = product of
// model.input_shape) and copies its tensors in. Every failure is data_loss
// starting "model file: ": bytes that do not parse, a spec that fails
// validate_spec, a tensor count, name, shape or value count that does not
// match the spec's model (the message names the tensor as "layer/name").
Result<std::unique_ptr<Model>> load_model(const std::string& bytes, const dnnl::engine& eng);

// The spec stored in a model file (for callers that need the loss, input shape
// ...), or data_loss as load_model.
Result<v1::TrainingSpec> model_file_spec(const std::string& bytes);

// The whole file, its spec validated (tensors as they are), or data_loss as
// load_model.
Result<v1::ModelFile> read_model_file(const std::string& bytes);

// The preprocessing stored in a model file, checked against its model's input
// features (a file written before files carried it: NONE), or data_loss as
// load_model, naming the field.
Result<InputPreprocessing> model_file_preprocessing(const std::string& bytes);

}  // namespace gradstream::engine
