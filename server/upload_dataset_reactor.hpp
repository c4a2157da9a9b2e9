// UploadDatasetReactor: one UploadDataset stream. Reads chunks one at a time
// into a DatasetUpload (checked, written and hashed as they arrive, so at most
// one chunk is held in memory) and finishes with the stored Dataset or the
// first error.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "engine/base/status.hpp"
#include "gradstream/v1/trainer.pb.h"
#include "server/dataset_store.hpp"

namespace gradstream::server {

// Lifetime: created by the UploadDataset handler with `new`; deletes itself in
// OnDone, the only place. One read is in flight at a time and Finish is called
// once, from the constructor's caller or OnReadDone, never with a read pending.
//
// The first chunk must carry the header (and may carry bytes); no later chunk
// may. A failed upload leaves nothing in the store: dropping the DatasetUpload
// removes its temporary directory.
class UploadDatasetReactor final : public grpc::ServerReadReactor<v1::UploadDatasetChunk> {
 public:
  // The dataset is stored as `tenant`'s (DatasetStore::begin_upload).
  UploadDatasetReactor(DatasetStore& store, v1::Dataset* response, std::string tenant = {});

  void OnReadDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // The chunk's effect on the upload, in engine Status terms.
  engine::Status take(const v1::UploadDatasetChunk& chunk);
  // The client half-closed: store the upload and answer it.
  engine::Status complete();
  void finish(const engine::Status& status);

  DatasetStore& store_;
  v1::Dataset* response_;
  const std::string tenant_;
  v1::UploadDatasetChunk chunk_;  // the read in flight writes here
  std::unique_ptr<DatasetUpload> upload_;
  std::atomic<bool> cancelled_{false};
  bool finished_ = false;
};

}  // namespace gradstream::server
