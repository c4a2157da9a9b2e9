// TrainerService: request validation, admission limits, and the RPC edge where
// an engine Status becomes a grpc::Status. Exceptions stop here as INTERNAL.
#include "server/trainer_service.hpp"

#include <omp.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "engine/data/data_loader.hpp"
#include "engine/model/model_file.hpp"
#include "engine/train/predictor.hpp"
#include "gradstream/v1/spec.pb.h"
#include "server/grpc_status.hpp"
#include "server/job_data.hpp"
#include "server/upload_dataset_reactor.hpp"

namespace gradstream::server {

namespace {

constexpr const char* kJobIdNotSet = "job_id: must be set";

// A stream rejected before it started: finishes at once with `status` and
// deletes itself when gRPC is done with it (its only lifetime rule).
template <class Reactor>
class RejectedStream final : public Reactor {
 public:
  explicit RejectedStream(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

// Runs `body` (returning an engine::Status), turning an escaping exception into
// INTERNAL, and converts the outcome once.
template <class Body>
grpc::Status guarded(const char* rpc, Body&& body) {
  try {
    return to_grpc_status(body());
  } catch (const std::exception& e) {
    return to_grpc_status(engine::internal_error(std::string(rpc) + ": " + e.what()));
  } catch (...) {
    return to_grpc_status(engine::internal_error(std::string(rpc) + ": unknown error"));
  }
}

grpc::ServerUnaryReactor* finish_unary(grpc::CallbackServerContext* context,
                                       const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

// Stores a Result's value in `response`, or passes its status on.
template <class T>
engine::Status deliver(engine::Result<T> result, T& response) {
  if (!result.ok()) return result.status();
  response = std::move(result).value();
  return engine::ok_status();
}

// engine::StatusCode has no UNIMPLEMENTED (the engine never needs it), so
// this edge builds that status directly.
grpc::Status unimplemented_status(const std::string& what) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, what + " is not implemented yet");
}

// One ExportModel stream: writes `bytes` in kExportChunkBytes pieces, one write
// in flight at a time (the constructor, then each OnWriteDone, sends the next),
// then finishes. Deletes itself in OnDone, its only lifetime rule. It shares the
// model file with the model cache (no copy) and keeps it alive if evicted.
class ExportModelReactor final : public grpc::ServerWriteReactor<v1::ExportChunk> {
 public:
  explicit ExportModelReactor(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {
    next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "ExportModel: the stream broke"));
      return;
    }
    next();
  }
  void OnDone() override { delete this; }

 private:
  void next() {
    if (offset_ >= bytes_->size()) {
      Finish(grpc::Status::OK);
      return;
    }
    const size_t size = std::min(kExportChunkBytes, bytes_->size() - offset_);
    chunk_.set_data(bytes_->data() + offset_, size);
    offset_ += size;
    StartWrite(&chunk_);
  }

