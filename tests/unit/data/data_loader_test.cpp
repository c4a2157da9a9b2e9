// Tests of load_data and split_and_preprocess: sources (the real built-in
// Fashion-MNIST, files by extension or format), the seeded validation split,
// SCALE / STANDARDIZE values and class counting.
#include "engine/data/data_loader.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/support/data_spec.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::engine {
namespace {

// n samples of `width` features; feature j of sample i is i * width + j, label i % classes.
Dataset numbered(int64_t n, int64_t width = 2, int32_t classes = 3,
                 SourceType type = SourceType::kFloat32) {
  Dataset d;
  d.sample_shape = {width};
  d.count = n;
  d.source_type = type;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < width; ++j) d.features.push_back(float(i * width + j));
    d.labels.push_back(static_cast<int32_t>(i % classes));
  }
  return d;
}

using test_support::spec_with;

template <class T>
void expect_error(const Result<T>& r, StatusCode code, const std::string& words) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().message();
  EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
}

class DataLoaderTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    return dir_.write(name, bytes);
  }
  std::string write_idx_gz(const std::string& name, const std::vector<uint8_t>& dims_and_data,
                           int ndims) {
    const std::string path = dir_.file(name);
    const uint8_t magic[4] = {0, 0, 0x08, static_cast<uint8_t>(ndims)};
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, magic, 4);
    gzwrite(f, dims_and_data.data(), static_cast<unsigned>(dims_and_data.size()));
    gzclose(f);
    return path;
  }

  test_support::TempDir dir_{"data"};
};

TEST_F(DataLoaderTest, FashionMnistBuiltinLoadsFullTrainAndTestSets) {
  v1::DataSpec spec;
  spec.set_builtin("fashion-mnist");
  auto r = load_data(spec, 42);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->train.count, 60000);
  EXPECT_EQ(r->test.count, 10000);
  EXPECT_EQ(r->train.sample_shape, (std::vector<int64_t>{28, 28}));
  EXPECT_EQ(r->train.sample_size(), 784);
  EXPECT_EQ(r->test.sample_size(), 784);
  EXPECT_TRUE(r->has_test);
  EXPECT_FALSE(r->has_validation);
  EXPECT_EQ(r->num_classes, 10);
  EXPECT_EQ(r->train.source_type, SourceType::kUint8);
  // Ten balanced classes: 6000 each in train, 1000 each in test.
  std::map<int32_t, int> train_counts, test_counts;
  for (int32_t l : r->train.labels) ++train_counts[l];
  for (int32_t l : r->test.labels) ++test_counts[l];
  ASSERT_EQ(train_counts.size(), 10u);
  EXPECT_EQ(train_counts.begin()->first, 0);
  EXPECT_EQ(train_counts.rbegin()->first, 9);
  for (const auto& [label, n] : train_counts) EXPECT_EQ(n, 6000) << label;
  for (const auto& [label, n] : test_counts) EXPECT_EQ(n, 1000) << label;
  // Default preprocessing for uint8 pixels is SCALE: values in [0, 1], 255 -> 1.
  const auto [lo, hi] = std::minmax_element(r->train.features.begin(), r->train.features.end());
  EXPECT_EQ(*lo, 0.0f);
  EXPECT_EQ(*hi, 1.0f);
}

TEST_F(DataLoaderTest, FashionMnistValidationSplit) {
  v1::DataSpec spec;
  spec.set_builtin("fashion-mnist");
  spec.set_validation_fraction(0.1f);
  auto r = load_data(spec, 7);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->train.count, 54000);
  EXPECT_EQ(r->validation.count, 6000);
  EXPECT_EQ(r->validation.features.size(), 6000u * 784u);
  EXPECT_TRUE(r->has_validation);
  EXPECT_EQ(r->test.count, 10000);
}

TEST_F(DataLoaderTest, RepeatedBuiltinLoadsStartFromTheRawData) {
  // The second load comes from the per-process cache; it must see the raw
  // pixels, not the first load's scaled copy, and splits must not leak.
  v1::DataSpec scaled;
  scaled.set_builtin("fashion-mnist");
  scaled.set_preprocess(v1::SCALE);
  scaled.set_validation_fraction(0.5f);
  auto first = load_data(scaled, 3);
  ASSERT_TRUE(first.ok()) << first.status().message();
  v1::DataSpec raw;
  raw.set_builtin("fashion-mnist");
  raw.set_preprocess(v1::NONE);
  auto second = load_data(raw, 3);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->train.count, 60000);
  EXPECT_FALSE(second->has_validation);
  const auto [lo, hi] =
      std::minmax_element(second->train.features.begin(), second->train.features.end());
  EXPECT_EQ(*lo, 0.0f);
  EXPECT_EQ(*hi, 255.0f);
  auto third = load_data(scaled, 3);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->train.features, first->train.features);
  EXPECT_EQ(third->validation.labels, first->validation.labels);
}

