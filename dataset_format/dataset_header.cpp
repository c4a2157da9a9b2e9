// Dataset headers: what a valid one is, the byte sizes it implies, and the
// canonical encoding a dataset's id hashes.
#include "dataset_format/dataset_header.hpp"

#include <algorithm>
#include <cstring>

#include "engine/base/field_checks.hpp"
#include "engine/spec/spec_validator.hpp"

namespace gradstream::dataset_format {

namespace {

template <class T>
void put_le(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

std::string u128_text(unsigned __int128 v) {
  if (v == 0) return "0";
  std::string out;
  for (; v > 0; v /= 10) out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
  return out;
}

const char* element_name(v1::ElementType type) { return type == v1::UINT8 ? "uint8" : "float32"; }

}  // namespace

std::string canonical_dataset_header(const v1::DatasetHeader& header) {
  std::string out(kDatasetHashTag, sizeof(kDatasetHashTag));  // with its NUL
  put_le<uint32_t>(out, static_cast<uint32_t>(header.element_type()));
  put_le<uint32_t>(out, static_cast<uint32_t>(header.sample_shape_size()));
  for (uint32_t dim : header.sample_shape()) put_le<uint32_t>(out, dim);
  put_le<uint64_t>(out, header.count());
  put_le<uint32_t>(out, header.num_classes());
  return out;
}

std::string sample_shape_text(const v1::DatasetHeader& header) {
  std::string out = "[";
  for (int i = 0; i < header.sample_shape_size(); ++i)
    out += (i > 0 ? ", " : "") + std::to_string(header.sample_shape(i));
  return out + "]";
}

engine::Result<DatasetLayout> validate_dataset_header(const v1::DatasetHeader& header,
                                                      int64_t max_bytes) {
  // The name is listed and logged: a name, as the spec's are.
  if (engine::Status s = engine::check_name("header.name", header.name()); !s.ok()) return s;
  DatasetLayout layout;
  switch (header.element_type()) {
    case v1::FLOAT32:
      layout.element_bytes = 4;
      break;
    case v1::UINT8:
      layout.element_bytes = 1;
      break;
    default:
      return engine::invalid_argument(
          "header.element_type: " + std::to_string(header.element_type()) +
          " is not FLOAT32 or UINT8");
  }
  if (header.sample_shape().empty())
    return engine::invalid_argument("header.sample_shape: must have at least one dimension");
  if (header.sample_shape_size() > kMaxSampleRank) {
    return engine::invalid_argument(
        "header.sample_shape: " + std::to_string(header.sample_shape_size()) +
        " dimensions, at most " + std::to_string(kMaxSampleRank));
  }
  unsigned __int128 values = 1;  // rank <= 8 dims < 2^32: no overflow
  for (int i = 0; i < header.sample_shape_size(); ++i) {
    if (header.sample_shape(i) == 0) {
      return engine::invalid_argument("header.sample_shape[" + std::to_string(i) +
                                      "]: 0 is out of range [1, 4294967295]");
    }
    values = std::min<unsigned __int128>(values * header.sample_shape(i), uint64_t{1} << 63);
  }
  if (values > static_cast<unsigned __int128>(engine::kMaxInputFeatures)) {
    return engine::invalid_argument("header.sample_shape: " + sample_shape_text(header) + " is " +
                                    u128_text(values) + " values per sample, more than the " +
                                    std::to_string(engine::kMaxInputFeatures) +
                                    " a model can take");
  }
  if (header.count() == 0) return engine::invalid_argument("header.count: must be at least 1");
  if (header.num_classes() < 1 || header.num_classes() > kMaxDatasetClasses) {
    return engine::invalid_argument("header.num_classes: " + std::to_string(header.num_classes()) +
                                    " is out of range [1, " + std::to_string(kMaxDatasetClasses) +
                                    "]");
  }
  // count < 2^64 and a sample < 2^26 bytes: the product fits in 128 bits.
  const unsigned __int128 feature_bytes =
      static_cast<unsigned __int128>(header.count()) * values * layout.element_bytes;
  const unsigned __int128 label_bytes =
      static_cast<unsigned __int128>(header.count()) * kLabelBytes;
  const unsigned __int128 total = feature_bytes + label_bytes;
  if (max_bytes < 0 || total > static_cast<unsigned __int128>(max_bytes)) {
    return engine::resource_exhausted(
        "header: " + std::to_string(header.count()) + " samples of " + u128_text(values) + " " +
        element_name(header.element_type()) + " values and their int32 labels are " +
        u128_text(total) + " bytes, more than the server's limit of " + std::to_string(max_bytes) +
        " bytes (max_dataset_bytes)");
  }
  layout.sample_values = static_cast<uint64_t>(values);
  layout.feature_bytes = static_cast<uint64_t>(feature_bytes);
  layout.label_bytes = static_cast<uint64_t>(label_bytes);
  return layout;
}

}  // namespace gradstream::dataset_format
