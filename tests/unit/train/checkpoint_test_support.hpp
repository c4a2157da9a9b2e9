// What the checkpoint tests share: specs that exercise every kind of state a
// step depends on, an observer that logs every report in order (wall-clock
// fields cleared) and can interrupt at a step, and runs whole or in pieces,
// each piece a new Trainer resumed from the previous one's checkpoint bytes.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/model/model_file.hpp"
#include "engine/train/trainer.hpp"
#include "tests/unit/train/trainer_test_support.hpp"

namespace gradstream::engine::testing {

inline constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

// A spec and the data it trains on.
struct Case {
  std::string name;
  v1::TrainingSpec spec;
  std::function<DataSplits()> data;
  int64_t batches_per_epoch;  // worked out from the data and batch size by hand
};

inline v1::TrainingSpec parse_spec(const std::string& json) {
  auto spec = parse_spec_json(json, "checkpoint test spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? *spec : v1::TrainingSpec();
}

class EventLog : public TrainingObserver {
 public:
  // The step whose report raises `interrupt`; the step the run starts from
  // (0, or a resumed checkpoint's) raises it before the run.
  explicit EventLog(uint64_t interrupt_at = kNever, uint64_t start = 0)
      : interrupt_at_(interrupt_at) {
    interrupt = interrupt_at == start;
  }

  void on_step(const v1::StepReport& r) override {
    losses.push_back(r.loss());
    v1::StepReport report = r;
    report.clear_samples_per_second();
    events.push_back("step " + report.ShortDebugString());
    if (r.step() == interrupt_at_) interrupt = true;
  }
  void on_epoch(const v1::EpochReport& r) override {
    v1::EpochReport report = r;
    report.clear_seconds();
    report.clear_samples_per_second();
    events.push_back("epoch " + report.ShortDebugString());
  }
  void on_gradients(const v1::GradientReport& r) override {
    events.push_back("gradients " + r.ShortDebugString());
  }
  void on_activations(const v1::ActivationReport& r) override {
    events.push_back("activations " + r.ShortDebugString());
  }
  void on_warning(const v1::Warning& w) override {
    events.push_back("warning " + w.ShortDebugString());
  }
  void on_checkpoint(const v1::TrainingCheckpoint& checkpoint) override {
    // As the server keeps it: bytes, parsed again to resume.
    checkpoints.push_back(checkpoint.SerializeAsString());
    events_before.push_back(events.size());
    losses_before.push_back(losses.size());
  }
  void on_done(const v1::DoneReport& r) override {
    done = r;
    done.clear_seconds();
    ++done_calls;
  }

  std::atomic<bool> interrupt{false};
  std::vector<std::string> events;
  std::vector<float> losses;
  std::vector<std::string> checkpoints;
  std::vector<size_t> events_before;  // events logged when each checkpoint came
  std::vector<size_t> losses_before;
  v1::DoneReport done;
  int done_calls = 0;

 private:
  uint64_t interrupt_at_;
};

// What a run (or a chain of resumed runs) produced.
struct Outcome {
  std::vector<std::string> events;
  std::vector<float> losses;
  std::string model;  // serialize_model at the end
  v1::DoneReport done;
};

inline v1::TrainingCheckpoint parse_checkpoint(const std::string& bytes) {
  v1::TrainingCheckpoint checkpoint;
  EXPECT_TRUE(checkpoint.ParseFromString(bytes));
  return checkpoint;
}

inline std::unique_ptr<Trainer> make_trainer(const Case& c) {
  auto trainer = Trainer::create(c.spec, c.data());
  EXPECT_TRUE(trainer.ok()) << trainer.status().message();
  return trainer.ok() ? std::move(trainer).value() : nullptr;
}

inline std::string model_bytes(Trainer& trainer) {
  auto bytes = serialize_model(trainer.spec(), trainer.model());
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::string();
}

inline Outcome train_whole(const Case& c, EventLog& log, double checkpoint_every_seconds = 0) {
  std::unique_ptr<Trainer> trainer = make_trainer(c);
  RunControl control;
  control.checkpoint_every_seconds = checkpoint_every_seconds;
  Outcome out;
  out.done = trainer->run(log, control);
  out.done.clear_seconds();
  out.events = log.events;
  out.losses = log.losses;
  out.model = model_bytes(*trainer);
  return out;
}

// Interrupted at each of `stops` in turn, every piece a new trainer resumed
// from the previous piece's checkpoint; the pieces' reports concatenated.
inline Outcome train_in_pieces(const Case& c, const std::vector<uint64_t>& stops) {
  Outcome out;
  std::string checkpoint;
  for (size_t piece = 0; piece <= stops.size(); ++piece) {
    const bool last = piece == stops.size();
    std::unique_ptr<Trainer> trainer = make_trainer(c);
    if (!checkpoint.empty()) {
      const Status resumed = trainer->resume_from(parse_checkpoint(checkpoint));
      EXPECT_TRUE(resumed.ok()) << resumed.message();
    }
    EventLog log(last ? kNever : stops[piece], piece == 0 ? 0 : stops[piece - 1]);
    RunControl control;
    control.interrupt = &log.interrupt;
    v1::DoneReport done = trainer->run(log, control);
    out.events.insert(out.events.end(), log.events.begin(), log.events.end());
    out.losses.insert(out.losses.end(), log.losses.begin(), log.losses.end());
    if (last) {
      out.done = log.done;
      out.model = model_bytes(*trainer);
      break;
    }
    const std::string at = "interrupted at step " + std::to_string(stops[piece]);
    EXPECT_EQ(done.outcome(), v1::DoneReport::INTERRUPTED) << at;
    EXPECT_EQ(done.reason(), at);
    EXPECT_EQ(done.steps(), stops[piece]);
    EXPECT_EQ(log.done_calls, 1);
    if (log.checkpoints.size() != 1) {
      ADD_FAILURE() << at << ": " << log.checkpoints.size() << " checkpoints";
      return out;
    }
    checkpoint = log.checkpoints[0];
    EXPECT_EQ(parse_checkpoint(checkpoint).step(), stops[piece]);
  }
  return out;
}

// The first event where two logs part, so a failure says where, not the whole log.
inline void expect_same_events(const std::vector<std::string>& got,
                               const std::vector<std::string>& want) {
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    ASSERT_EQ(got[i], want[i]) << "event " << i;
  }
  EXPECT_EQ(got.size(), want.size());
}

inline void expect_same_outcome(const Outcome& got, const Outcome& want) {
  EXPECT_EQ(got.losses, want.losses);  // bit for bit
  expect_same_events(got.events, want.events);
  EXPECT_EQ(got.done.ShortDebugString(), want.done.ShortDebugString());
  EXPECT_TRUE(got.model == want.model) << "the model files differ";
}

}  // namespace gradstream::engine::testing
