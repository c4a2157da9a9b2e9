// CoordinatorService: the gradstream.v1.Coordinator gRPC service, on which
// gradstream-worker processes join this server, heartbeat and send their
// jobs' reports and fetch the uploaded datasets their jobs train on
// (proto/gradstream/v1/worker.proto). Every method is raw (raw_unary.hpp, and
// FetchDataset's stream of serialized chunks) and authenticated; with
// --auth-tokens only a token of role worker or admin may call it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstddef>

#include "gradstream/v1/worker.grpc.pb.h"
#include "server/auth_tokens.hpp"
#include "server/dataset_store.hpp"
#include "server/fetch_dataset_reactor.hpp"
#include "server/worker_registry.hpp"

namespace gradstream::server {

inline constexpr const char* kCoordinatorServiceName = "gradstream.v1.Coordinator";

using CoordinatorServiceBase =
    v1::Coordinator::WithRawCallbackMethod_Join<v1::Coordinator::WithRawCallbackMethod_Heartbeat<
        v1::Coordinator::WithRawCallbackMethod_ReportJob<
            v1::Coordinator::WithRawCallbackMethod_Rendezvous<
                v1::Coordinator::WithRawCallbackMethod_FetchDataset<
                    v1::Coordinator::CallbackService>>>>>;

// Thread-safe. `workers`, `tokens` (may be null: every caller may) and
// `datasets` (may be null: no job has a dataset to fetch) must outlive it.
class CoordinatorService final : public CoordinatorServiceBase {
 public:
  // `dataset_chunk_bytes`: FetchDataset's content bytes per chunk.
  CoordinatorService(WorkerRegistry& workers, TokenAuthenticator* tokens,
                     DatasetStore* datasets = nullptr,
                     size_t dataset_chunk_bytes = kDatasetChunkBytes);

  grpc::ServerUnaryReactor* Join(grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw,
                                 grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* ReportJob(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* Rendezvous(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;
  // The dataset of the job attempt the request names (FetchDatasetReactor),
  // fenced as ReportJob: INVALID_ARGUMENT for a request without worker_id or
  // job_id, NOT_FOUND for an unknown worker, FAILED_PRECONDITION for an
  // attempt that is not its own or a job not on data.dataset_id, NOT_FOUND
  // when the dataset is no longer stored. Checked before anything is read.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* FetchDataset(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* raw) override;

 private:
  // FetchDataset's checks; the dataset's reader when they pass.
  engine::Result<std::unique_ptr<DatasetReader>> fetched_dataset(const Caller& caller,
                                                                 const grpc::ByteBuffer& raw);

  WorkerRegistry& workers_;
  TokenAuthenticator* const tokens_;
  DatasetStore* const datasets_;
  const size_t dataset_chunk_bytes_;
};

}  // namespace gradstream::server
