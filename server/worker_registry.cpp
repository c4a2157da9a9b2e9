#include "server/worker_registry.hpp"

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "engine/base/field_checks.hpp"
#include "engine/base/json_text.hpp"
#include "server/log.hpp"

namespace gradstream::server {
namespace {

using Clock = std::chrono::steady_clock;

// 8 hex digits that tell this server process's worker ids from an earlier one's.
std::string instance_tag() {
  std::random_device device;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag;
  for (uint32_t bits = device(), i = 0; i < 8; ++i, bits >>= 4) tag += kHex[bits & 15U];
  return tag;
}

double seconds_since(Clock::time_point then) {
  return std::chrono::duration<double>(Clock::now() - then).count();
}

engine::Status not_joined(const std::string& id) {
  return engine::not_found("worker_id: \"" + id +
                           "\" is not joined (declared lost, or the server restarted); "
                           "join again");
}

v1::WorkerJob worker_job(const std::string& job_id, uint64_t attempt) {
  v1::WorkerJob job;
  job.set_job_id(job_id);
  job.set_attempt(attempt);
  return job;
}

}  // namespace

engine::Status validate_worker_options(const WorkerRegistryOptions& options) {
  if (!(options.heartbeat_seconds >= kMinHeartbeatSeconds)) {
    return engine::invalid_argument(
        "heartbeat_seconds: " + std::to_string(options.heartbeat_seconds) +
        " is below the least, " + std::to_string(kMinHeartbeatSeconds));
  }
  const double least_lost = kMinHeartbeatsBeforeLost * options.heartbeat_seconds;
  if (!(options.lost_after_seconds >= least_lost &&
        options.lost_after_seconds <= kMaxWorkerLostSeconds)) {
    return engine::invalid_argument(
        "worker_lost_seconds: " + std::to_string(options.lost_after_seconds) + " must be in [" +
        std::to_string(least_lost) + " (two heartbeats), " + std::to_string(kMaxWorkerLostSeconds) +
        "]");
  }
  return engine::ok_status();
}

WorkerRegistry::WorkerRegistry(WorkerRegistryOptions options, WorkerMetrics* metrics)
    : options_(options), metrics_(metrics), instance_(instance_tag()) {
  watcher_ = std::thread([this] { watch_loop(); });
}

WorkerRegistry::~WorkerRegistry() { stop(); }

void WorkerRegistry::on_room(std::function<void()> listener) {
  std::lock_guard lock(listener_mutex_);
  room_listener_ = std::move(listener);
}

void WorkerRegistry::notify_room() {
  std::lock_guard lock(listener_mutex_);
  if (room_listener_) room_listener_();
}

engine::Result<v1::JoinResponse> WorkerRegistry::join(const v1::JoinRequest& request) {
  const v1::WorkerInfo& info = request.info();
  if (engine::Status s = engine::first_error(
          {engine::non_empty("info.name", info.name()),
           engine::check_name("info.name", info.name()),
           engine::check_count("info.max_jobs", info.max_jobs(), 1, kMaxWorkerJobs),
           engine::check_count("info.threads_per_job", info.threads_per_job(), 1,
                               std::max<uint32_t>(1, info.cores()))});
      !s.ok()) {
    return s;
  }
  v1::JoinResponse response;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return engine::unavailable("the server is shutting down; join again later");
    // The same name again: that worker restarted (a pod rescheduled under its
    // name) and what the old membership held is lost.
    for (auto it = workers_.begin(); it != workers_.end(); ++it) {
      if (it->second.info.name() == info.name()) {
        log_line("warning", "worker joined again under its name; its old membership is lost",
                 ",\"worker\":" + engine::json_quoted(info.name()));
        lose_worker(it);
        break;
      }
    }
    Worker worker;
    worker.id = "w-" + instance_ + "-" + std::to_string(next_worker_++);
    worker.info = info;
    worker.last_seen = Clock::now();
    response.set_worker_id(worker.id);
    workers_.emplace(worker.id, std::move(worker));
    if (metrics_ != nullptr) metrics_->joined(info.name());
  }
  response.set_heartbeat_seconds(options_.heartbeat_seconds);
  response.set_lost_after_seconds(options_.lost_after_seconds);
  // A new membership holds nothing: whatever it still trains is not its own.
  for (const v1::WorkerJob& job : request.running()) *response.add_drop() = job;
  log_line("info", "worker joined",
           ",\"worker\":" + engine::json_quoted(info.name()) +
               ",\"worker_id\":" + engine::json_quoted(response.worker_id()) + ",\"cores\":" +
               std::to_string(info.cores()) + ",\"max_jobs\":" + std::to_string(info.max_jobs()) +
               ",\"isa\":" + engine::json_quoted(info.isa()));
  notify_room();
  return response;
}

