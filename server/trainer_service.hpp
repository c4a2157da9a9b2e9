// TrainerService: the gradstream.v1.Trainer gRPC service on the callback API.
// Each handler validates its request, acts through the JobManager, and turns
// the engine Status into a grpc::Status once, at the end (to_grpc_status).
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "engine/base/status.hpp"
#include "engine/data/input_preprocessing.hpp"
#include "engine/model/model.hpp"
#include "engine/spec/spec_validator.hpp"
#include "gradstream/v1/trainer.grpc.pb.h"
#include "gradstream/v1/trainer.pb.h"
#include "server/auth_tokens.hpp"
#include "server/dataset_store.hpp"
#include "server/job_manager.hpp"
#include "server/model_cache.hpp"
#include "server/server_config.hpp"
#include "server/watch_job_reactor.hpp"

namespace gradstream::server {

// epochs x training samples one job may process: ~10 GPU-less hours at best.
inline constexpr int64_t kDefaultMaxEpochSamples = 10'000'000'000;
// ListJobs page sizes.
inline constexpr uint32_t kDefaultPageSize = 50;
inline constexpr uint32_t kMaxPageSize = 1000;
// ExportModel sends the model file in pieces of this many bytes.
inline constexpr size_t kExportChunkBytes = size_t{1} << 20;
// The answer to a request without its job_id.
inline constexpr const char* kJobIdNotSet = "job_id: must be set";
// Samples (shape[0]) one Predict call may ask for.
inline constexpr uint32_t kMaxPredictCount = 100000;

// Admission limits checked by CreateJob, beyond validate_spec's ranges.
struct ServiceLimits {
  int64_t max_parameters = engine::kMaxParameters;      // count_parameters(spec)
  int64_t max_epoch_samples = kDefaultMaxEpochSamples;  // epochs x train count
  // The server's send and receive limit: a job's spec may take a quarter
  // (job_admission.hpp), a ListJobs page half (jobs_page.hpp).
  int64_t max_message_bytes = kDefaultMaxMessageBytes;
};

// The generated service with every method whose request a client sends as
// one message made raw: those handlers parse the request themselves
// (raw_unary.hpp), so bytes that do not parse are INVALID_ARGUMENT.
using TrainerServiceBase = v1::Trainer::WithRawCallbackMethod_CreateJob<
    v1::Trainer::WithRawCallbackMethod_GetJob<v1::Trainer::WithRawCallbackMethod_ListJobs<
        v1::Trainer::WithRawCallbackMethod_CancelJob<v1::Trainer::WithRawCallbackMethod_Predict<
            v1::Trainer::WithRawCallbackMethod_ExportModel<
                v1::Trainer::WithRawCallbackMethod_WatchJob<v1::Trainer::CallbackService>>>>>>>;

// Thread-safe. Must outlive the grpc::Server it is registered with: shut the
// server down first (that finishes every WatchJob stream), then destroy this.
// Every method but UploadDataset is raw (TrainerServiceBase): requests
// (`raw`) are parsed here, responses serialized here; WatchJob's events go
// out as the bytes the job's EventLog serialized once.
class TrainerService final : public TrainerServiceBase {
 public:
  // `datasets` (may be null: UploadDataset is then UNIMPLEMENTED and a
  // data.dataset_id NOT_FOUND) must outlive the service. `tokens` (may be
  // null: every caller is anonymous_caller(), who sees everything) must too:
  // with it, every RPC first authenticates its caller (UNAUTHENTICATED
  // otherwise), and a user sees, watches, exports, predicts with, cancels
  // and trains on only its own tenant's jobs and datasets: another tenant's
  // are NOT_FOUND, worded as an unknown id's, so ids do not leak.
  explicit TrainerService(JobManager& jobs, ServiceLimits limits = {},
                          DatasetStore* datasets = nullptr, WatchOptions watch = {},
                          TokenAuthenticator* tokens = nullptr);

  TrainerService(const TrainerService&) = delete;
  TrainerService& operator=(const TrainerService&) = delete;

