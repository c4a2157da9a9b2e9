// TrainerService: request validation, admission limits, and the RPC edge where
// an engine Status becomes a grpc::Status. Exceptions stop here as INTERNAL.
// Predict is in trainer_service_predict.cpp.
#include "server/trainer_service.hpp"

#include <algorithm>
#include <charconv>
#include <exception>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "engine/data/data_loader.hpp"
#include "gradstream/v1/spec.pb.h"
#include "server/call_auth.hpp"
#include "server/grpc_status.hpp"
#include "server/job_admission.hpp"
#include "server/job_data.hpp"
#include "server/jobs_page.hpp"
#include "server/rejected_stream.hpp"
#include "server/upload_dataset_reactor.hpp"

namespace gradstream::server {

namespace {

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

// One ExportModel stream: writes `bytes` in kExportChunkBytes pieces, each a
// serialized ExportChunk, one write in flight at a time (the constructor, then
// each OnWriteDone, sends the next), then finishes. Deletes itself in OnDone,
// its only lifetime rule. It shares the model file with the model cache (no
// copy) and keeps it alive if evicted.
class ExportModelReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
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
    v1::ExportChunk chunk;
    chunk.set_data(bytes_->data() + offset_, size);
    offset_ += size;
    // The last piece's buffer is done with (OnWriteDone); a big message is
    // serialized only into an empty one.
    written_.Clear();
    bool own_buffer = false;
    const grpc::Status serialized =
        grpc::SerializationTraits<v1::ExportChunk>::Serialize(chunk, &written_, &own_buffer);
    if (!serialized.ok()) {
      Finish(serialized);
      return;
    }
    StartWrite(&written_);
  }

  const std::shared_ptr<const std::string> bytes_;
  size_t offset_ = 0;
  grpc::ByteBuffer written_;  // the piece being written; kept until OnWriteDone
};

}  // namespace

TrainerService::TrainerService(JobManager& jobs, ServiceLimits limits, DatasetStore* datasets,
                               WatchOptions watch, TokenAuthenticator* tokens)
    : jobs_(jobs),
      limits_(limits),
      datasets_(datasets),
      tokens_(tokens),
      pump_(std::move(watch)),
      loaded_models_(jobs.model_cache_capacity()) {}

grpc::ServerUnaryReactor* TrainerService::CreateJob(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* raw,
                                                    grpc::ByteBuffer* out) {
  return authenticated_unary<v1::CreateJobRequest, v1::Job>(
      tokens_, "CreateJob", context, raw, out,
      [&](const Caller& caller, const v1::CreateJobRequest& request, v1::Job& response) {
        return deliver(create_job(caller, request), response);
      });
}

engine::Status TrainerService::check_job_access(const Caller& caller, const std::string& id) const {
  if (caller.admin()) return engine::ok_status();
  engine::Result<std::string> tenant = jobs_.tenant_of(id);
  if (!tenant.ok()) return tenant.status();
  if (*tenant != caller.tenant) return job_not_found(id);
  return engine::ok_status();
}

engine::Result<v1::Job> TrainerService::create_job(const Caller& caller,
                                                   const v1::CreateJobRequest& request) {
  if (engine::Status s = engine::validate_spec(request.spec()); !s.ok()) return s;
  if (engine::Status s = check_message_budget(request.spec(), limits_.max_message_bytes); !s.ok()) {
    return s;
  }
  if (engine::Status s = check_idempotency_key(request.idempotency_key()); !s.ok()) return s;
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
    auto header = uploaded_header(caller, spec);
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
  return jobs_.create_job(spec, request.idempotency_key(), std::move(load), caller.tenant);
}

engine::Result<v1::DatasetHeader> TrainerService::uploaded_header(const Caller& caller,
                                                                  const v1::TrainingSpec& spec) {
  const std::string& id = spec.data().dataset_id();
  if (datasets_ == nullptr) {
    return engine::not_found("data.dataset_id: \"" + id +
                             "\" not found; this server stores no datasets");
  }
  auto described = datasets_->describe(id);
  // Another tenant's dataset reads as one that is not stored.
  if (described.ok() && !caller.admin() && !datasets_->owned_by(id, caller.tenant)) {
    described = dataset_not_found(id);
  }
  if (!described.ok()) {
    return engine::Status(described.status().code(),
                          "data.dataset_id: " + described.status().message());
  }
  const v1::DatasetHeader& header = described->header();
  if (engine::Status s = check_dataset_fits(spec, id, header); !s.ok()) return s;
  return header;
}

grpc::ServerUnaryReactor* TrainerService::GetJob(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* raw,
                                                 grpc::ByteBuffer* out) {
  return authenticated_unary<v1::GetJobRequest, v1::Job>(
      tokens_, "GetJob", context, raw, out,
      [&](const Caller& caller, const v1::GetJobRequest& request, v1::Job& response) {
        if (request.job_id().empty()) return engine::invalid_argument(kJobIdNotSet);
        if (engine::Status s = check_job_access(caller, request.job_id()); !s.ok()) return s;
        return deliver(jobs_.get_job(request.job_id()), response);
      });
}

