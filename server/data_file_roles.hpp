// The four paths of data.files (FileSource) as one table: the role each plays
// and its field name, so every check over them names the field the same way.
#pragma once

#include <array>
#include <string>

#include "gradstream/v1/spec.pb.h"

namespace gradstream::server {

struct DataFileRole {
  const char* role;  // as in DataFileFingerprint.role: "train_features"
  const std::string& (v1::FileSource::*path)() const;
  std::string* (v1::FileSource::*mutable_path)();
};

inline constexpr std::array kDataFileRoles = {
    DataFileRole{"train_features", &v1::FileSource::train_features,
                 &v1::FileSource::mutable_train_features},
    DataFileRole{"train_labels", &v1::FileSource::train_labels,
                 &v1::FileSource::mutable_train_labels},
    DataFileRole{"test_features", &v1::FileSource::test_features,
                 &v1::FileSource::mutable_test_features},
    DataFileRole{"test_labels", &v1::FileSource::test_labels, &v1::FileSource::mutable_test_labels},
};

// The spec field of a role: data.files.train_features.
inline std::string data_file_field(const std::string& role) { return "data.files." + role; }

}  // namespace gradstream::server
