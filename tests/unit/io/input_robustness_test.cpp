// Seeded random corruption of well-formed inputs: IDX, CSV and NPY files and
// JSON specs, thousands of variants each (byte flips, truncation, junk
// appended, numbers replaced by extreme values). Whatever comes in, the reader
// or parser returns either a consistent result or an error that names the
// file and what is wrong with it; nothing crashes, hangs or returns a
// half-filled dataset. The server runs these same functions on what users send.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/io/csv_reader.hpp"
#include "engine/io/idx_reader.hpp"
#include "engine/io/npy_reader.hpp"
#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_validator.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::engine {
namespace {

using Bytes = std::string;  // file contents

// Variants per input kind: enough to hit every header field many times over,
// small enough to run in about a second.
constexpr int kVariants = 3000;

Bytes be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// 4 images of 3x3 uint8 and their 4 labels, as the MNIST family stores them.
Bytes idx_images() {
  Bytes out = be32(0x00000803) + be32(4) + be32(3) + be32(3);
  for (int i = 0; i < 36; ++i) out += static_cast<char>(i * 7);
  return out;
}
Bytes idx_labels() { return be32(0x00000801) + be32(4) + Bytes{0, 1, 2, 1}; }

// numpy.save's v1 layout for a float32 array of `shape` with `payload`.
Bytes npy(const std::string& descr, const std::string& shape, const Bytes& payload) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  Bytes out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict + payload;
}
Bytes npy_features() {
  std::vector<float> values = {0.5F, -1.0F, 2.0F, 3.5F, 0.0F, 1e3F};
  Bytes payload(values.size() * sizeof(float), '\0');
  std::memcpy(payload.data(), values.data(), payload.size());
  return npy("<f4", "(3, 2)", payload);
}
Bytes npy_labels() {
  std::vector<int32_t> values = {0, 1, 1};
  Bytes payload(values.size() * sizeof(int32_t), '\0');
  std::memcpy(payload.data(), values.data(), payload.size());
  return npy("<i4", "(3,)", payload);
}

constexpr char kCsv[] = "0.5,1.5,0\n-2,3e2,1\n4,5,2\n";

constexpr char kSpec[] = R"({
  "model": {"inputShape": [4], "layers": [
    {"dense": {"units": 8, "activation": {"name": "leaky_relu", "alpha": 0.1}}},
    {"dropout": {"rate": 0.2}},
    {"dense": {"units": 3}}]},
  "optimizer": {"adam": {"beta1": 0.9}, "learningRate": 0.01, "weightDecay": 0.0001},
  "data": {"builtin": "fashion-mnist", "validationFraction": 0.1},
  "epochs": 2, "batchSize": 16, "seed": 7, "threads": 1,
  "reporting": {"stepEvery": 10, "gradientEvery": 5, "activationEvery": 5, "histogramBins": 8}})";

// One to four corruptions: overwrite a byte, truncate, append junk, or (for
// text) put an extreme number where a digit was.
Bytes corrupt(const Bytes& good, std::mt19937& rng, bool text) {
  static const std::vector<std::string> kExtremes = {
      "-1",    "0",           "1e999", "-1e999", "nan", "4294967296", "18446744073709551616",
      "1e-45", "99999999999", "\"x\"", "",       "-0",  "65537",      "2147483648"};
  Bytes out = good;
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !out.empty(); ++e) {
    const size_t at = rng() % out.size();
    switch (rng() % (text ? 4 : 3)) {
      case 0:
        out[at] = static_cast<char>(rng());
        break;
      case 1:
        out.resize(at);
        break;
      case 2:
        for (int n = static_cast<int>(rng() % 16); n > 0; --n) out += static_cast<char>(rng());
        break;
      default: {
        const size_t digit = out.find_first_of("0123456789", at);
        if (digit != Bytes::npos) {
          size_t end = digit;
          while (end < out.size() && (std::isdigit(static_cast<unsigned char>(out[end])) ||
                                      out[end] == '.' || out[end] == 'e'))
            ++end;
          out.replace(digit, end - digit, kExtremes[rng() % kExtremes.size()]);
        }
      }
    }
  }
  return out;
}