TEST_F(DataLoaderTest, BuiltinDirectoryComesFromEnvironment) {
  // Two 1x2 training images and one test image, stored under the real names.
  write_idx_gz("train-images-idx3-ubyte.gz", {0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20, 30, 255},
               3);
  write_idx_gz("train-labels-idx1-ubyte.gz", {0, 0, 0, 2, 4, 1}, 1);
  write_idx_gz("t10k-images-idx3-ubyte.gz", {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 51, 0}, 3);
  write_idx_gz("t10k-labels-idx1-ubyte.gz", {0, 0, 0, 1, 2}, 1);
  ASSERT_EQ(setenv(kFashionMnistDirEnv, dir_.path().c_str(), 1), 0);
  v1::DataSpec spec;
  spec.set_builtin("fashion-mnist");
  auto r = load_data(spec, 1);
  unsetenv(kFashionMnistDirEnv);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->train.count, 2);
  EXPECT_EQ(r->train.features, (std::vector<float>{10 / 255.0f, 20 / 255.0f, 30 / 255.0f, 1.0f}));
  EXPECT_EQ(r->test.features, (std::vector<float>{0.2f, 0.0f}));
  EXPECT_EQ(r->num_classes, 5);
}

TEST_F(DataLoaderTest, BuiltinMissingFilesNameTheDataSet) {
  ASSERT_EQ(setenv(kFashionMnistDirEnv, dir_.path().c_str(), 1), 0);
  v1::DataSpec spec;
  spec.set_builtin("fashion-mnist");
  auto r = load_data(spec, 1);
  unsetenv(kFashionMnistDirEnv);
  expect_error(r, StatusCode::kNotFound, "data.builtin 'fashion-mnist': " + dir_.path().string());
}

TEST_F(DataLoaderTest, SummariesTellCountsWithoutPreparingTheData) {
  v1::DataSpec spec;
  spec.set_builtin("fashion-mnist");
  spec.set_validation_fraction(0.1f);
  auto summary = summarize_data(spec, 1);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->train_count, 60000);  // before the split: an upper bound
  EXPECT_EQ(summary->sample_size, 784);
  spec.set_validation_fraction(0.9f);
  expect_error(summarize_data(spec, 1), StatusCode::kInvalidArgument,
               "data.validation_fraction: 0.9 is out of range [0, 0.5]");
  spec.set_builtin("cifar-10");
  expect_error(summarize_data(spec, 1), StatusCode::kNotFound,
               "data.builtin: unknown data set 'cifar-10'");
  // Files are described from headers (a CSV by its lines): all samples counted.
  v1::DataSpec files;
  files.mutable_files()->set_train_features(write("s.csv", "1,2,0\n3,4,1\n5,6,1\n7,8,0\n"));
  files.mutable_files()->set_label_column(-1);
  files.set_validation_fraction(0.25f);
  summary = summarize_data(files, 1);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->train_count, 4);
  EXPECT_EQ(summary->sample_size, 2);
}

TEST_F(DataLoaderTest, FileSummariesCheckHeadersButLeaveValuesToTheLoad) {
  v1::DataSpec spec;
  const std::string train = write("train.csv", "1,2,0\n3,4,1\n5,6,1\n7,8,0\n9,x-private,2\n");
  spec.mutable_files()->set_train_features(train);
  spec.mutable_files()->set_label_column(-1);
  auto summary = summarize_data(spec, 1);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->train_count, 5);
  EXPECT_EQ(summary->sample_size, 2);
  // The bad cell is the load's error: file, line and column, not the cell's text.
  auto loaded = load_data(spec, 1);
  expect_error(loaded, StatusCode::kDataLoss,
               train + ": line 5, column 2: the feature is not a number");
  EXPECT_EQ(loaded.status().message().find("x-private"), std::string::npos);

  spec.mutable_files()->set_test_features(write("test.csv", "1,2,3,0\n"));
  expect_error(summarize_data(spec, 1), StatusCode::kInvalidArgument,
               "data: test samples have 3 values but train samples have 2");
  spec.mutable_files()->set_test_features(write("test2.csv", "1,2,0\n"));
  EXPECT_TRUE(summarize_data(spec, 1).ok());

  // Each side of the validation split keeps at least one sample.
  spec.set_validation_fraction(0.05f);  // 0.25 of a sample
  expect_error(summarize_data(spec, 1), StatusCode::kInvalidArgument,
               "data.validation_fraction: 0.05 of 5 training samples is 0 validation samples");
  spec.set_validation_fraction(0.2f);
  EXPECT_TRUE(summarize_data(spec, 1).ok());
  spec.mutable_files()->set_train_features(write("one.csv", "1,2,0\n"));
  spec.set_validation_fraction(0.5f);
  expect_error(summarize_data(spec, 1), StatusCode::kInvalidArgument,
               "of 1 training samples is 1 validation samples");
}

