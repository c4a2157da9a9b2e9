// EventLog: numbering, replay, step thinning, waiting, concurrent readers, a
// stalled reader against the producer, the memory bound and close.
#include "server/event_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace gradstream::server {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

v1::TrainingEvent step_event(uint64_t step) {
  v1::TrainingEvent event;
  event.mutable_step()->set_step(step);
  return event;
}

v1::TrainingEvent epoch_event(uint32_t epoch) {
  v1::TrainingEvent event;
  event.mutable_epoch()->set_epoch(epoch);
  return event;
}

v1::TrainingEvent warning_event(uint64_t step) {
  v1::TrainingEvent event;
  event.mutable_warning()->set_step(step);
  event.mutable_warning()->set_kind("dead_relu");
  return event;
}

std::vector<uint64_t> sequences(const std::vector<v1::TrainingEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& event : events) out.push_back(event.sequence());
  return out;
}

// A watcher's loop: replay in batches, then wait for more until the log closes.
std::vector<uint64_t> watch_to_end(const EventLog& log) {
  std::vector<uint64_t> seen;
  uint64_t from = 1;
  while (true) {
    const auto batch = log.read(from, 256, 0, &from);
    for (const auto& event : batch) seen.push_back(event.sequence());
    if (!batch.empty()) continue;
    if (log.wait_for_events_after(from - 1, milliseconds(1000)) == EventLog::WaitResult::kClosed) {
      break;
    }
  }
  return seen;
}

TEST(EventLogTest, NumbersFromOneWithoutGapsAndStampsJobIdAndTime) {
  EventLog log("job-7");
  v1::TrainingEvent state;
  state.set_state(v1::RUNNING);
  state.set_job_id("someone-else");
  v1::TrainingEvent stamped = epoch_event(1);
  stamped.mutable_time()->set_seconds(42);

  const int64_t before = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  EXPECT_EQ(log.append(state), 1u);
  EXPECT_EQ(log.append(step_event(1)), 2u);
  EXPECT_EQ(log.append(stamped), 3u);
  const int64_t after = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();

  const auto events = log.read(0, 10);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(sequences(events), (std::vector<uint64_t>{1, 2, 3}));
  for (const auto& event : events) EXPECT_EQ(event.job_id(), "job-7");
  EXPECT_EQ(events[0].state(), v1::RUNNING);
  EXPECT_EQ(events[1].step().step(), 1u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_GE(events[i].time().seconds(), before);
    EXPECT_LE(events[i].time().seconds(), after);
    EXPECT_GE(events[i].time().nanos(), 0);
    EXPECT_LT(events[i].time().nanos(), 1'000'000'000);
  }
  EXPECT_EQ(events[2].time().seconds(), 42);  // a time already set is kept
  EXPECT_EQ(log.last_sequence(), 3u);
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.job_id(), "job-7");
}

TEST(EventLogTest, SerializedReadsShareTheBytesStoredAtAppend) {
  EventLog log("job-3");
  log.append(step_event(10));
  log.append(epoch_event(1));

  const std::vector<grpc::Slice> first = log.read_serialized(1, 10);
  const std::vector<grpc::Slice> second = log.read_serialized(1, 10);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  for (size_t i = 0; i < first.size(); ++i) {
    // Two watchers get references to the same block, not two serializations.
    EXPECT_EQ(first[i].begin(), second[i].begin()) << "event " << i;
    v1::TrainingEvent parsed;
    ASSERT_TRUE(parsed.ParseFromArray(first[i].begin(), static_cast<int>(first[i].size())));
    EXPECT_EQ(parsed.sequence(), i + 1);
    EXPECT_EQ(parsed.job_id(), "job-3");
    EXPECT_TRUE(parsed.has_time());
  }
  v1::TrainingEvent step;
  ASSERT_TRUE(step.ParseFromArray(first[0].begin(), static_cast<int>(first[0].size())));
  EXPECT_EQ(step.step().step(), 10u);

  uint64_t next = 0;
  const std::vector<grpc::Slice> thinned = log.read_serialized(1, 10, 3, &next);
  ASSERT_EQ(thinned.size(), 1u);  // step 10 is not a multiple of 3; the epoch stays
  EXPECT_EQ(thinned[0].begin(), first[1].begin());
  EXPECT_EQ(next, 3u);
}

