// Dataset owner files and the per-tenant byte count.
#include "server/dataset_owners.hpp"

#include <fstream>

namespace gradstream::server {

namespace fs = std::filesystem;

engine::Status add_dataset_owner(const fs::path& dataset_dir, const std::string& tenant) {
  if (tenant.empty()) return engine::ok_status();
  const fs::path dir = dataset_dir / kOwnersSubdir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::ofstream marker(dir / tenant, std::ios::binary | std::ios::app);
  if (ec || !marker) {
    return engine::internal_error("datasets: cannot write " + (dir / tenant).string());
  }
  return engine::ok_status();
}

bool is_dataset_owner(const fs::path& dataset_dir, const std::string& tenant) {
  std::error_code ec;
  return !tenant.empty() && fs::exists(dataset_dir / kOwnersSubdir / tenant, ec);
}

void TenantBytes::add_stored(const std::string& tenant, int64_t bytes) {
  std::lock_guard lock(mutex_);
  stored_[tenant] += bytes;
}

engine::Status TenantBytes::reserve(const std::string& tenant, int64_t bytes) {
  std::lock_guard lock(mutex_);
  const int64_t held = stored_[tenant] + reserved_[tenant];
  if (limit_ > 0 && held + bytes > limit_) {
    return engine::resource_exhausted(
        "tenant \"" + tenant + "\" stores " + std::to_string(held) +
        " bytes of datasets (uploads in progress included); " + std::to_string(bytes) +
        " more would pass its limit (--tenant-max-dataset-bytes " + std::to_string(limit_) + ")");
  }
  reserved_[tenant] += bytes;
  return engine::ok_status();
}

void TenantBytes::settle(const std::string& tenant, int64_t reserved, int64_t newly_stored) {
  std::lock_guard lock(mutex_);
  reserved_[tenant] -= reserved;
  stored_[tenant] += newly_stored;
}

int64_t TenantBytes::stored(const std::string& tenant) const {
  std::lock_guard lock(mutex_);
  auto it = stored_.find(tenant);
  return it == stored_.end() ? 0 : it->second;
}

}  // namespace gradstream::server