  const std::shared_ptr<const std::string> bytes_;
  size_t offset_ = 0;
  v1::ExportChunk chunk_;  // the piece being written; kept until OnWriteDone
};

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

TrainerService::TrainerService(JobManager& jobs, ServiceLimits limits, DatasetStore* datasets,
                               WatchOptions watch)
    : jobs_(jobs),
      limits_(limits),
      datasets_(datasets),
      pump_(std::move(watch)),
      loaded_models_(jobs.model_cache_capacity()) {}

grpc::ServerUnaryReactor* TrainerService::CreateJob(grpc::CallbackServerContext* context,
                                                    const v1::CreateJobRequest* request,
                                                    v1::Job* response) {
  return finish_unary(
      context, guarded("CreateJob", [&] { return deliver(create_job(*request), *response); }));
}

engine::Result<v1::Job> TrainerService::create_job(const v1::CreateJobRequest& request) {
  if (engine::Status s = engine::validate_spec(request.spec()); !s.ok()) return s;
  // Server-side files are checked before any of them is opened, and the job
  // keeps their resolved paths: what it reads is what was checked here.
  v1::TrainingSpec resolved_spec;
  if (request.spec().data().source_case() == v1::DataSpec::kFiles) {
    resolved_spec = request.spec();
    if (engine::Status s =
            jobs_.data_roots().resolve_files(*resolved_spec.mutable_data()->mutable_files());
        !s.ok()) {
      return s;
    }
  }
  const v1::TrainingSpec& spec =
      request.spec().data().source_case() == v1::DataSpec::kFiles ? resolved_spec : request.spec();
  // Before any data is loaded: the model alone may be too big.
  const int64_t parameters = engine::count_parameters(spec);
  if (parameters > limits_.max_parameters) {
    return engine::resource_exhausted("model: " + std::to_string(parameters) +
                                      " parameters is more than the limit of " +
                                      std::to_string(limits_.max_parameters));
  }
  int64_t epoch_count = 0;  // samples one epoch visits (at most)
  JobManager::DataLoader load;
  if (spec.data().source_case() == v1::DataSpec::kDatasetId) {
    auto header = uploaded_header(spec);
    if (!header.ok()) return header.status();
    // The header's count includes the validation split: an upper bound, and
    // no byte of the data set is read on this thread.
    epoch_count = static_cast<int64_t>(header->count());
    load = [store = datasets_, id = spec.data().dataset_id(), data_spec = spec.data(),
            seed = spec.seed(), num_classes = header->num_classes()] {
      return load_uploaded_dataset(*store, id, data_spec, seed, num_classes);
    };
  } else {
    // A built-in set is checked from its (cached) files' counts, without a
    // copy; server-side files from their headers (CSV: a count of its lines),
    // never loaded here: the job loads its data when it starts, so a queued
    // job holds none, and a bad value deep in a file is that job's FAILED
    // reason, naming file, line and column.
    engine::Result<engine::DataSummary> data = engine::summarize_data(spec.data(), spec.seed());
    if (!data.ok()) return data.status();
    epoch_count = data->train_count;
    load = [data_spec = spec.data(), seed = spec.seed()] {
      return engine::load_data(data_spec, seed);
    };
  }
  // Both factors are bounded (epochs <= kMaxEpochs, count < 2^40), no overflow.
  const int64_t epoch_samples = int64_t{spec.epochs()} * epoch_count;
  if (epoch_samples > limits_.max_epoch_samples) {
    return engine::resource_exhausted(
        "epochs: " + std::to_string(spec.epochs()) + " x " + std::to_string(epoch_count) +
        " training samples is " + std::to_string(epoch_samples) + ", more than the limit of " +
        std::to_string(limits_.max_epoch_samples) + " samples per job");
  }
  return jobs_.create_job(spec, request.idempotency_key(), std::move(load));
}

engine::Result<v1::DatasetHeader> TrainerService::uploaded_header(const v1::TrainingSpec& spec) {
  const std::string& id = spec.data().dataset_id();
  if (datasets_ == nullptr) {
    return engine::not_found("data.dataset_id: \"" + id +
                             "\" not found; this server stores no datasets");
  }
  auto described = datasets_->describe(id);
  if (!described.ok()) {
    return engine::Status(described.status().code(),
                          "data.dataset_id: " + described.status().message());
  }
  // The shapes alone may not fit. As with built-in data, a shape fits when it
  // holds as many values ([784] takes [28, 28] images).
  const v1::DatasetHeader& header = described->header();
  int64_t input_values = 1, sample_values = 1;
  std::string input_text, sample_text;
  for (uint32_t d : spec.model().input_shape()) {
    input_values *= d;
    input_text += (input_text.empty() ? "" : ", ") + std::to_string(d);
  }
  for (uint32_t d : header.sample_shape()) {
    sample_values *= d;
    sample_text += (sample_text.empty() ? "" : ", ") + std::to_string(d);
  }
  if (input_values != sample_values) {
    return engine::invalid_argument("model.input_shape: [" + input_text + "] is " +
                                    std::to_string(input_values) + " values per sample but " + id +
                                    " holds samples of shape [" + sample_text + "] (" +
                                    std::to_string(sample_values) + " values)");
  }
  return header;
}

grpc::ServerUnaryReactor* TrainerService::GetJob(grpc::CallbackServerContext* context,
                                                 const v1::GetJobRequest* request,
                                                 v1::Job* response) {
  return finish_unary(context, guarded("GetJob", [&] {
                        if (request->job_id().empty())
                          return engine::invalid_argument(kJobIdNotSet);
                        return deliver(jobs_.get_job(request->job_id()), *response);
                      }));
}

grpc::ServerUnaryReactor* TrainerService::ListJobs(grpc::CallbackServerContext* context,
                                                   const v1::ListJobsRequest* request,
                                                   v1::ListJobsResponse* response) {
  return finish_unary(context, guarded("ListJobs", [&] { return list_jobs(*request, *response); }));
}

engine::Status TrainerService::list_jobs(const v1::ListJobsRequest& request,
                                         v1::ListJobsResponse& response) {
  if (!v1::JobState_IsValid(request.state())) {
    return engine::invalid_argument("state: " + std::to_string(request.state()) +
                                    " is not a JobState");
  }
  size_t start = 0;
  const std::string& token = request.page_token();
  if (!token.empty()) {
    const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), start);
    if (error != std::errc() || end != token.data() + token.size()) {
      return engine::invalid_argument("page_token: \"" + token + "\" is not a valid page token");
    }
  }
  uint32_t page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (page_size > kMaxPageSize) page_size = kMaxPageSize;

  const std::vector<v1::Job> jobs = jobs_.list_jobs(request.state());
  if (start > jobs.size()) {
    return engine::invalid_argument("page_token: \"" + token + "\" is past the last job (" +
                                    std::to_string(jobs.size()) + " jobs)");
  }
  const size_t stop = std::min(jobs.size(), start + page_size);
  for (size_t i = start; i < stop; ++i) *response.add_jobs() = jobs[i];
  if (stop < jobs.size()) response.set_next_page_token(std::to_string(stop));
  return engine::ok_status();
}

