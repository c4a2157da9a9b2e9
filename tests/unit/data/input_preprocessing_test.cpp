// InputPreprocessing: the constants split_and_preprocess keeps are the ones a
// double-precision reference computes from the training split, applying them
// to raw rows gives training's preprocessed rows bit for bit, and the
// model-file message round-trips and is checked.
#include "engine/data/input_preprocessing.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <vector>

#include "engine/data/data_loader.hpp"
#include "tests/support/data_spec.hpp"

namespace gradstream::engine {
namespace {

// 200 samples of 3 features on different scales; feature 2 is constant.
Dataset varied(SourceType type = SourceType::kFloat32) {
  Dataset d;
  d.sample_shape = {3};
  d.count = 200;
  d.source_type = type;
  for (int64_t i = 0; i < d.count; ++i) {
    d.features.push_back(float(std::fmod(i * 37.0, 256.0)));
    d.features.push_back(float(std::sin(0.1 * i) * 3.0 - 7.0));
    d.features.push_back(42.0f);
    d.labels.push_back(static_cast<int32_t>(i % 4));
  }
  return d;
}

using test_support::spec_with;

// Mean and 1 / max(population std, 1e-6) of each feature over `rows`, in
// long double, one feature at a time.
struct Reference {
  std::vector<double> mean, inv_std;
};
Reference reference_statistics(const Dataset& rows) {
  Reference ref;
  const int64_t n = rows.sample_size();
  for (int64_t j = 0; j < n; ++j) {
    long double sum = 0;
    for (int64_t r = 0; r < rows.count; ++r) sum += rows.features[r * n + j];
    const long double mean = sum / rows.count;
    long double sq = 0;
    for (int64_t r = 0; r < rows.count; ++r) {
      const long double d = rows.features[r * n + j] - mean;
      sq += d * d;
    }
    const long double sd = std::sqrt(sq / rows.count);
    ref.mean.push_back(static_cast<double>(mean));
    ref.inv_std.push_back(static_cast<double>(1.0L / (sd < 1e-6L ? 1e-6L : sd)));
  }
  return ref;
}

TEST(InputPreprocessingTest, ScaleKeepsTheDivisor255) {
  auto r = split_and_preprocess(varied(SourceType::kUint8), std::nullopt,
                                spec_with(0.0f, v1::PREPROCESS_UNSPECIFIED), 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->preprocessing.kind, v1::SCALE);  // uint8 data: SCALE by default
  EXPECT_EQ(r->preprocessing.scale_divisor, 255.0f);
  EXPECT_TRUE(r->preprocessing.mean.empty());
}

TEST(InputPreprocessingTest, NoneKeepsNothing) {
  auto r = split_and_preprocess(varied(), std::nullopt, spec_with(0.0f, v1::NONE), 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->preprocessing.kind, v1::NONE);
  std::vector<float> row = {3.5f, -2.0f, 1e6f};
  r->preprocessing.apply(row.data(), row.size());
  EXPECT_EQ(row, (std::vector<float>{3.5f, -2.0f, 1e6f}));
}

TEST(InputPreprocessingTest, StandardizeKeepsTheTrainSplitsMeanAndInverseStd) {
  const Dataset all = varied();
  auto r = split_and_preprocess(all, std::nullopt, spec_with(0.25f, v1::STANDARDIZE), 5);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->train.count, 150);
  // The same split without preprocessing: the training split's raw rows.
  auto val = split_and_preprocess(all, std::nullopt, spec_with(0.25f, v1::NONE), 5);
  ASSERT_TRUE(val.ok());
  const Reference ref = reference_statistics(val->train);

  const InputPreprocessing& kept = r->preprocessing;
  EXPECT_EQ(kept.kind, v1::STANDARDIZE);
  ASSERT_EQ(kept.mean.size(), 3u);
  ASSERT_EQ(kept.inv_std.size(), 3u);
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(kept.mean[j], ref.mean[j], 1e-12 * (1 + std::abs(ref.mean[j]))) << j;
    EXPECT_NEAR(kept.inv_std[j], ref.inv_std[j], 1e-12 * ref.inv_std[j]) << j;
  }
  EXPECT_EQ(kept.inv_std[2], 1e6);  // constant feature: std floored at 1e-6

  // The kept constants turn every raw split into training's rows exactly.
  for (auto [raw, prepared] :
       {std::pair{&val->train, &r->train}, std::pair{&val->validation, &r->validation}}) {
    std::vector<float> rows = raw->features;
    kept.apply(rows.data(), rows.size());
    EXPECT_EQ(rows, prepared->features);
  }
}

TEST(InputPreprocessingTest, MessageRoundTrips) {
  const Dataset d = varied();
  const InputPreprocessing standardize = InputPreprocessing::standardize(d.features, d.count, 3);
  auto back = from_message(to_message(standardize), 3);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->kind, v1::STANDARDIZE);
  EXPECT_EQ(back->mean, standardize.mean);
  EXPECT_EQ(back->inv_std, standardize.inv_std);

  auto scale = from_message(to_message(InputPreprocessing::scale()), 3);
  ASSERT_TRUE(scale.ok());
  EXPECT_EQ(scale->kind, v1::SCALE);
  EXPECT_EQ(scale->scale_divisor, 255.0f);

  // An unset message (a model file from before preprocessing was kept) is NONE.
  auto unset = from_message(v1::InputPreprocessing(), 3);
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(unset->kind, v1::NONE);
}

TEST(InputPreprocessingTest, MessagesThatDoNotFitAreRefusedNamingTheField) {
  const Dataset d = varied();
  v1::InputPreprocessing message = to_message(InputPreprocessing::standardize(d.features, 200, 3));
  auto wrong_count = from_message(message, 4);
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_EQ(wrong_count.status().message(),
            "preprocessing.mean: has 3 values, the model takes 4 features");

  message.set_inv_std(1, 0.0);
  auto zero_std = from_message(message, 3);
  ASSERT_FALSE(zero_std.ok());
  EXPECT_NE(zero_std.status().message().find("preprocessing.inv_std[1]"), std::string::npos);

  v1::InputPreprocessing scale;
  scale.set_kind(v1::SCALE);
  scale.set_scale_divisor(std::nanf(""));
  auto nan_divisor = from_message(scale, 3);
  ASSERT_FALSE(nan_divisor.ok());
  EXPECT_NE(nan_divisor.status().message().find("preprocessing.scale_divisor"), std::string::npos);
}

}  // namespace
}  // namespace gradstream::engine