engine::Result<v1::HeartbeatResponse> WorkerRegistry::heartbeat(
    const v1::HeartbeatRequest& request) {
  v1::HeartbeatResponse response;
  std::lock_guard lock(mutex_);
  Worker* worker = find(request.worker_id());
  if (worker == nullptr) return not_joined(request.worker_id());
  worker->last_seen = Clock::now();
  while (!worker->to_start.empty()) {
    *response.add_start() = std::move(worker->to_start.front());
    worker->to_start.pop_front();
  }
  for (const auto& [job_id, run] : worker->runs) {
    if (run->cancel_requested()) *response.add_cancel() = worker_job(job_id, run->attempt());
    if (run->interrupt_requested()) *response.add_interrupt() = worker_job(job_id, run->attempt());
  }
  for (const v1::WorkerJob& job : request.running()) {
    auto it = worker->runs.find(job.job_id());
    if (it == worker->runs.end() || it->second->attempt() != job.attempt()) {
      *response.add_drop() = job;
    }
  }
  return response;
}

engine::Result<std::shared_ptr<RemoteRun>> WorkerRegistry::run_of(const std::string& worker_id,
                                                                  const std::string& job_id,
                                                                  uint64_t attempt) {
  std::lock_guard lock(mutex_);
  return held_run(worker_id, job_id, attempt);
}

engine::Result<std::shared_ptr<RemoteRun>> WorkerRegistry::held_run(const std::string& worker_id,
                                                                    const std::string& job_id,
                                                                    uint64_t attempt) {
  Worker* worker = find(worker_id);
  if (worker == nullptr) return not_joined(worker_id);
  worker->last_seen = Clock::now();
  auto it = worker->runs.find(job_id);
  if (it == worker->runs.end() || it->second->attempt() != attempt) {
    return engine::failed_precondition("job_id: \"" + job_id + "\" attempt " +
                                       std::to_string(attempt) +
                                       " is not this worker's (it moved, or ended); drop it");
  }
  return it->second;
}

engine::Result<v1::ReportJobResponse> WorkerRegistry::report(v1::ReportJobRequest& request) {
  auto run = run_of(request.worker_id(), request.job_id(), request.attempt());
  if (!run.ok()) return run.status();
  // Outside the registry's lock: delivering wakes the job's dispatcher.
  if (engine::Status s = (*run)->deliver(request.first_report(), request.mutable_reports());
      !s.ok()) {
    return s;
  }
  v1::ReportJobResponse response;
  response.set_cancel((*run)->cancel_requested());
  response.set_interrupt((*run)->interrupt_requested());
  return response;
}

engine::Result<v1::RendezvousResponse> WorkerRegistry::rendezvous(
    const v1::RendezvousRequest& request) {
  auto run = run_of(request.worker_id(), request.job_id(), request.attempt());
  if (!run.ok()) return run.status();
  RunGroup* group = (*run)->group();
  if (group == nullptr) {
    return engine::failed_precondition("job_id: \"" + request.job_id() +
                                       "\" is not data-parallel: it has no rendezvous");
  }
  auto values = group->rendezvous(request.set(), request.get());
  if (!values.ok()) return values.status();
  v1::RendezvousResponse response;
  for (auto& [key, value] : *values) (*response.mutable_values())[key] = std::move(value);
  return response;
}

engine::Result<std::string> WorkerRegistry::dataset_of(const v1::FetchDatasetRequest& request) {
  // Fenced and looked up under one lock: the attempt cannot change between.
  std::lock_guard lock(mutex_);
  auto run = held_run(request.worker_id(), request.job_id(), request.attempt());
  if (!run.ok()) return run.status();
  const Worker& worker = *find(request.worker_id());
  const auto it = worker.datasets.find(request.job_id());
  if (it == worker.datasets.end()) {
    return engine::failed_precondition("job_id: \"" + request.job_id() +
                                       "\" does not train on an uploaded dataset "
                                       "(data.dataset_id): it has none to fetch");
  }
  return it->second;
}

bool WorkerRegistry::has_room(uint32_t ranks) const {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  const auto roomy = std::count_if(workers_.begin(), workers_.end(),
                                   [&](const auto& entry) { return free_slots(entry.second) > 0; });
  return static_cast<uint32_t>(roomy) >= std::max<uint32_t>(1, ranks);
}

std::shared_ptr<RemoteRun> WorkerRegistry::reserve(const std::string& job_id, uint64_t attempt,
                                                   const std::atomic<bool>* cancel,
                                                   const std::atomic<bool>* interrupt) {
  auto runs = reserve_group(job_id, attempt, 1, cancel, interrupt);
  return runs.empty() ? nullptr : runs.front();
}

