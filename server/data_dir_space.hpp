// The data directory's space: the error a client gets when a write fails for
// lack of it, and what the directory holds (for /metrics).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/base/status.hpp"

namespace gradstream::server {

// errno values that mean the volume (or the user's quota on it) is full.
bool is_out_of_space(int error_number);

// resource_exhausted "data dir <data_dir> is full: <doing>; ...": a client can
// act on it (free space, or retry later), unlike an INTERNAL.
engine::Status data_dir_full(const std::filesystem::path& data_dir, const std::string& doing);

struct DataDirUsage {
  uint64_t job_store_bytes = 0;  // jobs.sqlite and its WAL and shared-memory files
  uint64_t dataset_bytes = 0;    // every file under datasets/, uploads in progress included
  uint64_t free_bytes = 0;       // available to the server on the volume (statvfs f_bavail)
};

// Measured now: a stat per file, so cheap at a scrape's pace (one directory
// per stored dataset). What cannot be read counts as 0.
DataDirUsage measure_data_dir(const std::filesystem::path& data_dir);

}  // namespace gradstream::server