// A dataset a reader returned must be whole and consistent.
void expect_consistent(const Dataset& d, const std::string& what) {
  ASSERT_GE(d.count, 1) << what;
  EXPECT_EQ(static_cast<int64_t>(d.features.size()), d.count * d.sample_size()) << what;
  EXPECT_EQ(static_cast<int64_t>(d.labels.size()), d.count) << what;
  for (int32_t label : d.labels) EXPECT_GE(label, 0) << what;
}

bool contains_any(const std::string& text, const std::vector<std::string>& parts) {
  for (const std::string& part : parts) {
    if (text.find(part) != std::string::npos) return true;
  }
  return false;
}

// What the readers say is wrong with a file that exists but is damaged, from
// the messages documented in idx_reader.cpp, npy_reader.cpp and csv_reader.cpp.
const std::vector<std::string> kIdxProblems = {"truncated",
                                               "bad magic",
                                               " is zero",
                                               "header announces more than",
                                               "trailing bytes after the data",
                                               "unsupported IDX element type",
                                               " is NaN or infinite",
                                               "differs from the sample count of",
                                               "gzip stream is corrupt"};
const std::vector<std::string> kNpyProblems = {"bad magic, not a .npy file",
                                               "unsupported .npy format version",
                                               "truncated",
                                               "header length field announces more than",
                                               "cannot parse header",
                                               "fortran_order True is not supported",
                                               " is zero",
                                               "header announces more than",
                                               "trailing bytes after the data",
                                               "read error in the data",
                                               "unsupported features dtype",
                                               "features need at least one dimension",
                                               "unsupported labels dtype",
                                               "labels must have shape",
                                               " is NaN or infinite",
                                               " is outside [0, "};
const std::vector<std::string> kCsvProblems = {
    " columns, expected ", " is not a number", " is NaN or infinite", " is not an integer in [0, ",
    "no data rows",        "label_column ",    "need a label column"};

// A damaged file is invalid or lost data (never "not found": it exists), and the
// message is "<one of the files>: <what is wrong>", the problem one the reader
// documents.
void expect_names_file(const Status& status, const std::vector<std::string>& paths,
                       const std::vector<std::string>& problems, const std::string& what) {
  EXPECT_TRUE(status.code() == StatusCode::kInvalidArgument ||
              status.code() == StatusCode::kDataLoss)
      << what << ": " << status.message();
  const std::string& message = status.message();
  bool named = false;
  for (const std::string& p : paths) named = named || message.rfind(p + ": ", 0) == 0;
  EXPECT_TRUE(named) << what << ": '" << message << "' does not start with a file's path";
  EXPECT_TRUE(contains_any(message, problems)) << what << ": '" << message << "' says no problem";
}

// The fields of kSpec a corruption can make invalid, as validate_spec names
// them (spec_validator.hpp: "<field path>: <what is wrong>").
const std::vector<std::string> kSpecFieldPaths = {"model",
                                                  "model.input_shape",
                                                  "model.input_shape[0]",
                                                  "model.layers[0].dense.units",
                                                  "model.layers[0].dense.activation.name",
                                                  "model.layers[0].dense.activation.alpha",
                                                  "model.layers[1].dropout.rate",
                                                  "model.layers[2].dense.units",
                                                  "optimizer.learning_rate",
                                                  "optimizer.weight_decay",
                                                  "optimizer.adam.beta1",
                                                  "data.builtin",
                                                  "data.validation_fraction",
                                                  "epochs",
                                                  "batch_size",
                                                  "threads",
                                                  "reporting.histogram_bins"};
const std::vector<std::string> kSpecProblems = {
    " is out of range ",        "unknown activation \"",
    " is more than the limit ", "must be set",
    "must not be empty",        " takes no ",
    "must have at least one ",  " is not allowed; ",
    " characters, at most ",    " is already the name of ",
    " is not a finite number",  " bytes serialized, at most "};

