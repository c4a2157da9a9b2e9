// JobManager: job ids, and what it keeps per tenant: who owns a job, the
// idempotency keys' slots and which queued job a worker may start.
#include <sys/random.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "server/job_manager.hpp"
#include "server/job_manager_record.hpp"

namespace gradstream::server {

namespace {

// "job-" + 128 random bits from the kernel (getrandom) as hex: an id cannot
// be guessed, so knowing one's own ids tells nothing of another tenant's, and
// ids do not reveal how many jobs exist.
constexpr size_t kJobIdRandomBytes = 16;

}  // namespace

engine::Result<std::string> JobManager::tenant_of(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return job_not_found(id);
  return it->second->job.tenant();
}

std::string JobManager::new_job_id() {
  for (;;) {
    unsigned char bytes[kJobIdRandomBytes];
    if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
      throw std::runtime_error("getrandom failed: no random job id");
    }
    std::string id = "job-";
    for (unsigned char byte : bytes) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", byte);
      id += hex;
    }
    if (!jobs_.contains(id)) return id;
  }
}

std::string JobManager::idempotency_slot(const std::string& tenant, const std::string& key) {
  // '/' is not a name character, so no tenant's slot is another's.
  return tenant + '/' + key;
}

std::deque<std::shared_ptr<JobManager::JobRecord>>::iterator JobManager::next_runnable(
    Runner runner) {
  return std::find_if(queue_.begin(), queue_.end(), [&](const auto& record) {
    if (record->row_pending) return false;
    const v1::TrainingSpec& spec = record->job.spec();
    const uint32_t ranks = ranks_of(spec);
    if (runner == Runner::kLocal) {
      // A data-parallel job trains on its ranks' workers only.
      if (ranks > 1) return false;
    } else {
      if (!remote_->has_room(ranks)) return false;
    }
    if (tenant_limits_.max_running_jobs == 0) return true;
    auto running = running_by_tenant_.find(record->job.tenant());
    return running == running_by_tenant_.end() || running->second < tenant_limits_.max_running_jobs;
  });
}

}  // namespace gradstream::server
