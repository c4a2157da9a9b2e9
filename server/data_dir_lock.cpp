// DataDirLock: flock on <data_dir>/server.lock, with the holder's pid written
// in the file so the error can name it.
#include "server/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace gradstream::server {

namespace {

// The pid the current holder wrote, or "" when unreadable.
std::string holder_pid(int fd) {
  char buffer[32] = {};
  const ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return "";
  std::string pid(buffer, static_cast<size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

}  // namespace

engine::Result<std::unique_ptr<DataDirLock>> DataDirLock::acquire(const std::string& data_dir) {
  const std::string path = (std::filesystem::path(data_dir) / kDataDirLockFile).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return engine::failed_precondition("data_dir: cannot open " + path + ": " +
                                       std::strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string pid = holder_pid(fd);
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return engine::failed_precondition(
          "data_dir: " + data_dir + " is in use by another gradstream-server" +
          (pid.empty() ? "" : " (pid " + pid + ")") + "; give each server its own --data-dir");
    }
    return engine::failed_precondition("data_dir: cannot lock " + path + ": " +
                                       std::strerror(error));
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the error message would lack it.
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() { ::close(fd_); }  // closing releases the lock

}  // namespace gradstream::server
