// The job store's row decoding: a Job whose id matches its row, the events a
// first-version row holds, and events rows numbered without gaps.
#include "server/job_row.hpp"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gradstream::server {
namespace {

v1::Job job_named(const std::string& id) {
  v1::Job job;
  job.set_id(id);
  job.set_state(v1::SUCCEEDED);
  job.set_steps(12);
  return job;
}

v1::TrainingEvent event_at(uint64_t sequence) {
  v1::TrainingEvent event;
  event.set_sequence(sequence);
  event.set_job_id("job-1");
  event.mutable_step()->set_step(sequence * 10);
  return event;
}

TEST(JobRowTest, ARowOfTheCurrentVersionHasNoEventsInIt) {
  v1::Job job;
  std::vector<v1::TrainingEvent> events;
  ASSERT_TRUE(decode_job_row("job-1", job_named("job-1").SerializeAsString(), "", job, events));
  EXPECT_EQ(job.steps(), 12u);
  EXPECT_EQ(job.state(), v1::SUCCEEDED);
  EXPECT_TRUE(events.empty());
}

TEST(JobRowTest, AFirstVersionRowHoldsItsEventsLengthDelimited) {
  std::string blob;
  {
    google::protobuf::io::StringOutputStream stream(&blob);
    for (uint64_t s : {1, 2}) {
      ASSERT_TRUE(google::protobuf::util::SerializeDelimitedToZeroCopyStream(event_at(s), &stream));
    }
  }
  v1::Job job;
  std::vector<v1::TrainingEvent> events;
  ASSERT_TRUE(decode_job_row("job-1", job_named("job-1").SerializeAsString(), blob, job, events));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].step().step(), 20u);

  std::vector<v1::TrainingEvent> cut;
  EXPECT_FALSE(decode_job_row("job-1", job_named("job-1").SerializeAsString(),
                              blob.substr(0, blob.size() - 1), job, cut));
}

TEST(JobRowTest, AnotherIdOrBytesThatDoNotParseAreDamage) {
  v1::Job job;
  std::vector<v1::TrainingEvent> events;
  EXPECT_FALSE(decode_job_row("job-1", job_named("job-2").SerializeAsString(), "", job, events));
  EXPECT_FALSE(decode_job_row("job-1", std::string("\xff\xff\xff", 3), "", job, events));
}

TEST(JobRowTest, EventRowsRunWithoutGaps) {
  v1::TrainingEvent event;
  ASSERT_TRUE(decode_event_row(3, 2, event_at(3).SerializeAsString(), event));
  EXPECT_EQ(event.step().step(), 30u);
  EXPECT_FALSE(decode_event_row(3, 1, event_at(3).SerializeAsString(), event));  // a gap
  EXPECT_FALSE(decode_event_row(3, 2, event_at(4).SerializeAsString(), event));  // another
  EXPECT_FALSE(decode_event_row(1, 0, std::string("\x0a", 1), event));           // cut short
}

}  // namespace
}  // namespace gradstream::server