std::vector<std::shared_ptr<RemoteRun>> WorkerRegistry::reserve_group(
    const std::string& job_id, uint64_t attempt, uint32_t ranks, const std::atomic<bool>* cancel,
    const std::atomic<bool>* interrupt) {
  std::lock_guard lock(mutex_);
  if (stopping_) return {};
  std::vector<Worker*> roomy;
  for (auto& [id, worker] : workers_) {
    if (free_slots(worker) > 0) roomy.push_back(&worker);
  }
  ranks = std::max<uint32_t>(1, ranks);
  if (roomy.size() < ranks) return {};
  // The most free slots first; ties in id order (the map's), so the choice is stable.
  std::stable_sort(roomy.begin(), roomy.end(), [&](const Worker* a, const Worker* b) {
    return free_slots(*a) > free_slots(*b);
  });
  auto group = ranks > 1 ? std::make_shared<RunGroup>() : nullptr;
  std::vector<std::shared_ptr<RemoteRun>> runs;
  for (uint32_t rank = 0; rank < ranks; ++rank) {
    Worker& worker = *roomy[rank];
    auto run = std::make_shared<RemoteRun>(job_id, attempt, worker.id, worker.info.name(), cancel,
                                           interrupt, rank, group);
    if (group != nullptr) group->add(run);
    worker.runs[job_id] = run;
    worker.datasets.erase(job_id);  // an earlier attempt's
    if (metrics_ != nullptr) metrics_->set_jobs(worker.info.name(), worker.runs.size());
    runs.push_back(std::move(run));
  }
  return runs;
}

void WorkerRegistry::assign(const std::shared_ptr<RemoteRun>& run, v1::JobAssignment assignment) {
  std::lock_guard lock(mutex_);
  Worker* worker = find(run->worker_id());
  if (worker == nullptr || run->lost()) return;
  if (assignment.spec().data().source_case() == v1::DataSpec::kDatasetId)
    worker->datasets[run->job_id()] = assignment.spec().data().dataset_id();
  worker->to_start.push_back(std::move(assignment));
}

void WorkerRegistry::release(const RemoteRun& run) {
  {
    std::lock_guard lock(mutex_);
    Worker* worker = find(run.worker_id());
    if (worker == nullptr) return;  // lost meanwhile: its runs went with it
    auto it = worker->runs.find(run.job_id());
    if (it == worker->runs.end() || it->second.get() != &run) return;
    worker->runs.erase(it);
    worker->datasets.erase(run.job_id());
    if (metrics_ != nullptr) metrics_->set_jobs(worker->info.name(), worker->runs.size());
  }
  notify_room();
}

size_t WorkerRegistry::workers() const {
  std::lock_guard lock(mutex_);
  return workers_.size();
}

WorkerRegistry::Room WorkerRegistry::room() const {
  std::lock_guard lock(mutex_);
  Room room;
  room.joined = workers_.size();
  room.with_room =
      static_cast<size_t>(std::count_if(workers_.begin(), workers_.end(), [&](const auto& entry) {
        return free_slots(entry.second) > 0;
      }));
  return room;
}

void WorkerRegistry::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  std::lock_guard lock(mutex_);
  while (!workers_.empty()) lose_worker(workers_.begin());
}

WorkerRegistry::Worker* WorkerRegistry::find(const std::string& id) {
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : &it->second;
}

uint32_t WorkerRegistry::free_slots(const Worker& worker) const {
  const auto held = static_cast<uint32_t>(worker.runs.size());
  return held >= worker.info.max_jobs() ? 0 : worker.info.max_jobs() - held;
}

void WorkerRegistry::lose_worker(std::map<std::string, Worker>::iterator it) {
  for (auto& [job_id, run] : it->second.runs) run->lose();
  if (metrics_ != nullptr) metrics_->left(it->second.info.name());
  workers_.erase(it);
}

void WorkerRegistry::watch_loop() {
  const auto tick = std::chrono::duration<double>(
      std::min(options_.heartbeat_seconds, options_.lost_after_seconds / 4));
  std::unique_lock lock(mutex_);
  while (!stop_.wait_for(lock, tick, [&] { return stopping_; })) {
    for (auto it = workers_.begin(); it != workers_.end();) {
      const double age = seconds_since(it->second.last_seen);
      if (age < options_.lost_after_seconds) {
        if (metrics_ != nullptr) metrics_->set_heartbeat_age(it->second.info.name(), age);
        ++it;
        continue;
      }
      log_line("warning", "worker lost",
               ",\"worker\":" + engine::json_quoted(it->second.info.name()) +
                   ",\"jobs\":" + std::to_string(it->second.runs.size()) +
                   ",\"silent_seconds\":" + std::to_string(age));
      if (metrics_ != nullptr) metrics_->count_lost();
      lose_worker(it++);
    }
  }
}

}  // namespace gradstream::server
