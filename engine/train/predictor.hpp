// predict: a Model's outputs for a batch of inputs, through inference
// pipelines (no backward, no gradients), in chunks of kPredictBatch samples.
// For classifiers trained with softmax cross-entropy the outputs are class
// probabilities; otherwise they are the network's raw outputs.
#pragma once

#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "engine/model/model.hpp"
#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// Samples per inference pipeline; the last partial chunk gets its own.
inline constexpr int64_t kPredictBatch = 1000;

// Whether predictions of a model trained with `spec` are softmax probabilities:
// the loss is softmax cross-entropy (or unset, which defaults to it), or the
// model's output softmax was fused into the loss.
bool predicts_probabilities(const v1::TrainingSpec& spec, const Model& model);

// `count` x model.input_features() row-major floats in; count x
// model.output_units() out. With `probabilities`, each output row is
// softmax(row), computed in double after subtracting the row maximum.
// Runs on the caller's thread with its OpenMP thread setting.
// invalid_argument for count < 1; internal_error if oneDNN cannot build a pipeline.
Result<std::vector<float>> predict(Model& model, const float* inputs, int64_t count,
                                   const dnnl::engine& eng, bool probabilities);

// As above with probabilities = model.softmax_fused().
Result<std::vector<float>> predict(Model& model, const float* inputs, int64_t count,
                                   const dnnl::engine& eng);

}  // namespace gradstream::engine