  // Validates the spec (INVALID_ARGUMENT with the field path; also a spec or
  // gradient event too big for the message limit, and a malformed
  // idempotency_key), checks the limits (RESOURCE_EXHAUSTED), checks the data
  // (PERMISSION_DENIED for a data.files path outside every --data-root, see
  // DataRoots; NOT_FOUND for an unknown data.builtin or data.dataset_id;
  // INVALID_ARGUMENT naming model.input_shape when it does not hold an
  // uploaded dataset's samples, or model.layers when the output does not fit
  // its header's class count) and queues the job with a loader: the job reads
  // its data when it starts, so queued jobs hold none. An uploaded set is
  // checked from its header alone; built-in sets and server-side files from
  // their files' counts and headers. An idempotency_key used before with
  // another spec is ALREADY_EXISTS (JobManager::create_job).
  grpc::ServerUnaryReactor* CreateJob(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;
  // page_size 0: kDefaultPageSize; above kMaxPageSize: lowered to it. A page
  // also ends before it would pass half the message limit (jobs_page.hpp);
  // next_page_token goes on from there. page_token: the index of the page's
  // first job, as decimal.
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;
  // Replays from from_sequence, then follows live until the job's log is closed
  // and sent; see WatchJobReactor. OUT_OF_RANGE naming the last sequence when
  // from_sequence is past the end of a job that has ended.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchJob(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* raw) override;

  // Streams chunks into the dataset store; see UploadDatasetReactor.
  grpc::ServerReadReactor<v1::UploadDatasetChunk>* UploadDataset(
      grpc::CallbackServerContext* context, v1::Dataset* response) override;
  // Streams a SUCCEEDED job's model file (engine/model_file.hpp) in chunks of
  // kExportChunkBytes. NOT_FOUND for an unknown job, FAILED_PRECONDITION
  // naming the state of one that has not SUCCEEDED.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ExportModel(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* raw) override;
  // Runs a SUCCEEDED job's model on shape [count, features...] inputs:
  // INVALID_ARGUMENT naming job_id, shape or inputs when they do not fit the
  // model or an input is NaN or infinite; outputs [count, units], probabilities for cross-entropy
  // models. Runs on the gRPC thread with one OpenMP thread, so it never takes a training job's
  // cores. Loaded models are cached per job, least recently used dropped first, within the job
  // manager's model cache bound
  // (--model-cache-mb) counted on their parameters' bytes: a cache of its own,
  // so models file and loaded model together take at most twice the bound.
  grpc::ServerUnaryReactor* Predict(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;

 private:
  // The handlers' bodies, in engine Status terms.
  engine::Result<v1::Job> create_job(const Caller& caller, const v1::CreateJobRequest& request);
  // The WatchJobRequest's job's log, once the request parses and names one
  // the caller may see.
  engine::Result<std::shared_ptr<EventLog>> watched_log(const Caller& caller,
                                                        const grpc::ByteBuffer& raw,
                                                        v1::WatchJobRequest& request);
  // data.dataset_id's header, once the id is known to the caller and its
  // sample shape fits model.input_shape (not_found / invalid_argument naming
  // the field).
  engine::Result<v1::DatasetHeader> uploaded_header(const Caller& caller,
                                                    const v1::TrainingSpec& spec);
  engine::Status list_jobs(const Caller& caller, const v1::ListJobsRequest& request,
                           v1::ListJobsResponse& response);
  // OK when the caller may see job `id` (an admin, or the job's tenant);
  // not_found worded as for an unknown id otherwise.
  engine::Status check_job_access(const Caller& caller, const std::string& id) const;
  engine::Status predict(const v1::PredictRequest& request, v1::PredictResponse& response);

  // A job's model loaded from its model file; `run` serialises predictions on it.
  struct LoadedModel {
    std::unique_ptr<engine::Model> model;
    engine::InputPreprocessing preprocessing;  // applied to the raw rows first
    bool probabilities = false;
    std::mutex run;
  };
  engine::Result<std::shared_ptr<LoadedModel>> loaded_model(const std::string& job_id);
  // The job's model in the request's format (trainer_service_export.cpp).
  engine::Result<std::shared_ptr<const std::string>> exported_model(
      const v1::ExportModelRequest& request);

  JobManager& jobs_;
  const ServiceLimits limits_;
  DatasetStore* const datasets_;
  TokenAuthenticator* const tokens_;  // may be null
  WatchPump pump_;
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  ModelCache<LoadedModel> loaded_models_;
};

}  // namespace gradstream::server
