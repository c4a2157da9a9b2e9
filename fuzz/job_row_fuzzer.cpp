// Fuzzes the job store's row decoding as a restarted server reads its store
// (JobStore::load_all): the input is a row's id, Job blob and first-version
// events blob, then one `events` row blob per part (fuzz_input.hpp's
// split_parts), numbered 1, 2, 3, ... as stored.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.hpp"
#include "server/job_row.hpp"

namespace {

constexpr size_t kMaxParts = 32;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = gradstream::fuzz::split_parts(data, size, kMaxParts);
  if (parts.size() < 3) return 0;
  gradstream::v1::Job job;
  std::vector<gradstream::v1::TrainingEvent> events;
  if (!gradstream::server::decode_job_row(std::string(parts[0]), std::string(parts[1]),
                                          std::string(parts[2]), job, events)) {
    return 0;
  }
  std::vector<gradstream::v1::TrainingEvent> rows;
  for (size_t i = 3; i < parts.size(); ++i) {
    gradstream::v1::TrainingEvent event;
    if (!gradstream::server::decode_event_row(i - 2, rows.size(), std::string(parts[i]), event))
      return 0;
    rows.push_back(std::move(event));
  }
  return 0;
}
