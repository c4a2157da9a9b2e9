// FetchDatasetReactor: the stored dataset, a chunk per write.
#include "server/fetch_dataset_reactor.hpp"

#include <grpcpp/impl/codegen/proto_utils.h>  // a message into a ByteBuffer

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "server/grpc_status.hpp"

namespace gradstream::server {

size_t dataset_chunk_bytes(int64_t max_message_bytes) {
  const auto limit = static_cast<uint64_t>(std::max<int64_t>(max_message_bytes, 0));
  // No chunk fits a limit this small (nor does any other answer): one byte each.
  if (limit <= kDatasetChunkOverhead) return 1;
  return static_cast<size_t>(std::min<uint64_t>(kDatasetChunkBytes, limit - kDatasetChunkOverhead));
}

FetchDatasetReactor::FetchDatasetReactor(std::unique_ptr<DatasetReader> reader, size_t chunk_bytes)
    : reader_(std::move(reader)), chunk_bytes_(chunk_bytes) {
  next();
}

void FetchDatasetReactor::OnWriteDone(bool ok) {
  if (!ok) {
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "FetchDataset: the stream broke"));
    return;
  }
  next();
}

void FetchDatasetReactor::OnDone() { delete this; }

void FetchDatasetReactor::next() {
  // Exceptions never leave a callback: they end the stream as INTERNAL.
  try {
    v1::DatasetChunk chunk;
    engine::Result<bool> more = reader_->next(chunk_bytes_, chunk);
    if (!more.ok() || !*more) {
      Finish(to_grpc_status(more.ok() ? engine::ok_status() : more.status()));
      return;
    }
    // The last chunk's buffer is done with (OnWriteDone); serialize into an empty one.
    written_.Clear();
    bool own_buffer = false;
    const grpc::Status serialized =
        grpc::SerializationTraits<v1::DatasetChunk>::Serialize(chunk, &written_, &own_buffer);
    if (!serialized.ok()) {
      Finish(serialized);
      return;
    }
    StartWrite(&written_);
  } catch (const std::exception& e) {
    Finish(to_grpc_status(engine::internal_error(std::string("FetchDataset: ") + e.what())));
  }
}

}  // namespace gradstream::server
