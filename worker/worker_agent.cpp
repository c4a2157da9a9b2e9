#include "worker/worker_agent.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "engine/base/json_text.hpp"
#include "server/log.hpp"
#include "worker/coordinator_store.hpp"

namespace gradstream::worker {
namespace {

using server::log_line;

// A failure no retry mends: a bad token, a role that may not, a bad request.
bool permanent(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::UNIMPLEMENTED:
      return true;
    default:
      return false;
  }
}

// Sleeps `span` in short pieces, so a raised `stop` ends it soon.
void sleep_unless(const std::atomic<bool>& stop, std::chrono::duration<double> span) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(span);
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
  }
}

std::string status_text(const grpc::Status& status) {
  return std::to_string(static_cast<int>(status.error_code())) + " " + status.error_message();
}

}  // namespace

WorkerAgent::WorkerAgent(WorkerOptions options, client::Connection& connection)
    : options_(std::move(options)),
      connection_(connection),
      stub_(v1::Coordinator::NewStub(connection.channel())) {}

WorkerAgent::~WorkerAgent() { reap(/*all=*/true); }

grpc::Status WorkerAgent::run(const std::atomic<bool>& stop) {
  if (grpc::Status joined = join(stop); !joined.ok()) return joined;
  bool unreachable = false;
  while (!stop.load()) {
    sleep_unless(stop, heartbeat_interval_);
    if (stop.load()) break;
    reap(/*all=*/false);
    const grpc::Status status = heartbeat();
    if (status.ok()) {
      if (unreachable) log_line("info", "coordinator reachable again");
      unreachable = false;
      continue;
    }
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      // Declared lost, or the coordinator restarted: what this worker trains
      // is not its own any more (join's answer says to drop it all).
      log_line("warning", "coordinator does not know this worker; joining again",
               ",\"error\":" + engine::json_quoted(status.error_message()));
      if (grpc::Status joined = join(stop); !joined.ok()) return joined;
      continue;
    }
    if (permanent(status)) return status;
    if (!unreachable) {
      log_line("warning", "heartbeat failed; training goes on, retrying",
               ",\"error\":" + engine::json_quoted(status_text(status)));
    }
    unreachable = true;
  }
  // Stopping: every job checkpoints and reports INTERRUPTED, so the
  // coordinator resumes it on another worker at once.
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, job] : jobs_) job->flags.interrupt.store(true);
  }
  reap(/*all=*/false);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (std::all_of(jobs_.begin(), jobs_.end(),
                      [](const auto& entry) { return entry.second->done.load(); })) {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  reap(/*all=*/true);
  return grpc::Status::OK;
}

grpc::Status WorkerAgent::join(const std::atomic<bool>& stop) {
  auto retry = kFirstJoinRetry;
  bool told = false;
  while (!stop.load()) {
    v1::JoinRequest request;
    *request.mutable_info() = options_.info;
    list_running(*request.mutable_running());
    v1::JoinResponse response;
    auto context = connection_.unary_context();
    const grpc::Status status = stub_->Join(context.get(), request, &response);
    if (status.ok()) {
      worker_id_ = response.worker_id();
      heartbeat_interval_ = std::chrono::duration<double>(response.heartbeat_seconds());
      for (const v1::WorkerJob& job : response.drop()) raise(job, &JobFlags::cancel, true);
      log_line("info", "joined",
               ",\"worker\":" + engine::json_quoted(options_.info.name()) +
                   ",\"worker_id\":" + engine::json_quoted(worker_id_) +
                   ",\"coordinator\":" + engine::json_quoted(connection_.options().server));
      return grpc::Status::OK;
    }
    if (permanent(status)) return connection_.explain(status);
    if (!told) {
      log_line("warning", "cannot join the coordinator yet; retrying",
               ",\"error\":" + engine::json_quoted(status_text(connection_.explain(status))));
      told = true;
    }
    sleep_unless(stop, retry);
    retry = std::min(retry * 2, kMostJoinRetry);
  }
  return grpc::Status::OK;
}

void WorkerAgent::list_running(google::protobuf::RepeatedPtrField<v1::WorkerJob>& out) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, job] : jobs_) {
    if (!job->done.load()) *out.Add() = job->id;
  }
}

grpc::Status WorkerAgent::heartbeat() {
  v1::HeartbeatRequest request;
  request.set_worker_id(worker_id_);
  list_running(*request.mutable_running());
  v1::HeartbeatResponse response;
  auto context = connection_.unary_context();
  const grpc::Status status = stub_->Heartbeat(context.get(), request, &response);
  if (status.ok()) apply(response);
  return status;
}

void WorkerAgent::apply(const v1::HeartbeatResponse& response) {
  for (const v1::WorkerJob& job : response.drop()) raise(job, &JobFlags::cancel, true);
  for (const v1::JobAssignment& assignment : response.start()) start(assignment);
  for (const v1::WorkerJob& job : response.cancel()) raise(job, &JobFlags::cancel, false);
  for (const v1::WorkerJob& job : response.interrupt()) raise(job, &JobFlags::interrupt, false);
}

