// TempDir: the scratch directory a test writes its files in. Each one is new
// and unique under the system temp directory (mkdtemp, so tests running in
// parallel processes never share one) and is removed, with everything in it,
// when the TempDir goes away.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace gradstream::test_support {

class TempDir {
 public:
  // Makes <system temp>/gradstream_<prefix>_XXXXXX.
  explicit TempDir(std::string_view prefix = "test") {
    const std::string pattern =
        (std::filesystem::temp_directory_path() / ("gradstream_" + std::string(prefix) + "_XXXXXX"))
            .string();
    std::vector<char> name(pattern.c_str(), pattern.c_str() + pattern.size() + 1);
    if (::mkdtemp(name.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
    }
    path_ = name.data();
  }

  ~TempDir() {
    std::error_code ignored;  // a destructor must not throw; nothing to do about a leftover
    std::filesystem::remove_all(path_, ignored);
  }

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // The path of `name` inside the directory; nothing is created.
  std::string file(std::string_view name) const { return (path_ / name).string(); }

  // Writes `bytes` to `name` inside the directory (replacing it) and returns its path.
  std::string write(std::string_view name, std::string_view bytes) const {
    const std::string path = file(name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good()) << "cannot write " << path;
    return path;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace gradstream::test_support
