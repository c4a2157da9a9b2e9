// UploadDatasetReactor: header first, then bytes, then commit on half-close.
#include "server/upload_dataset_reactor.hpp"

#include <exception>
#include <string>

#include "server/grpc_status.hpp"
#include "server/upload_check.hpp"

namespace gradstream::server {

UploadDatasetReactor::UploadDatasetReactor(DatasetStore& store, v1::Dataset* response,
                                           std::string tenant)
    : store_(store), response_(response), tenant_(std::move(tenant)) {
  StartRead(&chunk_);
}

void UploadDatasetReactor::OnReadDone(bool ok) {
  // Exceptions never leave a callback: they end the stream as INTERNAL.
  try {
    if (!ok) {
      // Half-close by the client, or a broken/cancelled call.
      if (cancelled_.load()) {
        finish(engine::cancelled("UploadDataset: the call was cancelled"));
      } else {
        finish(complete());
      }
      return;
    }
    if (engine::Status s = take(chunk_); !s.ok()) {
      finish(s);
      return;
    }
    chunk_.Clear();
    StartRead(&chunk_);
  } catch (const std::exception& e) {
    finish(engine::internal_error(std::string("UploadDataset: ") + e.what()));
  }
}

void UploadDatasetReactor::OnCancel() { cancelled_.store(true); }

void UploadDatasetReactor::OnDone() { delete this; }

engine::Status UploadDatasetReactor::take(const v1::UploadDatasetChunk& chunk) {
  if (engine::Status s = check_chunk_order(!upload_, chunk); !s.ok()) return s;
  if (!upload_) {
    auto upload = store_.begin_upload(chunk.header(), tenant_);
    if (!upload.ok()) return upload.status();
    upload_ = std::move(upload).value();
  }
  if (engine::Status s = upload_->append_features(chunk.features()); !s.ok()) return s;
  return upload_->append_labels(chunk.labels());
}

engine::Status UploadDatasetReactor::complete() {
  if (!upload_) return engine::invalid_argument("header: the stream ended before any chunk");
  auto dataset = upload_->commit();
  if (!dataset.ok()) return dataset.status();
  *response_ = std::move(dataset).value();
  return engine::ok_status();
}

void UploadDatasetReactor::finish(const engine::Status& status) {
  if (finished_) return;
  finished_ = true;
  upload_.reset();  // an uncommitted upload removes what it wrote
  Finish(to_grpc_status(status));
}

}  // namespace gradstream::server