TEST_F(DataLoaderTest, UnknownBuiltinIsNotFoundAndListsKnownNames) {
  v1::DataSpec spec;
  spec.set_builtin("cifar-10");
  expect_error(load_data(spec, 1), StatusCode::kNotFound,
               "data.builtin: unknown data set 'cifar-10'; known: fashion-mnist");
}

TEST_F(DataLoaderTest, DatasetIdIsLeftToTheServer) {
  v1::DataSpec spec;
  spec.set_dataset_id("ds-123");
  expect_error(load_data(spec, 1), StatusCode::kNotFound,
               "data.dataset_id: uploaded datasets are served by gradstream-server");
}

TEST_F(DataLoaderTest, MissingSourceIsInvalidArgument) {
  expect_error(load_data(v1::DataSpec(), 1), StatusCode::kInvalidArgument, "data: set one of");
}

TEST_F(DataLoaderTest, CsvFilesByExtensionWithTestSet) {
  v1::DataSpec spec;
  auto* files = spec.mutable_files();
  files->set_train_features(write("train.CSV", "a,b,y\n1,2,0\n3,4,1\n5,6,1\n"));
  files->set_test_features(write("test.csv", "a,b,y\n7,8,4\n"));
  files->set_label_column(-1);
  files->set_csv_header(true);
  auto r = load_data(spec, 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->train.features, (std::vector<float>{1, 2, 3, 4, 5, 6}));  // float data: NONE
  EXPECT_EQ(r->train.labels, (std::vector<int32_t>{0, 1, 1}));
  EXPECT_EQ(r->test.features, (std::vector<float>{7, 8}));
  EXPECT_TRUE(r->has_test);
  EXPECT_EQ(r->num_classes, 5);
}

TEST_F(DataLoaderTest, NpyFilesByExtension) {
  // numpy.save layout of a (2, 1) '|u1' array and a (2,) '|u1' array.
  auto npy = [](const std::string& descr, const std::string& shape, const std::string& data) {
    std::string dict =
        "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
    dict += '\n';
    return std::string("\x93NUMPY\x01\x00", 8) + char(dict.size()) + '\0' + dict + data;
  };
  v1::DataSpec spec;
  spec.mutable_files()->set_train_features(write("x.npy", npy("|u1", "(2, 1)", "\x33\xff")));
  spec.mutable_files()->set_train_labels(
      write("y.npy", npy("|u1", "(2,)", std::string("\x00\x01", 2))));
  auto r = load_data(spec, 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->train.features, (std::vector<float>{0.2f, 1.0f}));  // uint8 data: SCALE
  EXPECT_EQ(r->num_classes, 2);
}

