// Which tenants own a stored dataset, and how many bytes each tenant stores.
//
// A dataset's owners are empty files <dataset dir>/owners/<tenant>: the
// tenants that uploaded it (the same content uploaded by two tenants is one
// dataset with two owners). A server without tokens uploads as the anonymous
// tenant "", which writes no file: such datasets are seen by admins only once
// tokens are turned on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "engine/base/status.hpp"

namespace gradstream::server {

inline constexpr char kOwnersSubdir[] = "owners";

// Records `tenant` as an owner of the dataset in `dataset_dir` (nothing for
// ""); internal_error naming the file when it cannot be written.
engine::Status add_dataset_owner(const std::filesystem::path& dataset_dir,
                                 const std::string& tenant);
bool is_dataset_owner(const std::filesystem::path& dataset_dir, const std::string& tenant);

// Thread-safe. Bytes each tenant's stored datasets take, plus what its
// uploads in progress may still add (reserved when an upload's header is
// accepted), against one per-tenant limit (0: none).
class TenantBytes {
 public:
  explicit TenantBytes(int64_t limit) : limit_(limit) {}

  // Counts a stored dataset of `bytes` against `tenant` (opening the store).
  void add_stored(const std::string& tenant, int64_t bytes);
  // Reserves `bytes` for an upload; resource_exhausted naming the limit's
  // flag when the tenant's stored and reserved bytes would pass it.
  engine::Status reserve(const std::string& tenant, int64_t bytes);
  // An upload ended: its reservation is let go, and when it added a dataset
  // the tenant did not own before, that dataset's bytes count as stored.
  void settle(const std::string& tenant, int64_t reserved, int64_t newly_stored);
  int64_t stored(const std::string& tenant) const;

 private:
  const int64_t limit_;
  mutable std::mutex mutex_;
  std::map<std::string, int64_t> stored_;
  std::map<std::string, int64_t> reserved_;
};

}  // namespace gradstream::server