grpc::ServerUnaryReactor* TrainerService::CancelJob(grpc::CallbackServerContext* context,
                                                    const v1::CancelJobRequest* request,
                                                    v1::Job* response) {
  return finish_unary(context, guarded("CancelJob", [&] {
                        if (request->job_id().empty())
                          return engine::invalid_argument(kJobIdNotSet);
                        return deliver(jobs_.cancel_job(request->job_id()), *response);
                      }));
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* TrainerService::WatchJob(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  using Rejected = RejectedStream<grpc::ServerWriteReactor<grpc::ByteBuffer>>;
  v1::WatchJobRequest request;
  std::shared_ptr<EventLog> log;
  const grpc::Status status = guarded("WatchJob", [&] {
    auto found = watched_log(*raw, request);
    if (!found.ok()) return found.status();
    log = std::move(found).value();
    return engine::ok_status();
  });
  if (!status.ok()) return new Rejected(status);
  try {
    return new WatchJobReactor(std::move(log), request, context, pump_);
  } catch (const std::exception& e) {
    return new Rejected(
        grpc::Status(grpc::StatusCode::INTERNAL, std::string("WatchJob: ") + e.what()));
  }
}

engine::Result<std::shared_ptr<EventLog>> TrainerService::watched_log(
    const grpc::ByteBuffer& raw, v1::WatchJobRequest& request) {
  grpc::ByteBuffer bytes(raw);  // Deserialize consumes its buffer; this copy shares the slices
  if (!grpc::SerializationTraits<v1::WatchJobRequest>::Deserialize(&bytes, &request).ok()) {
    return engine::invalid_argument("request: is not a serialized WatchJobRequest");
  }
  if (request.job_id().empty()) return engine::invalid_argument(kJobIdNotSet);
  std::shared_ptr<EventLog> log = jobs_.event_log(request.job_id());
  if (!log) return engine::not_found("job \"" + request.job_id() + "\" not found");
  return log;
}

grpc::ServerReadReactor<v1::UploadDatasetChunk>* TrainerService::UploadDataset(
    grpc::CallbackServerContext* /*context*/, v1::Dataset* response) {
  using Rejected = RejectedStream<grpc::ServerReadReactor<v1::UploadDatasetChunk>>;
  if (datasets_ == nullptr) return new Rejected(unimplemented_status("UploadDataset"));
  try {
    return new UploadDatasetReactor(*datasets_, response);
  } catch (const std::exception& e) {
    return new Rejected(
        grpc::Status(grpc::StatusCode::INTERNAL, std::string("UploadDataset: ") + e.what()));
  }
}

grpc::ServerWriteReactor<v1::ExportChunk>* TrainerService::ExportModel(
    grpc::CallbackServerContext* /*context*/, const v1::ExportModelRequest* request) {
  using Rejected = RejectedStream<grpc::ServerWriteReactor<v1::ExportChunk>>;
  std::shared_ptr<const std::string> bytes;
  const grpc::Status status = guarded("ExportModel", [&] {
    if (request->job_id().empty()) return engine::invalid_argument(kJobIdNotSet);
    return deliver(jobs_.model_bytes(request->job_id()), bytes);
  });
  if (!status.ok()) return new Rejected(status);
  return new ExportModelReactor(std::move(bytes));
}

grpc::ServerUnaryReactor* TrainerService::Predict(grpc::CallbackServerContext* context,
                                                  const v1::PredictRequest* request,
                                                  v1::PredictResponse* response) {
  return finish_unary(context, guarded("Predict", [&] { return predict(*request, *response); }));
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
  // One OpenMP thread on this gRPC thread: the cores belong to training jobs.
  omp_set_num_threads(1);
  engine::Result<std::vector<float>> outputs = [&] {
    std::lock_guard lock(entry.run);
    return engine::predict(*entry.model, request.inputs().data(), count, eng_, entry.probabilities);
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
  engine::Result<std::unique_ptr<engine::Model>> model = engine::load_model(**bytes, eng_);
  if (!model.ok()) return model.status();
  auto entry = std::make_shared<LoadedModel>();
  entry->probabilities = engine::predicts_probabilities(*spec, **model);
  entry->model = std::move(model).value();
  loaded_models_.put(job_id, entry, loaded_model_bytes(*entry->model));
  return entry;
}

}  // namespace gradstream::server
