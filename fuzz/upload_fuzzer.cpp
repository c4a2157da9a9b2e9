// Fuzzes what UploadDataset checks in a client's stream: the input is a
// stream of UploadDatasetChunk messages (fuzz_input.hpp's split_parts, one
// message a part), each checked as UploadDatasetReactor does: the chunk
// order, the header (validate_dataset_header, against a 1 MiB limit), then
// the features and labels as they arrive, and at the end whether all came.
// Nothing is written: DatasetUpload adds only files and hashes to these.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "dataset_format/dataset_header.hpp"
#include "fuzz/fuzz_input.hpp"
#include "server/upload_check.hpp"

namespace {

constexpr int64_t kMaxDatasetBytes = int64_t{1} << 20;
constexpr size_t kMaxChunks = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace server = gradstream::server;
  namespace dataset_format = gradstream::dataset_format;
  std::optional<server::UploadContentCheck> check;
  for (const auto part : gradstream::fuzz::split_parts(data, size, kMaxChunks)) {
    gradstream::v1::UploadDatasetChunk chunk;
    if (!chunk.ParseFromArray(part.data(), static_cast<int>(part.size()))) return 0;
    if (!server::check_chunk_order(!check.has_value(), chunk).ok()) return 0;
    if (!check) {
      auto layout = dataset_format::validate_dataset_header(chunk.header(), kMaxDatasetBytes);
      if (!layout.ok()) return 0;
      check.emplace(chunk.header(), *layout);
    }
    if (!check->add_features(chunk.features()).ok()) return 0;
    if (!check->add_labels(chunk.labels()).ok()) return 0;
  }
  if (check && check->check_complete().ok())
    dataset_format::canonical_dataset_header(check->header());
  return 0;
}
