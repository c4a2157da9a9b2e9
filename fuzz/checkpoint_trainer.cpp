// A fixed spec and data set for the checkpoint fuzzer and its seeds.
#include "fuzz/checkpoint_trainer.hpp"

#include <cstdio>
#include <cstdlib>

#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_defaults.hpp"

namespace gradstream::fuzz {

namespace {

constexpr const char* kSpec = R"json({
  "model": {"inputShape": [1, 6, 6], "layers": [
    {"conv2d": {"filters": 4, "kernel": [3], "padding": [1], "noBias": true}},
    {"batchNorm": {}}, {"activation": {"name": "relu"}}, {"maxPool2d": {"kernel": [2]}},
    {"flatten": {}}, {"dropout": {"rate": 0.25}},
    {"dense": {"units": 6, "activation": {"expression": "x * sigmoid(b * x)",
                                          "parameters": {"b": 1.0}}}},
    {"dense": {"units": 3}}]},
  "optimizer": {"adam": {}, "learningRate": 0.01},
  "data": {"builtin": "in-memory"}, "epochs": 2, "batchSize": 16, "seed": 7, "threads": 1,
  "reporting": {"stepEvery": 1, "diagnosticsEvery": 1}})json";

constexpr int64_t kImages = 40;  // batches of 16: two full, one of 8
constexpr int64_t kSide = 6;
constexpr int32_t kClasses = 3;

engine::Dataset images() {
  engine::Dataset d;
  d.sample_shape = {1, kSide, kSide};
  d.count = kImages;
  for (int64_t i = 0; i < kImages; ++i) {
    const auto label = static_cast<int32_t>(i % kClasses);
    d.labels.push_back(label);
    for (int64_t p = 0; p < kSide * kSide; ++p) {
      d.features.push_back(p % kClasses == label ? 1.0F : 0.1F * static_cast<float>(i % 5));
    }
  }
  return d;
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "checkpoint trainer: %s\n", message.c_str());
  std::abort();
}

}  // namespace

std::unique_ptr<engine::Trainer> make_checkpoint_trainer() {
  auto spec = engine::parse_spec_json(kSpec, "checkpoint trainer spec");
  if (!spec.ok()) fail(spec.status().message());
  engine::DataSplits splits;
  splits.train = images();
  splits.num_classes = kClasses;
  auto trainer = engine::Trainer::create(engine::with_defaults(*spec), std::move(splits));
  if (!trainer.ok()) fail(trainer.status().message());
  return std::move(trainer).value();
}

}  // namespace gradstream::fuzz
