// One ListJobs page: at most a count of jobs and at most a byte budget of
// them, so no page passes the message limit however big its jobs' specs are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gradstream/v1/trainer.pb.h"

namespace gradstream::server {

// A page takes at most this share of the message limit: half, leaving room
// for the response's own fields and a job that grew since it was measured.
inline constexpr int64_t kPageShareOfMessage = 2;

size_t list_page_bytes(int64_t max_message_bytes);

// Appends jobs[start..] to `response` until `max_jobs` are in, or the next
// would take the page's serialized size past `max_bytes` (the first job of a
// page always goes in: a stored spec is at most a quarter of the limit, see
// job_admission.hpp). Returns the index after the last job added.
size_t fill_jobs_page(const std::vector<v1::Job>& jobs, size_t start, size_t max_jobs,
                      size_t max_bytes, v1::ListJobsResponse& response);

}  // namespace gradstream::server
