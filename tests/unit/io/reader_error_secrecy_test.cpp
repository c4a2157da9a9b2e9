// The CSV, NPY and IDX readers never quote a file's content in an error: a
// server reads files a remote client names, and its errors reach that client.
// Each case plants a marker where a reader could echo it (a cell, a label, a
// dtype, a header field, a magic number, an announced size or count) and
// checks that the read fails and that no message holds the marker.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/csv_reader.hpp"
#include "engine/io/idx_reader.hpp"
#include "engine/io/npy_reader.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::engine {
namespace {

constexpr char kMarker[] = "SECRET-TOKEN-123";
// Numbers planted where a reader could print a value it read.
constexpr char kSecretNumber[] = "7283746519";

std::string le16(uint16_t v) { return {static_cast<char>(v & 0xff), static_cast<char>(v >> 8)}; }
std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// A version-1 .npy file whose header dict is `dict` verbatim, then `payload`.
std::string npy_with_dict(const std::string& dict, const std::string& payload) {
  return std::string("\x93NUMPY\x01\x00", 8) + le16(static_cast<uint16_t>(dict.size() + 1)) + dict +
         "\n" + payload;
}
std::string npy(const std::string& descr, const std::string& shape, const std::string& payload) {
  return npy_with_dict(
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }", payload);
}
std::string int64_le(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  return out;
}

class ReaderErrorSecrecyTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    return dir_.write(name, bytes);
  }

  // The read failed and none of `secrets` is in its message.
  template <class T>
  static void expect_quiet_failure(const Result<T>& result, const std::string& what,
                                   const std::vector<std::string>& secrets) {
    ASSERT_FALSE(result.ok()) << what;
    for (const std::string& secret : secrets) {
      EXPECT_EQ(result.status().message().find(secret), std::string::npos)
          << what << ": " << result.status().message();
    }
  }

  test_support::TempDir dir_{"secrecy"};
};

TEST_F(ReaderErrorSecrecyTest, CsvNeverQuotesACell) {
  const std::string m = kMarker;
  const std::vector<std::pair<std::string, std::string>> files = {
      {"label cell", m + ",1,2\n"},
      {"feature cell", "0," + m + ",2\n"},
      {"feature cell on a later line", "0,1,2\n1,2," + m + "\n"},
      {"extra cell", "0,1,2\n1,2,3," + m + "\n"},
      {"missing cell", "0,1,2\n" + m + ",2\n"},
      {"one-column first row", m + "\n0,1\n"},
      {"a label out of range", std::string(kSecretNumber) + ",1,2\n"},
      {"a non-finite feature", "0,1,1e999" + std::string(kSecretNumber) + "\n"},
      {"an environment block",
       std::string("SHELL=/bin/bash\0", 16) + m + std::string("=1\0HOME=/root\0", 14)},
  };
  for (const auto& [what, text] : files) {
    const std::string path = write("rows.csv", text);
    expect_quiet_failure(read_csv(path, 0, false), "read_csv: " + what, {kMarker, kSecretNumber});
  }
  // scan_csv reads the first row only, and checks its shape.
  for (const std::string& text : {m + "\n", m + "," + m + "\n"}) {
    const std::string path = write("first.csv", text);
    expect_quiet_failure(scan_csv(path, 5, false), "scan_csv: first row", {kMarker});
  }
}

TEST_F(ReaderErrorSecrecyTest, NpyNeverQuotesADtypeHeaderValueOrLabel) {
  const std::string labels = write("y.npy", npy("<i8", "(2,)", int64_le(0) + int64_le(1)));
  const std::string features = write("x.npy", npy("<f4", "(2, 1)", std::string(8, '\0')));
  const std::vector<std::pair<std::string, std::string>> bad_features = {
      {"features dtype", npy(kMarker, "(2, 1)", std::string(8, '\0'))},
      {"unparsable header",
       npy_with_dict("{'descr': '<f4', '" + std::string(kMarker) + "': 1}", "")},
      {"shape", npy("<f4", std::string("(2, ").append(kMarker).append(")"), "")},
      {"announced size",
       npy("<f4", std::string("(").append(kSecretNumber).append(", 1)"), std::string(8, '\0'))},
      // Version 2 takes a 4-byte header length: 0x00123456 is 1193046, over the limit.
      {"header length", std::string("\x93NUMPY\x02\x00\x56\x34\x12\x00", 12) + kMarker},
  };
  for (const auto& [what, bytes] : bad_features) {
    const std::string path = write("bad_x.npy", bytes);
    expect_quiet_failure(read_npy(path, labels), "read_npy: " + what,
                         {kMarker, kSecretNumber, "29134986076", "1193046"});
    expect_quiet_failure(read_npy_shape(path, labels), "read_npy_shape: " + what,
                         {kMarker, kSecretNumber, "29134986076", "1193046"});
  }
  const std::vector<std::pair<std::string, std::string>> bad_labels = {
      {"labels dtype", npy(kMarker, "(2,)", std::string(16, '\0'))},
      {"label value", npy("<i8", "(2,)", int64_le(0) + int64_le(7283746519))},
      {"label count", npy("<i8", "(1,)", int64_le(0))},
  };
  for (const auto& [what, bytes] : bad_labels) {
    const std::string path = write("bad_y.npy", bytes);
    expect_quiet_failure(read_npy(features, path), "read_npy: " + what,
                         {kMarker, kSecretNumber, "(2,)"});
  }
}

TEST_F(ReaderErrorSecrecyTest, IdxNeverQuotesAMagicTypeOrAnnouncedSize) {
  const std::string labels = write("l.idx", be32(0x00000801) + be32(2) + std::string("\0\1", 2));
  const std::string images = write("i.idx", be32(0x00000802) + be32(2) + be32(1) + "ab");
  const std::vector<std::pair<std::string, std::string>> bad_images = {
      // "SECR" read as a magic number is 0x53454352.
      {"magic", std::string(kMarker) + "0123456789"},
      {"element type 0x7B", be32(0x00007B02) + be32(2) + be32(1) + "abcdefgh"},
      {"announced size", be32(0x00000801) + be32(7283746) + "ab"},
      {"trailing bytes", be32(0x00000801) + be32(2) + "ab" + kMarker},
  };
  for (const auto& [what, bytes] : bad_images) {
    const std::string path = write("bad_i.idx", bytes);
    const std::vector<std::string> secrets = {kMarker, "53454352", "0x7B",
                                              "0x7b",  "7283746",  "7283754"};
    expect_quiet_failure(read_idx(path, labels), "read_idx: " + what, secrets);
  }
  const std::vector<std::pair<std::string, std::string>> bad_labels = {
      // A float32 three-dimensional file as labels: its magic would read 0x00000D03.
      {"labels magic", be32(0x00000D03) + be32(1) + be32(1) + be32(1) + "abcd"},
      {"label count", be32(0x00000801) + be32(7283746) + std::string(7283746, '\0')},
  };
  for (const auto& [what, bytes] : bad_labels) {
    const std::string path = write("bad_l.idx", bytes);
    expect_quiet_failure(read_idx_shape(images, path), "read_idx_shape: " + what,
                         {"0D03", "0d03", "7283746"});
  }
}

}  // namespace
}  // namespace gradstream::engine
