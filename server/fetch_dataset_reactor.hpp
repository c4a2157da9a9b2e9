// FetchDatasetReactor: one FetchDataset stream (a worker reading the uploaded
// dataset of a job attempt it holds). Writes the DatasetReader's chunks, one
// write in flight at a time, each read from the files only once the last one
// was sent: the stream holds one chunk in memory, whatever the dataset's size.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "server/dataset_reader.hpp"

namespace gradstream::server {

// Content bytes in one DatasetChunk: well under gRPC's default 4 MiB message
// limit, large enough that a dataset of hundreds of MiB is a few hundred writes.
inline constexpr size_t kDatasetChunkBytes = size_t{1} << 20;
// What a serialized chunk adds to its content bytes: a field tag and length.
inline constexpr size_t kDatasetChunkOverhead = 16;

// Content bytes per chunk under the server's send limit (--max-message-bytes):
// kDatasetChunkBytes, or less so that a chunk still fits in one message.
size_t dataset_chunk_bytes(int64_t max_message_bytes);

// Lifetime: created by the FetchDataset handler with `new`; deletes itself in
// OnDone, the only place. The constructor, then each OnWriteDone, writes the
// next chunk or finishes; Finish is called once.
class FetchDatasetReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // `chunk_bytes`: content bytes per chunk (tests make it small).
  explicit FetchDatasetReactor(std::unique_ptr<DatasetReader> reader,
                               size_t chunk_bytes = kDatasetChunkBytes);

  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  void next();

  const std::unique_ptr<DatasetReader> reader_;
  const size_t chunk_bytes_;
  grpc::ByteBuffer written_;  // the chunk being written; kept until OnWriteDone
};

}  // namespace gradstream::server