grpc::ServerUnaryReactor* TrainerService::ListJobs(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* raw,
                                                   grpc::ByteBuffer* out) {
  return authenticated_unary<v1::ListJobsRequest, v1::ListJobsResponse>(
      tokens_, "ListJobs", context, raw, out,
      [&](const Caller& caller, const v1::ListJobsRequest& request,
          v1::ListJobsResponse& response) { return list_jobs(caller, request, response); });
}

engine::Status TrainerService::list_jobs(const Caller& caller, const v1::ListJobsRequest& request,
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

  const std::vector<v1::Job> jobs =
      jobs_.list_jobs(request.state(), caller.admin() ? nullptr : &caller.tenant);
  if (start > jobs.size()) {
    return engine::invalid_argument("page_token: \"" + token + "\" is past the last job (" +
                                    std::to_string(jobs.size()) + " jobs)");
  }
  const size_t stop =
      fill_jobs_page(jobs, start, page_size, list_page_bytes(limits_.max_message_bytes), response);
  if (stop < jobs.size()) response.set_next_page_token(std::to_string(stop));
  return engine::ok_status();
}

grpc::ServerUnaryReactor* TrainerService::CancelJob(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* raw,
                                                    grpc::ByteBuffer* out) {
  return authenticated_unary<v1::CancelJobRequest, v1::Job>(
      tokens_, "CancelJob", context, raw, out,
      [&](const Caller& caller, const v1::CancelJobRequest& request, v1::Job& response) {
        if (request.job_id().empty()) return engine::invalid_argument(kJobIdNotSet);
        if (engine::Status s = check_job_access(caller, request.job_id()); !s.ok()) return s;
        return deliver(jobs_.cancel_job(request.job_id()), response);
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* TrainerService::WatchJob(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  using Rejected = RejectedStream<grpc::ServerWriteReactor<grpc::ByteBuffer>>;
  v1::WatchJobRequest request;
  std::shared_ptr<EventLog> log;
  const grpc::Status status = guarded("WatchJob", [&] {
    engine::Result<Caller> caller = authenticate_call(tokens_, *context);
    if (!caller.ok()) return caller.status();
    auto found = watched_log(*caller, *raw, request);
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
    const Caller& caller, const grpc::ByteBuffer& raw, v1::WatchJobRequest& request) {
  if (engine::Status s = parse_request(raw, request); !s.ok()) return s;
  if (request.job_id().empty()) return engine::invalid_argument(kJobIdNotSet);
  if (engine::Status s = check_job_access(caller, request.job_id()); !s.ok()) return s;
  std::shared_ptr<EventLog> log = jobs_.event_log(request.job_id());
  if (!log) return job_not_found(request.job_id());
  // A closed log gets no more events: a stream from past its end would only
  // end at once with nothing, which a client cannot tell from a caught-up one.
  if (log->closed() && request.from_sequence() > log->last_sequence()) {
    return engine::out_of_range_error("from_sequence: " + std::to_string(request.from_sequence()) +
                                      " is past the end of job \"" + request.job_id() +
                                      "\", which has ended; its last event is " +
                                      std::to_string(log->last_sequence()));
  }
  return log;
}

grpc::ServerReadReactor<v1::UploadDatasetChunk>* TrainerService::UploadDataset(
    grpc::CallbackServerContext* context, v1::Dataset* response) {
  using Rejected = RejectedStream<grpc::ServerReadReactor<v1::UploadDatasetChunk>>;
  engine::Result<Caller> caller = authenticate_call(tokens_, *context);
  if (!caller.ok()) return new Rejected(to_grpc_status(caller.status()));
  if (datasets_ == nullptr) return new Rejected(unimplemented_status("UploadDataset"));
  try {
    return new UploadDatasetReactor(*datasets_, response, caller->tenant);
  } catch (const std::exception& e) {
    return new Rejected(
        grpc::Status(grpc::StatusCode::INTERNAL, std::string("UploadDataset: ") + e.what()));
  }
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* TrainerService::ExportModel(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  using Rejected = RejectedStream<grpc::ServerWriteReactor<grpc::ByteBuffer>>;
  std::shared_ptr<const std::string> bytes;
  const grpc::Status status = guarded("ExportModel", [&] {
    engine::Result<Caller> caller = authenticate_call(tokens_, *context);
    if (!caller.ok()) return caller.status();
    v1::ExportModelRequest request;
    if (engine::Status s = parse_request(*raw, request); !s.ok()) return s;
    if (request.job_id().empty()) return engine::invalid_argument(kJobIdNotSet);
    if (engine::Status s = check_job_access(*caller, request.job_id()); !s.ok()) return s;
    return deliver(exported_model(request), bytes);
  });
  if (!status.ok()) return new Rejected(status);
  return new ExportModelReactor(std::move(bytes));
}

}  // namespace gradstream::server
