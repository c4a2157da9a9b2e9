// Fingerprints (path, size, sha256) of the server-side files a job trains on
// (data.files), taken when the job starts and compared when it resumes, so a
// job resumed after a restart never mixes two versions of its data.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <vector>

#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"
#include "gradstream/v1/trainer.pb.h"

namespace gradstream::server {

using DataFileFingerprints = google::protobuf::RepeatedPtrField<v1::DataFileFingerprint>;

// Each non-empty path of `files` (train_features, train_labels, test_features,
// test_labels, in that order) streamed through sha256 once. Errors name the
// field and the file (data.files.train_features: /d/x.csv: no such file).
engine::Result<std::vector<v1::DataFileFingerprint>> fingerprint_data_files(
    const v1::FileSource& files);

// OK if every recorded file still has its size and sha256; otherwise
// failed_precondition naming the first that changed, e.g.
//   data.files.train_features: /d/x.csv changed since the job started
//   (sha256 3a1f... -> 9c0e..., size 1200 -> 1180 bytes)
// or that is missing or unreadable now.
engine::Status check_data_files_unchanged(const DataFileFingerprints& recorded);

}  // namespace gradstream::server