TEST(EventLogTest, ReadsFromStartMiddleAndPastEnd) {
  EventLog log("j");
  for (uint64_t step = 1; step <= 10; ++step) log.append(step_event(step));

  EXPECT_EQ(sequences(log.read(0, 100)), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(sequences(log.read(1, 100)), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(sequences(log.read(7, 100)), (std::vector<uint64_t>{7, 8, 9, 10}));
  EXPECT_EQ(sequences(log.read(3, 2)), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(sequences(log.read(10, 100)), (std::vector<uint64_t>{10}));
  EXPECT_TRUE(log.read(11, 100).empty());
  EXPECT_TRUE(log.read(1000, 100).empty());
  EXPECT_TRUE(log.read(1, 0).empty());

  uint64_t next = 0;
  log.read(3, 2, 0, &next);
  EXPECT_EQ(next, 5u);
  log.read(8, 100, 0, &next);
  EXPECT_EQ(next, 11u);
  log.read(50, 100, 0, &next);
  EXPECT_EQ(next, 50u);
}

TEST(EventLogTest, StepEveryThinsStepsAndKeepsEveryOtherKind) {
  EventLog log("j");
  // seq: 1..3 steps 1-3, 4 warning, 5..6 steps 4-5, 7 epoch 1, 8..9 steps 6-7
  for (uint64_t step = 1; step <= 3; ++step) log.append(step_event(step));
  log.append(warning_event(3));
  for (uint64_t step = 4; step <= 5; ++step) log.append(step_event(step));
  log.append(epoch_event(1));
  for (uint64_t step = 6; step <= 7; ++step) log.append(step_event(step));

  uint64_t next = 0;
  const auto thinned = log.read(0, 100, 2, &next);
  // steps 2, 4, 6 plus the warning and the epoch
  EXPECT_EQ(sequences(thinned), (std::vector<uint64_t>{2, 4, 5, 7, 8}));
  EXPECT_TRUE(thinned[1].has_warning());
  EXPECT_TRUE(thinned[3].has_epoch());
  EXPECT_EQ(next, 10u);  // past the skipped step 7 at the tail

  EXPECT_EQ(sequences(log.read(0, 100, 5)), (std::vector<uint64_t>{4, 6, 7}));
  EXPECT_EQ(log.read(0, 100, 1).size(), 9u);  // 0 and 1 both mean every step
  EXPECT_EQ(log.read(0, 100, 0).size(), 9u);
  EXPECT_EQ(sequences(log.read(0, 2, 2, &next)), (std::vector<uint64_t>{2, 4}));
  EXPECT_EQ(next, 5u);
}

TEST(EventLogTest, WaiterWakesWhenAnEventIsAppended) {
  EventLog log("j");
  log.append(step_event(1));
  EXPECT_EQ(log.wait_for_events_after(0, milliseconds(0)), EventLog::WaitResult::kNewEvents);

  auto waiter = std::async(std::launch::async, [&] {
    const auto start = Clock::now();
    const auto result = log.wait_for_events_after(1, milliseconds(10'000));
    return std::make_pair(result, Clock::now() - start);
  });
  std::this_thread::sleep_for(milliseconds(50));
  log.append(step_event(2));
  const auto [result, waited] = waiter.get();
  EXPECT_EQ(result, EventLog::WaitResult::kNewEvents);
  EXPECT_LT(waited, milliseconds(5'000));
}

TEST(EventLogTest, WaiterWakesWhenClosed) {
  EventLog log("j");
  log.append(step_event(1));
  auto waiter = std::async(std::launch::async,
                           [&] { return log.wait_for_events_after(1, milliseconds(10'000)); });
  std::this_thread::sleep_for(milliseconds(50));
  log.close();
  EXPECT_EQ(waiter.get(), EventLog::WaitResult::kClosed);
  // Newer events win over closed, so a late watcher still drains the log.
  EXPECT_EQ(log.wait_for_events_after(0, milliseconds(0)), EventLog::WaitResult::kNewEvents);
  EXPECT_EQ(log.wait_for_events_after(1, milliseconds(0)), EventLog::WaitResult::kClosed);
}

TEST(EventLogTest, WaitTimesOutWhenNothingHappens) {
  EventLog log("j");
  log.append(step_event(1));
  const auto start = Clock::now();
  EXPECT_EQ(log.wait_for_events_after(1, milliseconds(30)), EventLog::WaitResult::kTimeout);
  EXPECT_GE(Clock::now() - start, milliseconds(30));
}

TEST(EventLogTest, ConcurrentReadersSeeEverySequenceOnceInOrder) {
  constexpr uint64_t kEvents = 10'000;
  EventLog log("j");
  auto reader_a = std::async(std::launch::async, [&] { return watch_to_end(log); });
  auto reader_b = std::async(std::launch::async, [&] { return watch_to_end(log); });
  for (uint64_t step = 1; step <= kEvents; ++step) {
    ASSERT_EQ(log.append(step_event(step)), step);
  }
  log.close();

  std::vector<uint64_t> expected(kEvents);
  for (uint64_t i = 0; i < kEvents; ++i) expected[i] = i + 1;
  EXPECT_EQ(reader_a.get(), expected);
  EXPECT_EQ(reader_b.get(), expected);
}

TEST(EventLogTest, StalledReadersDoNotBlockTheProducer) {
  constexpr uint64_t kEvents = 100'000;
  EventLog log("j");
  log.append(step_event(1));

  // One reader reads once and then stops reading; another sits in a wait far
  // ahead of the log. Neither may hold up the appends.
  std::promise<void> read_once;
  std::promise<void> resume;
  auto stalled = std::async(std::launch::async, [&, resume_signal = resume.get_future()] {
    const size_t first = log.read(0, 256).size();
    read_once.set_value();
    resume_signal.wait();
    return first + log.read(2, kEvents).size();
  });
  auto waiting = std::async(std::launch::async, [&] {
    return log.wait_for_events_after(kEvents * 2, milliseconds(60'000));
  });
  read_once.get_future().wait();

  const auto start = Clock::now();
  auto producer = std::async(std::launch::async, [&] {
    for (uint64_t step = 2; step <= kEvents; ++step) log.append(step_event(step));
  });
  const bool finished = producer.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  const auto took = Clock::now() - start;
  EXPECT_TRUE(finished) << "the producer was blocked by a stalled reader";
  EXPECT_LT(took, std::chrono::seconds(5));  // sanity only: ~50 ms on 2 cores
  EXPECT_EQ(log.last_sequence(), kEvents);

  resume.set_value();
  log.close();
  producer.get();
  EXPECT_EQ(stalled.get(), kEvents);
  EXPECT_EQ(waiting.get(), EventLog::WaitResult::kClosed);
}

TEST(EventLogTest, FullLogDropsStepsAndKeepsEveryOtherKind) {
  EventLog log("j", 100);
  // 10 epochs of 100 steps, an epoch event after each.
  uint64_t stored_steps = 0;
  for (uint32_t epoch = 1; epoch <= 10; ++epoch) {
    for (uint64_t step = 1; step <= 100; ++step) {
      if (log.append(step_event((epoch - 1) * 100 + step)) != 0) ++stored_steps;
    }
    EXPECT_NE(log.append(epoch_event(epoch)), 0u);
  }

  // Steps 1-100 fill the log; every later step is dropped, every epoch kept.
  EXPECT_EQ(stored_steps, 100u);
  EXPECT_EQ(log.dropped_steps(), 900u);
  EXPECT_EQ(log.size(), 110u);
  EXPECT_EQ(log.last_sequence(), 110u);

  const auto events = log.read(0, 1000);
  ASSERT_EQ(events.size(), 110u);
  std::vector<uint32_t> epochs;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1);  // no gaps where steps were dropped
    if (events[i].has_epoch()) epochs.push_back(events[i].epoch().epoch());
  }
  EXPECT_EQ(epochs, (std::vector<uint32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(events[99].step().step(), 100u);
  EXPECT_TRUE(events[100].has_epoch());
}

TEST(EventLogTest, AppendAfterCloseIsIgnored) {
  EventLog log("j");
  EXPECT_FALSE(log.closed());
  EXPECT_EQ(log.append(step_event(1)), 1u);
  log.close();
  log.close();  // idempotent
  EXPECT_TRUE(log.closed());
  EXPECT_EQ(log.append(step_event(2)), 0u);
  EXPECT_EQ(log.append(epoch_event(1)), 0u);
  EXPECT_EQ(log.size(), 1u);
  EXPECT_EQ(log.last_sequence(), 1u);
  EXPECT_EQ(log.dropped_steps(), 0u);
}

TEST(EventLogTest, AResumedRunIsNumberedOnAndNeverReplacesStoredEvents) {
  EventLog log("j");
  for (uint64_t step = 1; step <= 10; ++step) {
    v1::TrainingEvent event = step_event(step);
    event.mutable_step()->set_loss(1.0F);  // as the first run reported them
    ASSERT_EQ(log.append(std::move(event)), step);
  }
  log.interrupt();
  EXPECT_TRUE(log.interrupted());
  EXPECT_FALSE(log.closed());
  // The checkpoint covered events 1..6: the resumed run sends 7.. again.
  log.resume_after(6);
  EXPECT_FALSE(log.interrupted());
  for (uint64_t step = 7; step <= 12; ++step) {
    v1::TrainingEvent event = step_event(step);
    event.mutable_step()->set_loss(2.0F);  // the resumed run's wall clock differs, say
    EXPECT_EQ(log.append(std::move(event)), step);
  }
  EXPECT_EQ(log.size(), 12U);
  EXPECT_EQ(log.last_sequence(), 12U);
  const auto events = log.read(1, 100);
  ASSERT_EQ(sequences(events), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  for (const auto& event : events) {
    // Stored events stay as they were; only the new ones are the resumed run's.
    EXPECT_EQ(event.step().loss(), event.sequence() <= 10 ? 1.0F : 2.0F) << event.sequence();
    EXPECT_EQ(event.step().step(), event.sequence());
  }
}

TEST(EventLogTest, AResumedFullLogDropsTheSameStepsAsTheFirstRun) {
  // The first run: 5 steps fill a log of 5, an epoch is kept, 2 steps dropped.
  EventLog first("j", 5);
  std::vector<uint64_t> numbers;
  const auto run = [&](EventLog& log, uint64_t from_step) {
    for (uint64_t step = from_step; step <= 7; ++step) {
      numbers.push_back(log.append(step_event(step)));
      if (step == 5) numbers.push_back(log.append(epoch_event(1)));
    }
  };
  run(first, 1);
  const std::vector<uint64_t> uninterrupted = numbers;
  EXPECT_EQ(uninterrupted, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 0, 0}));
  // Resumed after step 3 (sequence 3) with everything stored: same numbers.
  numbers.clear();
  first.resume_after(3);
  run(first, 4);
  EXPECT_EQ(numbers, (std::vector<uint64_t>{4, 5, 6, 0, 0}));
  EXPECT_EQ(first.size(), 6U);
}

}  // namespace
}  // namespace gradstream::server