void expect_names_field(const Status& status, const std::string& what) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << what;
  const std::string& message = status.message();
  const size_t colon = message.find(": ");
  ASSERT_NE(colon, std::string::npos) << what << ": '" << message << "' names no field";
  const std::string path = message.substr(0, colon);
  EXPECT_NE(std::find(kSpecFieldPaths.begin(), kSpecFieldPaths.end(), path), kSpecFieldPaths.end())
      << what << ": '" << message << "' names no field of the spec";
  EXPECT_TRUE(contains_any(message.substr(colon + 2), kSpecProblems))
      << what << ": '" << message << "' says no problem";
}

class InputRobustnessTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const Bytes& contents) {
    return dir_.write(name, contents);
  }

  // Corrupts the features file or the labels file (one per variant) and reads
  // the pair: a whole dataset (some corruptions, e.g. of a pixel, are
  // harmless) or an error naming one of the two files.
  template <class Reader>
  void check_paired_reader(Reader read, const std::string& suffix, const Bytes& good_x,
                           const Bytes& good_y, const std::vector<std::string>& problems,
                           unsigned seed) {
    std::mt19937 rng(seed);
    int accepted = 0;
    for (int v = 0; v < kVariants; ++v) {
      const bool features = rng() % 2 == 0;
      const std::string x = write("x." + suffix, features ? corrupt(good_x, rng, false) : good_x);
      const std::string y = write("y." + suffix, features ? good_y : corrupt(good_y, rng, false));
      auto result = read(x, y);
      const std::string what = suffix + " variant " + std::to_string(v);
      if (result.ok()) {
        ++accepted;
        expect_consistent(*result, what);
      } else {
        expect_names_file(result.status(), {x, y}, problems, what);
      }
    }
    EXPECT_GT(accepted, 0);
    EXPECT_LT(accepted, kVariants);
  }

  test_support::TempDir dir_{"robustness"};
};

TEST_F(InputRobustnessTest, CorruptIdxFilesGiveAWholeDatasetOrAnErrorNamingTheFile) {
  check_paired_reader(read_idx, "idx", idx_images(), idx_labels(), kIdxProblems, /*seed=*/1);
}

TEST_F(InputRobustnessTest, CorruptCsvFilesGiveAWholeDatasetOrAnErrorNamingTheFile) {
  std::mt19937 rng(2);
  int accepted = 0;
  for (int v = 0; v < kVariants; ++v) {
    const std::string path = write("d.csv", corrupt(kCsv, rng, true));
    auto read = read_csv(path, /*label_column=*/2, /*has_header=*/false);
    const std::string what = "variant " + std::to_string(v);
    if (read.ok()) {
      ++accepted;
      expect_consistent(*read, what);
      for (float f : read->features) EXPECT_TRUE(std::isfinite(f)) << what;
    } else {
      expect_names_file(read.status(), {path}, kCsvProblems, what);
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, kVariants);
}

TEST_F(InputRobustnessTest, CorruptNpyFilesGiveAWholeDatasetOrAnErrorNamingTheFile) {
  check_paired_reader(read_npy, "npy", npy_features(), npy_labels(), kNpyProblems, /*seed=*/3);
}

TEST(InputRobustnessSpecTest, CorruptSpecsParseAndValidateOrGiveAnError) {
  auto good = parse_spec_json(kSpec, "spec.json");
  ASSERT_TRUE(good.ok()) << good.status().message();
  ASSERT_TRUE(validate_spec(*good).ok()) << validate_spec(*good).message();
  std::mt19937 rng(4);
  int parsed = 0, valid = 0;
  for (int v = 0; v < kVariants; ++v) {
    const std::string text = corrupt(kSpec, rng, true);
    const std::string what = "variant " + std::to_string(v) + ": " + text;
    auto spec = parse_spec_json(text, "spec.json");
    if (!spec.ok()) {
      EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument) << what;
      EXPECT_EQ(spec.status().message().rfind("spec.json: invalid JSON spec: ", 0), 0u)
          << what << " -> " << spec.status().message();
      continue;
    }
    ++parsed;
    const Status status = validate_spec(*spec);
    if (!status.ok()) {
      expect_names_field(status, what);
      continue;
    }
    ++valid;
    // A valid spec has a model whose size is known before anything is built.
    EXPECT_GT(count_parameters(*spec), 0) << what;
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(valid, 0);
  EXPECT_LT(valid, kVariants);
}

}  // namespace
}  // namespace gradstream::engine