TEST_F(DataLoaderTest, FormatFieldOverridesExtension) {
  v1::DataSpec spec;
  spec.mutable_files()->set_format(v1::CSV);
  spec.mutable_files()->set_train_features(write("train.txt", "2,1.5\n"));
  auto r = load_data(spec, 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // label_column defaults to 0: the first column.
  EXPECT_EQ(r->train.labels, (std::vector<int32_t>{2}));
  EXPECT_EQ(r->train.features, (std::vector<float>{1.5f}));
}

TEST_F(DataLoaderTest, FileFieldErrorsNameTheField) {
  v1::DataSpec spec;
  spec.mutable_files()->set_train_features(write("train.bin", "1,0\n"));
  expect_error(load_data(spec, 1), StatusCode::kInvalidArgument, "data.files.train_features");
  spec.mutable_files()->set_train_features(write("train.csv", "1,0\n"));
  spec.mutable_files()->set_train_labels("labels.csv");
  expect_error(load_data(spec, 1), StatusCode::kInvalidArgument, "data.files.train_labels");
  spec.mutable_files()->set_train_features("images-idx3-ubyte");
  spec.mutable_files()->clear_train_labels();
  expect_error(load_data(spec, 1), StatusCode::kInvalidArgument,
               "data.files.train_labels: is required for IDX files");
  spec.mutable_files()->clear_train_features();
  expect_error(load_data(spec, 1), StatusCode::kInvalidArgument,
               "data.files.train_features: is required");
}

TEST_F(DataLoaderTest, ReaderErrorsKeepTheFilePath) {
  v1::DataSpec spec;
  const std::string path = write("bad.csv", "1,2,0\n1,x,0\n");
  spec.mutable_files()->set_train_features(path);
  spec.mutable_files()->set_label_column(-1);
  expect_error(load_data(spec, 1), StatusCode::kDataLoss, path + ": line 2, column 2");
}

TEST_F(DataLoaderTest, ValidationSplitSizesAndCoverage) {
  auto r = split_and_preprocess(numbered(100), std::nullopt, spec_with(0.2f, v1::NONE), 11);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->train.count, 80);
  EXPECT_EQ(r->validation.count, 20);
  EXPECT_EQ(r->validation.features.size(), 40u);
  EXPECT_TRUE(r->has_validation);
  EXPECT_FALSE(r->has_test);
  // Each split keeps file order; together they hold every sample exactly once.
  std::vector<float> firsts;
  for (const Dataset* d : {&r->train, &r->validation}) {
    std::vector<float> own;
    for (int64_t i = 0; i < d->count; ++i) {
      own.push_back(d->features[2 * i]);
      EXPECT_EQ(d->features[2 * i + 1], d->features[2 * i] + 1);
      EXPECT_EQ(d->labels[i], int32_t(d->features[2 * i] / 2) % 3);
    }
    EXPECT_TRUE(std::is_sorted(own.begin(), own.end()));
    firsts.insert(firsts.end(), own.begin(), own.end());
  }
  std::sort(firsts.begin(), firsts.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(firsts[i], float(2 * i));
}

TEST_F(DataLoaderTest, ValidationSplitIsDeterministicPerSeed) {
  auto a = split_and_preprocess(numbered(100), std::nullopt, spec_with(0.3f, v1::NONE), 5);
  auto b = split_and_preprocess(numbered(100), std::nullopt, spec_with(0.3f, v1::NONE), 5);
  auto c = split_and_preprocess(numbered(100), std::nullopt, spec_with(0.3f, v1::NONE), 6);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->validation.count, 30);
  EXPECT_EQ(a->validation.features, b->validation.features);
  EXPECT_EQ(a->train.features, b->train.features);
  EXPECT_NE(a->validation.features, c->validation.features);
}

TEST_F(DataLoaderTest, ValidationFractionOutOfRangeIsInvalidArgument) {
  expect_error(split_and_preprocess(numbered(10), std::nullopt, spec_with(0.6f, v1::NONE), 1),
               StatusCode::kInvalidArgument,
               "data.validation_fraction: 0.6 is out of range [0, 0.5]");
  expect_error(split_and_preprocess(numbered(10), std::nullopt, spec_with(-0.1f, v1::NONE), 1),
               StatusCode::kInvalidArgument, "data.validation_fraction: -0.1");
  expect_error(split_and_preprocess(numbered(10), std::nullopt, spec_with(NAN, v1::NONE), 1),
               StatusCode::kInvalidArgument, "data.validation_fraction: nan");
}

TEST_F(DataLoaderTest, ValidationAlwaysLeavesATrainingSample) {
  auto r = split_and_preprocess(numbered(1), std::nullopt, spec_with(0.5f, v1::NONE), 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->train.count, 1);
  EXPECT_FALSE(r->has_validation);
}

TEST_F(DataLoaderTest, ScaleIsTheDefaultForUint8AndAppliesToEverySplit) {
  Dataset train = numbered(2, 2, 2, SourceType::kUint8);
  train.features = {0, 51, 102, 255};
  Dataset test = numbered(1, 2, 2, SourceType::kUint8);
  test.features = {25.5f, 127.5f};
  for (v1::Preprocess p : {v1::PREPROCESS_UNSPECIFIED, v1::SCALE}) {
    auto r = split_and_preprocess(train, test, spec_with(0, p), 1);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->train.features, (std::vector<float>{0.0f, 0.2f, 0.4f, 1.0f}));
    EXPECT_EQ(r->test.features, (std::vector<float>{0.1f, 0.5f}));
  }
}

