// The JoinRequest of a test worker: one core, one thread per job, `max_jobs`
// slots. The registry, the manager and the Coordinator service tests join
// their workers with it.
#pragma once

#include <cstdint>
#include <string>

#include "gradstream/v1/worker.pb.h"

namespace gradstream::server::worker_test {

inline v1::JoinRequest join_request(const std::string& name, uint32_t max_jobs = 1) {
  v1::JoinRequest request;
  request.mutable_info()->set_name(name);
  request.mutable_info()->set_cores(1);
  request.mutable_info()->set_max_jobs(max_jobs);
  request.mutable_info()->set_threads_per_job(1);
  return request;
}

}  // namespace gradstream::server::worker_test