void WorkerAgent::raise(const v1::WorkerJob& command, std::atomic<bool> JobFlags::*flag,
                        bool drop) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(command.job_id());
  if (it == jobs_.end() || it->second->id.attempt() != command.attempt()) return;
  if (drop) it->second->flags.dropped.store(true);
  (it->second->flags.*flag).store(true);
}

void WorkerAgent::start(const v1::JobAssignment& assignment) {
  std::unique_ptr<Job> earlier;
  {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(assignment.job_id());
    if (it != jobs_.end()) {
      // An earlier attempt of the same job: not this worker's any more.
      it->second->flags.dropped.store(true);
      it->second->flags.cancel.store(true);
      earlier = std::move(it->second);
      jobs_.erase(it);
    }
  }
  if (earlier) {
    if (earlier->thread.joinable()) earlier->thread.join();
    earlier.reset();
  }
  auto job = std::make_unique<Job>();
  job->id.set_job_id(assignment.job_id());
  job->id.set_attempt(assignment.attempt());
  job->outbox = std::make_unique<ReportOutbox>(
      [this](const v1::ReportJobRequest& request, v1::ReportJobResponse* response) {
        auto context = connection_.unary_context();
        return stub_->ReportJob(context.get(), request, response);
      },
      worker_id_, assignment.job_id(), assignment.attempt(), job->flags);
  log_line("info", "job started",
           ",\"job_id\":" + engine::json_quoted(assignment.job_id()) +
               ",\"attempt\":" + std::to_string(assignment.attempt()) +
               ",\"resume_candidates\":" + std::to_string(assignment.checkpoints_size()) +
               ",\"rank\":" + std::to_string(assignment.rank()) +
               ",\"world_size\":" + std::to_string(std::max<uint32_t>(1, assignment.world_size())));
  // A data-parallel rank meets the others through the coordinator, then over Gloo.
  CollectiveFactory connect =
      [this, worker_id = worker_id_](
          const v1::JobAssignment& rank) -> engine::Result<std::shared_ptr<engine::Collective>> {
    CoordinatorStore store(
        [this](const v1::RendezvousRequest& request, v1::RendezvousResponse* response) {
          auto context = connection_.unary_context();
          return stub_->Rendezvous(context.get(), request, response);
        },
        worker_id, rank.job_id(), rank.attempt());
    auto collective = engine::GlooCollective::connect(
        store, static_cast<int>(rank.rank()), static_cast<int>(rank.world_size()), options_.gloo);
    if (!collective.ok()) return collective.status();
    return std::shared_ptr<engine::Collective>(std::move(collective).value());
  };
  DatasetFetch fetch = dataset_fetch(worker_id_);
  Job* raw = job.get();
  job->thread = std::thread([raw, assignment, budget = options_.budget, connect, fetch] {
    run_assignment(assignment, budget, *raw->outbox, raw->flags, connect, fetch);
    raw->done.store(true);
  });
  std::lock_guard lock(mutex_);
  jobs_[assignment.job_id()] = std::move(job);
}

DatasetFetch WorkerAgent::dataset_fetch(const std::string& worker_id) {
  // A job on an uploaded dataset reads it from the coordinator, on a stream
  // without a deadline: a big dataset takes as long as it takes.
  return [this, worker_id](const v1::JobAssignment& job_assignment, const JobFlags& flags) {
    const auto begun = std::chrono::steady_clock::now();
    auto fetched = fetch_dataset(
        [this](const v1::FetchDatasetRequest& request, const ChunkSink& on_chunk) {
          auto context = connection_.stream_context();
          auto reader = stub_->FetchDataset(context.get(), request);
          v1::DatasetChunk chunk;
          while (reader->Read(&chunk)) {
            if (!on_chunk(chunk)) {
              context->TryCancel();
              break;
            }
          }
          return reader->Finish();
        },
        worker_id, job_assignment, flags);
    if (fetched.ok()) {
      log_line(
          "info", "dataset fetched",
          ",\"job_id\":" + engine::json_quoted(job_assignment.job_id()) +
              ",\"dataset_id\":" + engine::json_quoted(job_assignment.spec().data().dataset_id()) +
              ",\"samples\":" + std::to_string(fetched->data.count) + ",\"seconds\":" +
              std::to_string(
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count()));
    }
    return fetched;
  };
}

void WorkerAgent::reap(bool all) {
  std::vector<std::unique_ptr<Job>> ended;
  {
    std::lock_guard lock(mutex_);
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (all) {
        it->second->flags.dropped.store(true);
        it->second->flags.cancel.store(true);
      }
      if (all || it->second->done.load()) {
        ended.push_back(std::move(it->second));
        it = jobs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& job : ended) {
    if (job->thread.joinable()) job->thread.join();
    if (job->flags.dropped.load()) {
      log_line("info", "job dropped", ",\"job_id\":" + engine::json_quoted(job->id.job_id()));
    }
  }
}

}  // namespace gradstream::worker
