// DataRoots: resolving data.files paths with std::filesystem (canonical for
// an existing file, weakly_canonical to place a missing one) and checking
// them against the canonical roots component by component.
#include "server/data_roots.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

#include "engine/base/json_text.hpp"
#include "engine/data/file_source.hpp"
#include "server/data_file_roles.hpp"

namespace gradstream::server {

namespace fs = std::filesystem;

namespace {

std::string no_roots(const std::string& field, const std::string& path) {
  return field + ": " + engine::json_quoted(path) +
         ": server-side files are not allowed: start the server with " + kDataRootFlag +
         " DIR to allow a directory";
}

std::string outside_roots(const std::string& field, const std::string& path) {
  return field + ": " + engine::json_quoted(path) + " is outside every " + kDataRootFlag +
         " directory of this server";
}

// `path` made absolute and `..` folded away without touching the file system.
engine::Result<fs::path> normal_absolute(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) return engine::internal_error("cannot make " + path + " absolute: " + ec.message());
  return absolute.lexically_normal();
}

}  // namespace

engine::Result<DataRoots> DataRoots::create(const std::vector<std::string>& dirs) {
  DataRoots roots;
  for (const std::string& dir : dirs) {
    const std::string where = std::string(kDataRootFlag) + " " + engine::json_quoted(dir);
    if (dir.empty())
      return engine::invalid_argument(std::string(kDataRootFlag) + ": empty; want a directory");
    std::error_code ec;
    fs::path resolved = fs::canonical(dir, ec);
    if (ec) return engine::invalid_argument(where + ": " + ec.message());
    if (!fs::is_directory(resolved, ec))
      return engine::invalid_argument(where + ": not a directory");
    roots.dirs_.push_back(std::move(resolved));
  }
  return roots;
}

bool DataRoots::contains(const fs::path& resolved) const {
  return std::any_of(dirs_.begin(), dirs_.end(), [&](const fs::path& root) {
    // Whole components: /data2/x shares the characters of /data, not its first component.
    auto [root_end, path_end] =
        std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end());
    return root_end == root.end();
  });
}

engine::Result<std::string> DataRoots::resolve(const std::string& field,
                                               const std::string& path) const {
  if (dirs_.empty()) return engine::permission_denied(no_roots(field, path));
  if (path.find('\0') != std::string::npos)
    return engine::invalid_argument(field + ": contains a NUL byte");
  auto normal = normal_absolute(path);
  if (!normal.ok()) return normal.status();
  std::error_code ec;
  const fs::path resolved = fs::canonical(*normal, ec);
  if (!ec) {
    if (contains(resolved)) return resolved.string();
    return engine::permission_denied(outside_roots(field, path));
  }
  // Not resolvable. Only a path whose existing part leads into a root learns
  // why; elsewhere the answer is the one an existing file gets.
  std::error_code placed_ec;
  const fs::path placed = fs::weakly_canonical(*normal, placed_ec);
  if (placed_ec || !contains(placed)) return engine::permission_denied(outside_roots(field, path));
  if (ec == std::errc::no_such_file_or_directory)
    return engine::not_found(field + ": " + path + ": no such file");
  return engine::not_found(field + ": " + path + ": cannot resolve: " + ec.message());
}

engine::Status DataRoots::resolve_files(v1::FileSource& files) const {
  std::vector<std::pair<std::string*, std::string>> resolved;
  for (const DataFileRole& role : kDataFileRoles) {
    const std::string& path = (files.*role.path)();
    if (path.empty()) continue;
    auto now = resolve(data_file_field(role.role), path);
    if (!now.ok()) return now.status();
    resolved.emplace_back((files.*role.mutable_path)(), std::move(now).value());
  }
  if (files.format() == v1::FORMAT_UNSPECIFIED && !files.train_features().empty()) {
    auto train = engine::file_format(files, "train");
    if (!train.ok()) return train.status();
    if (!files.test_features().empty()) {
      auto test = engine::file_format(files, "test");
      if (!test.ok()) return test.status();
      if (*test != *train) {
        return engine::invalid_argument(
            "data.files.format: unset, and train_features and test_features imply different "
            "formats; set it");
      }
    }
    files.set_format(*train);
  }
  for (auto& [field, path] : resolved) *field = std::move(path);
  return engine::ok_status();
}

engine::Status DataRoots::check_resolved(const v1::FileSource& files) const {
  for (const DataFileRole& role : kDataFileRoles) {
    const std::string& path = (files.*role.path)();
    if (path.empty()) continue;
    const std::string field = data_file_field(role.role);
    auto now = resolve(field, path);
    if (!now.ok()) return now.status();
    if (*now != path) {
      return engine::permission_denied(
          field + ": " + engine::json_quoted(path) + " no longer resolves to itself inside a " +
          kDataRootFlag +
          " directory (a symlink or .. on the way changed since the job was created, or the job "
          "predates " +
          kDataRootFlag + "); submit it again");
    }
  }
  return engine::ok_status();
}

}  // namespace gradstream::server
