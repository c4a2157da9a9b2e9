// The job store's row decoding: protobuf's parsers plus the checks that tell
// a damaged row from a good one.
#include "server/job_row.hpp"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>

#include <utility>

namespace gradstream::server {

namespace {

bool parse_events(const std::string& bytes, std::vector<v1::TrainingEvent>& events) {
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  for (;;) {
    v1::TrainingEvent event;
    bool clean_eof = false;
    if (!google::protobuf::util::ParseDelimitedFromZeroCopyStream(&event, &stream, &clean_eof)) {
      return clean_eof;
    }
    events.push_back(std::move(event));
  }
}

}  // namespace

bool decode_job_row(const std::string& id, const std::string& job_blob,
                    const std::string& events_blob, v1::Job& job,
                    std::vector<v1::TrainingEvent>& events) {
  return job.ParseFromString(job_blob) && job.id() == id && parse_events(events_blob, events);
}

bool decode_event_row(uint64_t sequence, uint64_t events_before, const std::string& blob,
                      v1::TrainingEvent& event) {
  return event.ParseFromString(blob) && event.sequence() == sequence &&
         sequence == events_before + 1;
}

}  // namespace gradstream::server
