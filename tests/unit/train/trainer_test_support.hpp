// What the trainer's tests share: the two-spirals problem and its spec, tiny
// images of two classes, and an observer that records every report.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/train/trainer.hpp"

namespace gradstream::engine::testing {

// Two interleaved spirals, the classic non-linear toy problem: not separable
// by any linear model, so learning it shows the hidden layers work.
inline Dataset two_spirals(int64_t per_class, uint64_t seed) {
  Dataset d;
  d.sample_shape = {2};
  d.count = 2 * per_class;
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < per_class; ++i) {
    const double r = 0.1 + 0.9 * static_cast<double>(i) / per_class;
    const double t = 3.0 * std::numbers::pi * static_cast<double>(i) / per_class;
    for (int label = 0; label < 2; ++label) {
      const double angle = t + label * std::numbers::pi;
      const double noise = (static_cast<double>(rng() >> 11) / 9007199254740992.0 - 0.5) * 0.02;
      d.features.push_back(static_cast<float>(r * std::cos(angle) + noise));
      d.features.push_back(static_cast<float>(r * std::sin(angle) - noise));
      d.labels.push_back(label);
    }
  }
  return d;
}

inline DataSplits spiral_splits() {
  DataSplits splits;
  splits.train = two_spirals(200, 1);
  splits.test = two_spirals(50, 2);
  splits.has_test = true;
  splits.num_classes = 2;
  return splits;
}

// 8 x 8 one-channel images of two classes: a bright square in the top-left
// or the bottom-right corner, on noise.
inline DataSplits corner_images(uint64_t seed, int64_t count = 256) {
  DataSplits splits;
  Dataset& d = splits.train;
  d.sample_shape = {8, 8};
  d.count = count;
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < d.count; ++i) {
    const int label = static_cast<int>(i % 2);
    for (int y = 0; y < 8; ++y) {
      for (int x = 0; x < 8; ++x) {
        const bool lit = label == 0 ? (y < 3 && x < 3) : (y > 4 && x > 4);
        const double noise = static_cast<double>(rng() >> 11) / 9007199254740992.0 * 0.3;
        d.features.push_back(static_cast<float>((lit ? 0.7 : 0.0) + noise));
      }
    }
    d.labels.push_back(label);
  }
  splits.num_classes = 2;
  return splits;
}

inline v1::TrainingSpec spiral_spec() {
  auto spec = parse_spec_json(R"({
    "model": {"inputShape": [2], "init": "LECUN_NORMAL", "layers": [
      {"dense": {"units": 64, "activation": {"name": "tanh"}}},
      {"dense": {"units": 64, "activation": {"name": "tanh"}}},
      {"dense": {"units": 2}}]},
    "optimizer": {"adam": {}, "learningRate": 0.01},
    "data": {"builtin": "in-memory"},
    "epochs": 300, "batchSize": 32, "seed": 7, "threads": 1,
    "reporting": {"stepEvery": 1}})",
                              "spiral spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return *spec;
}

class Recorder : public TrainingObserver {
 public:
  void on_step(const v1::StepReport& r) override { losses.push_back(r.loss()); }
  void on_epoch(const v1::EpochReport& r) override { epochs.push_back(r); }
  void on_gradients(const v1::GradientReport& r) override { gradients.push_back(r); }
  void on_activations(const v1::ActivationReport& r) override { activations.push_back(r); }
  void on_warning(const v1::Warning& w) override { warnings.push_back(w); }
  void on_done(const v1::DoneReport& r) override {
    done = r;
    ++done_calls;
  }
  std::vector<float> losses;
  std::vector<v1::EpochReport> epochs;
  std::vector<v1::GradientReport> gradients;
  std::vector<v1::ActivationReport> activations;
  std::vector<v1::Warning> warnings;
  v1::DoneReport done;
  int done_calls = 0;
};

inline v1::DoneReport train(const v1::TrainingSpec& spec, DataSplits data, Recorder& recorder) {
  auto trainer = Trainer::create(spec, std::move(data));
  EXPECT_TRUE(trainer.ok()) << trainer.status().message();
  std::atomic<bool> cancel{false};
  return (*trainer)->run(recorder, cancel);
}

}  // namespace gradstream::engine::testing
