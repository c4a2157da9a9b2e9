// fill_jobs_page: counting each job's bytes as it would be framed in the page.
#include "server/jobs_page.hpp"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>

namespace gradstream::server {

size_t list_page_bytes(int64_t max_message_bytes) {
  return static_cast<size_t>(std::max<int64_t>(0, max_message_bytes)) / kPageShareOfMessage;
}

size_t fill_jobs_page(const std::vector<v1::Job>& jobs, size_t start, size_t max_jobs,
                      size_t max_bytes, v1::ListJobsResponse& response) {
  size_t bytes = 0;
  size_t i = start;
  for (; i < jobs.size() && i - start < max_jobs; ++i) {
    // A repeated message field costs its tag (1 byte), its length and itself.
    const size_t size = jobs[i].ByteSizeLong();
    const size_t framed = 1 + google::protobuf::io::CodedOutputStream::VarintSize64(size) + size;
    if (i > start && bytes + framed > max_bytes) break;
    bytes += framed;
    *response.add_jobs() = jobs[i];
  }
  return i;
}

}  // namespace gradstream::server
