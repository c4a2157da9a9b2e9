// DataDirLock: one server per data directory. Two servers on one directory
// would each take the other's unfinished jobs for a killed server's (see
// JobStore) and fail them, so the second one refuses to start instead.
// An flock(2) on <data_dir>/server.lock, held for the server's lifetime; the
// kernel drops it when the process dies, however it dies.
#pragma once

#include <memory>
#include <string>

#include "engine/base/status.hpp"

namespace gradstream::server {

inline constexpr const char* kDataDirLockFile = "server.lock";

class DataDirLock {
 public:
  // failed_precondition naming the directory (and the pid that holds it, when
  // known) if another process holds the lock, or the file cannot be opened.
  static engine::Result<std::unique_ptr<DataDirLock>> acquire(const std::string& data_dir);
  ~DataDirLock();

  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace gradstream::server
