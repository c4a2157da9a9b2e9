#include "worker/coordinator_store.hpp"

#include <gloo/common/error.h>

#include <algorithm>
#include <thread>
#include <utility>

namespace gradstream::worker {

CoordinatorStore::CoordinatorStore(Call call, std::string worker_id, std::string job_id,
                                   uint64_t attempt)
    : call_(std::move(call)),
      worker_id_(std::move(worker_id)),
      job_id_(std::move(job_id)),
      attempt_(attempt) {}

v1::RendezvousRequest CoordinatorStore::request() const {
  v1::RendezvousRequest request;
  request.set_worker_id(worker_id_);
  request.set_job_id(job_id_);
  request.set_attempt(attempt_);
  return request;
}

void CoordinatorStore::set(const std::string& key, const std::vector<char>& data) {
  v1::RendezvousRequest request = this->request();
  (*request.mutable_set())[key] = std::string(data.begin(), data.end());
  v1::RendezvousResponse response;
  const grpc::Status status = call_(request, &response);
  if (!status.ok()) {
    throw gloo::IoException("rendezvous: setting \"" + key + "\": " + status.error_message());
  }
}

void CoordinatorStore::fetch(const std::vector<std::string>& keys) {
  v1::RendezvousRequest request = this->request();
  for (const std::string& key : keys) {
    if (!seen_.contains(key)) request.add_get(key);
  }
  if (request.get_size() == 0) return;
  v1::RendezvousResponse response;
  const grpc::Status status = call_(request, &response);
  // Unreachable for a moment (a restarting coordinator): the wait goes on.
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) return;
  if (!status.ok()) throw gloo::IoException("rendezvous: " + status.error_message());
  for (const auto& [key, value] : response.values()) seen_.emplace(key, value);
}

std::vector<char> CoordinatorStore::get(const std::string& key) {
  wait({key});
  const std::string& value = seen_.at(key);
  return std::vector<char>(value.begin(), value.end());
}

void CoordinatorStore::wait(const std::vector<std::string>& keys) {
  wait(keys, Store::kDefaultTimeout);
}

void CoordinatorStore::wait(const std::vector<std::string>& keys,
                            const std::chrono::milliseconds& timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    fetch(keys);
    if (std::all_of(keys.begin(), keys.end(),
                    [&](const std::string& key) { return seen_.contains(key); })) {
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw gloo::IoException("rendezvous: the other ranks did not arrive within " +
                              std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(kRendezvousPoll);
  }
}

}  // namespace gradstream::worker
