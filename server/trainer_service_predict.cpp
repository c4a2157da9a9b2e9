// TrainerService's Predict: a SUCCEEDED job's model, loaded once into the
// loaded-model cache, run on the request's raw rows (given the preprocessing
// training used, from the model file) on the calling gRPC thread.
#include <omp.h>

#include <mutex>
#include <string>
#include <vector>

#include "engine/base/field_checks.hpp"
#include "engine/model/model_file.hpp"
#include "engine/train/predictor.hpp"
#include "server/call_auth.hpp"
#include "server/trainer_service.hpp"

namespace gradstream::server {

namespace {

// Product of shape[1..], or -1 once it passes kMaxInputFeatures.
int64_t sample_features(const v1::PredictRequest& request) {
  int64_t features = 1;
  for (int i = 1; i < request.shape_size(); ++i) {
    features *= request.shape(i);
    if (features > engine::kMaxInputFeatures) return -1;
  }
  return features;
}

// What a loaded model costs in memory: each tensor's stored floats (oneDNN's
// padding included) for its value and its gradient, which a Parameter always
// allocates. Buffers of the pipelines predict builds per call are not kept.
size_t loaded_model_bytes(engine::Model& model) {
  size_t floats = 0;
  for (const engine::Parameter* tensor : model.tensors()) {
    floats += 2 * static_cast<size_t>(tensor->stored());
  }
  return floats * sizeof(float);
}

std::string shape_text(const v1::PredictRequest& request) {
  std::string out = "[";
  for (int i = 0; i < request.shape_size(); ++i) {
    out += (i > 0 ? ", " : "") + std::to_string(request.shape(i));
  }
  return out + "]";
}

}  // namespace

grpc::ServerUnaryReactor* TrainerService::Predict(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* raw,
                                                  grpc::ByteBuffer* out) {
  return authenticated_unary<v1::PredictRequest, v1::PredictResponse>(
      tokens_, "Predict", context, raw, out,
      [&](const Caller& caller, const v1::PredictRequest& request, v1::PredictResponse& response) {
        if (request.job_id().empty()) return engine::invalid_argument(kJobIdNotSet);
        if (engine::Status s = check_job_access(caller, request.job_id()); !s.ok()) return s;
        return predict(request, response);
      });
}

engine::Status TrainerService::predict(const v1::PredictRequest& request,
                                       v1::PredictResponse& response) {
  if (request.job_id().empty()) return engine::invalid_argument(kJobIdNotSet);
  if (request.shape().empty()) {
    return engine::invalid_argument("shape: must be set, as [count, features...]");
  }
  const uint32_t count = request.shape(0);
  if (count < 1 || count > kMaxPredictCount) {
    return engine::invalid_argument("shape[0]: " + std::to_string(count) + " is out of range [1, " +
                                    std::to_string(kMaxPredictCount) + "]");
  }
  auto loaded = loaded_model(request.job_id());
  if (!loaded.ok()) return loaded.status();
  LoadedModel& entry = **loaded;
  const int64_t features = sample_features(request);
  if (features != entry.model->input_features()) {
    return engine::invalid_argument(
        "shape: " + shape_text(request) + " gives samples of " +
        (features < 0 ? std::string("too many") : std::to_string(features)) +
        " features, the model takes " + std::to_string(entry.model->input_features()));
  }
  const int64_t expected = int64_t{count} * features;
  if (request.inputs_size() != expected) {
    return engine::invalid_argument("inputs: has " + std::to_string(request.inputs_size()) +
                                    " values, shape " + shape_text(request) + " needs " +
                                    std::to_string(expected));
  }
  // A NaN or infinity would come back as NaN probabilities with OK.
  if (engine::Status s = engine::check_finite("inputs", request.inputs().data(),
                                              static_cast<size_t>(request.inputs_size()));
      !s.ok()) {
    return s;
  }
  // Raw rows in: prepared as training prepared its data (model_file.proto).
  std::vector<float> inputs(request.inputs().begin(), request.inputs().end());
  entry.preprocessing.apply(inputs.data(), inputs.size());
  // One OpenMP thread on this gRPC thread: the cores belong to training jobs.
  omp_set_num_threads(1);
  engine::Result<std::vector<float>> outputs = [&] {
    std::lock_guard lock(entry.run);
    return engine::predict(*entry.model, inputs.data(), count, eng_, entry.probabilities);
  }();
  if (!outputs.ok()) return outputs.status();
  response.add_shape(count);
  response.add_shape(static_cast<uint32_t>(entry.model->output_units()));
  response.mutable_outputs()->Add(outputs->begin(), outputs->end());
  return engine::ok_status();
}

engine::Result<std::shared_ptr<TrainerService::LoadedModel>> TrainerService::loaded_model(
    const std::string& job_id) {
  // A job forgotten since its model was loaded is not_found like any other.
  if (engine::Status s = jobs_.has_model(job_id); !s.ok()) return s;
  if (auto cached = loaded_models_.get(job_id)) return cached;
  // Loaded outside the cache's lock: another job's Predict need not wait for
  // this one. Two first calls for one job may both load it; the last one kept.
  engine::Result<std::shared_ptr<const std::string>> bytes = jobs_.model_bytes(job_id);
  if (!bytes.ok()) return bytes.status();
  engine::Result<v1::TrainingSpec> spec = engine::model_file_spec(**bytes);
  if (!spec.ok()) return spec.status();
  engine::Result<engine::InputPreprocessing> preprocessing =
      engine::model_file_preprocessing(**bytes);
  if (!preprocessing.ok()) return preprocessing.status();
  engine::Result<std::unique_ptr<engine::Model>> model = engine::load_model(**bytes, eng_);
  if (!model.ok()) return model.status();
  auto entry = std::make_shared<LoadedModel>();
  entry->preprocessing = std::move(preprocessing).value();
  entry->probabilities = engine::predicts_probabilities(*spec, **model);
  entry->model = std::move(model).value();
  loaded_models_.put(job_id, entry, loaded_model_bytes(*entry->model));
  return entry;
}

}  // namespace gradstream::server
