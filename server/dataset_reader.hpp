// DatasetReader: a stored dataset read back in pieces of bounded size, for
// FetchDataset: the stream's first chunk carries its id and header, then come
// the features, then the labels, as the files hold them. Only one piece is in
// memory at a time, however big the dataset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "engine/base/status.hpp"
#include "gradstream/v1/worker.pb.h"
#include "server/dataset_store.hpp"

namespace gradstream::server {

// Not thread-safe: one stream's.
class DatasetReader {
 public:
  // Opens `id`'s files: describe()'s errors (invalid_argument, not_found),
  // data_loss naming a file whose size is not its header's.
  static engine::Result<std::unique_ptr<DatasetReader>> open(const DatasetStore& store,
                                                             const std::string& id);

  // The next chunk of at most `max_bytes` content bytes (the first: id and
  // header only); false once everything was read. data_loss naming the file
  // when it cannot be read.
  engine::Result<bool> next(size_t max_bytes, v1::DatasetChunk& chunk);

 private:
  DatasetReader(v1::Dataset dataset, std::filesystem::path features_path,
                std::filesystem::path labels_path, uint64_t feature_bytes, uint64_t label_bytes);

  const v1::Dataset dataset_;
  const std::filesystem::path features_path_;
  const std::filesystem::path labels_path_;
  std::ifstream features_;
  std::ifstream labels_;
  uint64_t features_left_;
  uint64_t labels_left_;
  bool header_sent_ = false;
};

}  // namespace gradstream::server
