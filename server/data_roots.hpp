// DataRoots: the directories (--data-root) a job's server-side files
// (data.files) may come from. Every path is resolved (made absolute, `..`
// folded, symlinks followed) and must then lie inside one of them; a server
// with none refuses every data.files path.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::server {

inline constexpr char kDataRootFlag[] = "--data-root";

class DataRoots {
 public:
  // No roots: every server-side file is refused.
  DataRoots() = default;

  // Each of `dirs` resolved to its canonical path; invalid_argument naming
  // --data-root for one that is empty, missing or not a directory.
  static engine::Result<DataRoots> create(const std::vector<std::string>& dirs);

  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }

  // `path` (the request's, for the spec field `field`) resolved: made
  // absolute against the working directory, `..` folded lexically (so no
  // directory outside a root is ever walked through), then every symlink
  // followed. Inside a root (component-wise: /data2 is not inside /data):
  // the canonical path, or not_found when it does not exist. Anywhere else,
  // existing or not: permission_denied, the same answer for both, so the
  // reply never tells whether a path outside the roots exists.
  engine::Result<std::string> resolve(const std::string& field, const std::string& path) const;

  // For CreateJob, before any file is opened: every path of `files` replaced
  // by resolve's, so the job, its resume and its fingerprints all name the
  // file checked here. An unset format is fixed from the paths as given (a
  // symlink x.csv -> data.bin is still read as CSV).
  engine::Status resolve_files(v1::FileSource& files) const;

  // When the job starts (again after a restart): every path must still be
  // the canonical path of a file inside a root. A path swapped for a symlink
  // since CreateJob, a root no longer given, or a job stored before its
  // paths were resolved is permission_denied naming the file and --data-root.
  engine::Status check_resolved(const v1::FileSource& files) const;

 private:
  bool contains(const std::filesystem::path& resolved) const;

  std::vector<std::filesystem::path> dirs_;
};

}  // namespace gradstream::server
