// The ready specs under examples/: each parses and validates, and the
// Fashion-MNIST MLP reaches the accuracy this project promises for it (the
// dataset's own benchmark table lists an MLP at 0.8833).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "engine/data/data_loader.hpp"
#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_validator.hpp"
#include "engine/train/trainer.hpp"

namespace gradstream::engine {
namespace {

const std::filesystem::path kExamples = std::filesystem::path(GRADSTREAM_SOURCE_DIR) / "examples";

TEST(ExamplesTest, EveryExampleSpecParsesAndValidates) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples)) {
    SCOPED_TRACE(entry.path().string());
    auto spec = read_spec_file(entry.path().string());
    ASSERT_TRUE(spec.ok()) << spec.status().message();
    Status valid = validate_spec(*spec);
    EXPECT_TRUE(valid.ok()) << valid.message();
    ++count;
  }
  EXPECT_GE(count, 1);
}

class EpochLog : public TrainingObserver {
 public:
  void on_epoch(const v1::EpochReport& report) override {
    std::printf("epoch %2u  train loss %.4f  train acc %.4f  test acc %.4f  %.0f samples/s\n",
                report.epoch(), report.train_loss(), report.train_accuracy(),
                report.test_accuracy(), report.samples_per_second());
  }
};

TEST(ExamplesTest, FashionMnistMlpReachesTargetAccuracyWithin15Epochs) {
  auto spec = read_spec_file((kExamples / "fashion-mnist-mlp.json").string());
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  ASSERT_LE(spec->epochs(), 15U);
  ASSERT_EQ(spec->model().layers_size(), 3);
  auto data = load_data(spec->data(), spec->seed());
  ASSERT_TRUE(data.ok()) << data.status().message();
  ASSERT_EQ(data->test.count, 10000);
  auto trainer = Trainer::create(*spec, std::move(data).value());
  ASSERT_TRUE(trainer.ok()) << trainer.status().message();
  EpochLog log;
  std::atomic<bool> cancel{false};
  const v1::DoneReport done = (*trainer)->run(log, cancel);
  ASSERT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED) << done.reason();
  ASSERT_TRUE(done.has_test());
  EXPECT_GE(done.final_test_accuracy(), 0.885F);
}

}  // namespace
}  // namespace gradstream::engine