TEST_F(DataLoaderTest, FloatDataIsUntouchedByDefault) {
  auto r =
      split_and_preprocess(numbered(3), std::nullopt, spec_with(0, v1::PREPROCESS_UNSPECIFIED), 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->train.features, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  auto scaled = split_and_preprocess(numbered(3), std::nullopt, spec_with(0, v1::SCALE), 1);
  ASSERT_TRUE(scaled.ok());
  EXPECT_FLOAT_EQ(scaled->train.features[5], 5.0f / 255.0f);
}

TEST_F(DataLoaderTest, StandardizeUsesTrainStatisticsForEverySplit) {
  // Feature 0: 1, 2, 3, 4 (mean 2.5, std sqrt(1.25)); feature 1: 10, 10, 10, 10.
  Dataset train = numbered(4);
  train.features = {1, 10, 2, 10, 3, 10, 4, 10};
  Dataset test = numbered(1);
  test.features = {5, 11};
  auto r = split_and_preprocess(train, test, spec_with(0, v1::STANDARDIZE), 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const double sd = std::sqrt(1.25);
  EXPECT_FLOAT_EQ(r->train.features[0], float(-1.5 / sd));
  EXPECT_FLOAT_EQ(r->train.features[6], float(1.5 / sd));
  EXPECT_FLOAT_EQ(r->test.features[0], float(2.5 / sd));
  // A constant feature has std 0: floored to kMinStandardDeviation, so 0 stays 0.
  EXPECT_EQ(r->train.features[1], 0.0f);
  EXPECT_FLOAT_EQ(r->test.features[1], float(1.0 / kMinStandardDeviation));
}

TEST_F(DataLoaderTest, StandardizedTrainSplitHasZeroMeanUnitStd) {
  Dataset d = numbered(500, 3);
  for (size_t i = 0; i < d.features.size(); ++i)
    d.features[i] = float(std::sin(0.37 * i) * 40.0 + (i % 3) * 100.0);
  auto r = split_and_preprocess(d, std::nullopt, spec_with(0.2f, v1::STANDARDIZE), 3);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->train.count, 400);
  for (int j = 0; j < 3; ++j) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < r->train.count; ++i) sum += r->train.features[3 * i + j];
    const double mean = sum / 400;
    for (int64_t i = 0; i < r->train.count; ++i)
      sq += std::pow(r->train.features[3 * i + j] - mean, 2);
    EXPECT_NEAR(mean, 0.0, 1e-5) << "feature " << j;
    EXPECT_NEAR(std::sqrt(sq / 400), 1.0, 1e-5) << "feature " << j;
  }
  // Validation is transformed with train's statistics, so it is only roughly centred.
  double val_sum = 0;
  for (float x : r->validation.features) val_sum += x;
  EXPECT_LT(std::abs(val_sum / double(r->validation.features.size())), 0.5);
}

TEST_F(DataLoaderTest, TestSampleSizeMustMatchTrain) {
  expect_error(split_and_preprocess(numbered(4, 2), numbered(2, 3), spec_with(0, v1::NONE), 1),
               StatusCode::kInvalidArgument, "test samples have 3 values but train samples have 2");
}

TEST_F(DataLoaderTest, NumClassesIsMaxLabelPlusOneOverAllSplits) {
  Dataset test = numbered(1);
  test.labels = {7};
  auto r = split_and_preprocess(numbered(10), test, spec_with(0.2f, v1::NONE), 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->num_classes, 8);
  auto no_test = split_and_preprocess(numbered(10), std::nullopt, spec_with(0, v1::NONE), 1);
  ASSERT_TRUE(no_test.ok());
  EXPECT_EQ(no_test->num_classes, 3);
}

TEST_F(DataLoaderTest, InconsistentOrEmptyDatasetIsInvalidArgument) {
  Dataset broken = numbered(3);
  broken.labels.pop_back();
  expect_error(split_and_preprocess(broken, std::nullopt, spec_with(0, v1::NONE), 1),
               StatusCode::kInvalidArgument, "data: train set");
  expect_error(split_and_preprocess(numbered(0), std::nullopt, spec_with(0, v1::NONE), 1),
               StatusCode::kInvalidArgument, "data: train set is empty");
}

}  // namespace
}  // namespace gradstream::engine
