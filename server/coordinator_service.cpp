// CoordinatorService: every RPC authenticated, its role checked, its request
// parsed and validated, then answered by the worker registry (and, for
// FetchDataset, streamed from the dataset store).
#include "server/coordinator_service.hpp"

#include <exception>
#include <string>
#include <utility>

#include "server/call_auth.hpp"
#include "server/rejected_stream.hpp"

namespace gradstream::server {
namespace {

engine::Status may_coordinate(const Caller& caller) {
  if (caller.may_coordinate()) return engine::ok_status();
  return engine::permission_denied(
      "the Coordinator service is for workers: this token's role is user; give "
      "gradstream-worker a token of role worker (--auth-tokens)");
}

// `result`'s value into `response`, or its error.
template <class Response>
engine::Status answer(engine::Result<Response> result, Response& response) {
  if (!result.ok()) return result.status();
  response = std::move(result).value();
  return engine::ok_status();
}

}  // namespace

CoordinatorService::CoordinatorService(WorkerRegistry& workers, TokenAuthenticator* tokens,
                                       DatasetStore* datasets, size_t dataset_chunk_bytes)
    : workers_(workers),
      tokens_(tokens),
      datasets_(datasets),
      dataset_chunk_bytes_(dataset_chunk_bytes) {}

grpc::ServerUnaryReactor* CoordinatorService::Join(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* raw,
                                                   grpc::ByteBuffer* out) {
  return authenticated_unary<v1::JoinRequest, v1::JoinResponse>(
      tokens_, "Join", context, raw, out,
      [&](const Caller& caller, const v1::JoinRequest& request, v1::JoinResponse& response) {
        if (engine::Status s = may_coordinate(caller); !s.ok()) return s;
        return answer(workers_.join(request), response);
      });
}

grpc::ServerUnaryReactor* CoordinatorService::Heartbeat(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* raw,
                                                        grpc::ByteBuffer* out) {
  return authenticated_unary<v1::HeartbeatRequest, v1::HeartbeatResponse>(
      tokens_, "Heartbeat", context, raw, out,
      [&](const Caller& caller, const v1::HeartbeatRequest& request,
          v1::HeartbeatResponse& response) {
        if (engine::Status s = may_coordinate(caller); !s.ok()) return s;
        return answer(workers_.heartbeat(request), response);
      });
}

grpc::ServerUnaryReactor* CoordinatorService::ReportJob(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* raw,
                                                        grpc::ByteBuffer* out) {
  return authenticated_unary<v1::ReportJobRequest, v1::ReportJobResponse>(
      tokens_, "ReportJob", context, raw, out,
      [&](const Caller& caller, v1::ReportJobRequest& request, v1::ReportJobResponse& response) {
        if (engine::Status s = may_coordinate(caller); !s.ok()) return s;
        // The reports move into the job's mailbox, not copied: the request is this call's.
        return answer(workers_.report(request), response);
      });
}

grpc::ServerUnaryReactor* CoordinatorService::Rendezvous(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* raw,
                                                         grpc::ByteBuffer* out) {
  return authenticated_unary<v1::RendezvousRequest, v1::RendezvousResponse>(
      tokens_, "Rendezvous", context, raw, out,
      [&](const Caller& caller, const v1::RendezvousRequest& request,
          v1::RendezvousResponse& response) {
        if (engine::Status s = may_coordinate(caller); !s.ok()) return s;
        return answer(workers_.rendezvous(request), response);
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* CoordinatorService::FetchDataset(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  using Rejected = RejectedStream<grpc::ServerWriteReactor<grpc::ByteBuffer>>;
  std::unique_ptr<DatasetReader> reader;
  const grpc::Status status = guarded("FetchDataset", [&] {
    engine::Result<Caller> caller = authenticate_call(tokens_, *context);
    if (!caller.ok()) return caller.status();
    auto opened = fetched_dataset(*caller, *raw);
    if (!opened.ok()) return opened.status();
    reader = std::move(opened).value();
    return engine::ok_status();
  });
  if (!status.ok()) return new Rejected(status);
  try {
    return new FetchDatasetReactor(std::move(reader), dataset_chunk_bytes_);
  } catch (const std::exception& e) {
    return new Rejected(
        grpc::Status(grpc::StatusCode::INTERNAL, std::string("FetchDataset: ") + e.what()));
  }
}

engine::Result<std::unique_ptr<DatasetReader>> CoordinatorService::fetched_dataset(
    const Caller& caller, const grpc::ByteBuffer& raw) {
  if (engine::Status s = may_coordinate(caller); !s.ok()) return s;
  v1::FetchDatasetRequest request;
  if (engine::Status s = parse_request(raw, request); !s.ok()) return s;
  if (request.worker_id().empty()) return engine::invalid_argument("worker_id: must be set");
  if (request.job_id().empty()) return engine::invalid_argument("job_id: must be set");
  engine::Result<std::string> id = workers_.dataset_of(request);
  if (!id.ok()) return id.status();
  if (datasets_ == nullptr) {
    return engine::not_found("data.dataset_id: \"" + *id +
                             "\" not found; this server stores no datasets");
  }
  return DatasetReader::open(*datasets_, *id);
}

}  // namespace gradstream::server
