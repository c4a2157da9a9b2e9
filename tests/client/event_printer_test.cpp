// EventPrinter: what each output format writes for a job's events.
#include "client/event_printer.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace gradstream::client {
namespace {

v1::TrainingEvent step_event(uint64_t step, uint32_t epoch, float loss) {
  v1::TrainingEvent event;
  event.set_job_id("job-1");
  event.mutable_step()->set_step(step);
  event.mutable_step()->set_epoch(epoch);
  event.mutable_step()->set_loss(loss);
  event.mutable_step()->set_samples_per_second(1000.0);
  return event;
}

v1::TrainingEvent epoch_event(uint32_t epoch, float accuracy) {
  v1::TrainingEvent event;
  event.set_job_id("job-1");
  event.mutable_epoch()->set_epoch(epoch);
  event.mutable_epoch()->set_train_loss(0.5f);
  event.mutable_epoch()->set_train_accuracy(accuracy);
  return event;
}

v1::TrainingEvent done_event(v1::DoneReport::Outcome outcome, const std::string& reason) {
  v1::TrainingEvent event;
  event.set_job_id("job-1");
  event.mutable_done()->set_outcome(outcome);
  event.mutable_done()->set_reason(reason);
  event.mutable_done()->set_epochs(2);
  event.mutable_done()->set_has_test(true);
  event.mutable_done()->set_final_test_accuracy(0.875f);
  return event;
}

TEST(EventPrinterTest, JsonWritesOneSingleLineObjectPerEvent) {
  std::ostringstream out;
  EventPrinter printer(EventFormat::kJson, out, 0);
  printer.print(step_event(1, 1, 2.5f));
  printer.print(done_event(v1::DoneReport::SUCCEEDED, ""));
  EXPECT_EQ(out.str(),
            "{\"jobId\":\"job-1\",\"step\":{\"step\":\"1\",\"epoch\":1,\"loss\":2.5,"
            "\"samplesPerSecond\":1000}}\n"
            "{\"jobId\":\"job-1\",\"done\":{\"outcome\":\"SUCCEEDED\",\"epochs\":2,"
            "\"finalTestAccuracy\":0.875,\"hasTest\":true}}\n");
  EXPECT_TRUE(printer.saw_done());
}

TEST(EventPrinterTest, LinesSkipStepsAndNeverUseCarriageReturn) {
  std::ostringstream out;
  EventPrinter printer(EventFormat::kLines, out, 2);
  printer.print(step_event(1, 1, 2.5f));
  printer.print(epoch_event(1, 0.75f));
  printer.print(done_event(v1::DoneReport::SUCCEEDED, ""));
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
  EXPECT_EQ(out.str().find("step 1 "), std::string::npos);
  EXPECT_NE(out.str().find("epoch 1/2: train loss 0.5000 acc 0.7500"), std::string::npos);
  EXPECT_NE(out.str().find("job-1 SUCCEEDED after 2 epochs"), std::string::npos);
  EXPECT_NE(out.str().find("test accuracy 0.8750"), std::string::npos);
}

TEST(EventPrinterTest, LiveRewritesTheStepLineAndClearsItForAnEpochLine) {
  std::ostringstream out;
  EventPrinter printer(EventFormat::kLive, out, 3);
  printer.print(step_event(10, 1, 1.25f));
  EXPECT_EQ(out.str(), "\repoch 1/3  step 10  loss 1.2500  acc -  1000 samples/s\x1b[K");
  printer.print(epoch_event(1, 0.5f));
  EXPECT_NE(out.str().find("\r\x1b[Kepoch 1/3: train loss"), std::string::npos);
  printer.print(step_event(20, 2, 1.0f));
  EXPECT_NE(out.str().find("acc 0.5000"), std::string::npos);
  printer.finish();
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(EventPrinterTest, CancelledDoneLineGivesTheReason) {
  std::ostringstream out;
  EventPrinter printer(EventFormat::kLines, out, 0);
  printer.print(done_event(v1::DoneReport::CANCELLED, "cancelled by the user"));
  EXPECT_NE(out.str().find("job-1 CANCELLED: cancelled by the user"), std::string::npos);
  EXPECT_EQ(printer.done().outcome(), v1::DoneReport::CANCELLED);
}

}  // namespace
}  // namespace gradstream::client
