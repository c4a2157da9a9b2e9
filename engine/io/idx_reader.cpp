// IDX reading: headers are parsed and checked against the file size before any
// array is allocated; payloads are streamed through a fixed staging buffer and
// converted in place, so peak memory is the Dataset itself. Errors name the
// file, the header field (by byte offset) and what was expected, never a value
// read from the file (no magic, no announced size): a file's content stays out
// of job reasons and replies.
#include "engine/io/idx_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <type_traits>
#include <vector>

namespace gradstream::engine {

namespace {

constexpr uint8_t kUbyteType = 0x08;
constexpr uint8_t kFloat32Type = 0x0D;
constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr size_t kMagicBytes = 4;
constexpr size_t kDimBytes = 4;
// Staging buffer for streaming payloads; a multiple of every element size.
constexpr size_t kReadChunkBytes = size_t{1} << 20;
// Deflate cannot expand data by more than about 1032:1, so a gzip file of
// N bytes holds at most this many times N: a bound we can check up front.
constexpr int64_t kMaxGzipExpansion = 1032;
constexpr int64_t kGzipSlackBytes = 1024;
// zlib's input buffer (its output buffer is twice that): this size for large
// files, the file's own size for smaller ones, but never under zlib's default.
constexpr unsigned kGzipBufferBytes = 1u << 17;
constexpr unsigned kMinGzipBufferBytes = 1u << 13;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

// One open IDX file. zlib reads raw files transparently, so both kinds go
// through gzread; `compressed` (zlib found gzip's magic 1f 8b) only changes
// which size check applies.
struct IdxFile {
  std::string path;
  GzHandle handle;
  bool compressed = false;
  int64_t file_bytes = 0;
};

struct IdxHeader {
  uint8_t type = 0;
  std::vector<int64_t> dims;
  int64_t elements = 0;
  int64_t header_bytes = 0;
};

std::string hex(uint32_t v, int digits) {
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "0x%0*X", digits, v);
  return buf.data();
}
std::string hex32(uint32_t v) { return hex(v, 8); }

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

Result<IdxFile> open_idx(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return not_found(path + ": no such file");
  if (!std::filesystem::is_regular_file(path, ec))
    return invalid_argument(path + ": not a regular file");
  IdxFile file;
  file.path = path;
  file.file_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (ec) return not_found(path + ": cannot stat: " + ec.message());

  gzFile raw = gzopen(path.c_str(), "rb");
  if (raw == nullptr) return not_found(path + ": cannot open: " + std::strerror(errno));
  file.handle.reset(raw);
  // Before the first read, which allocates the buffers: a small file gets
  // small ones rather than 384 KiB to map and release.
  gzbuffer(raw, static_cast<unsigned>(
                    std::clamp<int64_t>(file.file_bytes, kMinGzipBufferBytes, kGzipBufferBytes)));
  // zlib looks for the magic here (one open, not a probe and then zlib). It
  // counts an empty file as gzip: that fails as a truncated header before
  // its kind matters.
  file.compressed = gzdirect(raw) == 0;
  return file;
}

// Reads up to n bytes; returns how many arrived, or a data_loss Status when
// zlib reports a corrupt stream.
Result<size_t> read_some(IdxFile& file, void* dst, size_t n) {
  int got = gzread(file.handle.get(), dst, static_cast<unsigned>(n));
  if (got < 0) {
    int errnum = 0;
    const char* msg = gzerror(file.handle.get(), &errnum);
    return data_loss(file.path + ": gzip stream is corrupt or truncated: " + msg);
  }
  return static_cast<size_t>(got);
}

Status read_exact(IdxFile& file, void* dst, size_t n, const std::string& what) {
  auto got = read_some(file, dst, n);
  if (!got.ok()) return got.status();
  if (*got != n)
    return data_loss(file.path + ": truncated " + what +
                     " (the file ends before the bytes its header announces)");
  return ok_status();
}

Result<IdxHeader> read_header(IdxFile& file) {
  std::array<uint8_t, kMagicBytes> magic{};
  if (Status s = read_exact(file, magic.data(), magic.size(), "header"); !s.ok()) return s;
  if (magic[0] != 0 || magic[1] != 0 || magic[3] == 0)
    return data_loss(file.path +
                     ": bad magic in bytes 0-3, not an IDX file (expected 0x0000TTNN: type TT, "
                     "NN >= 1 dimensions)");
  IdxHeader header;
  header.type = magic[2];
  const size_t ndims = magic[3];
  std::vector<uint8_t> raw_dims(ndims * kDimBytes);
  if (Status s = read_exact(file, raw_dims.data(), raw_dims.size(), "header"); !s.ok()) return s;
  header.header_bytes = static_cast<int64_t>(kMagicBytes + raw_dims.size());
  header.elements = 1;
  for (size_t i = 0; i < ndims; ++i) {
    const int64_t d = load_be32(raw_dims.data() + i * kDimBytes);
    if (d == 0)
      return invalid_argument(file.path + ": dimension " + std::to_string(i) + " is zero");
    if (header.elements > kMaxIdxElements / d)
      return invalid_argument(file.path + ": header announces more than " +
                              std::to_string(kMaxIdxElements) + " elements");
    header.elements *= d;
    header.dims.push_back(d);
  }
  return header;
}

// Compares what the header announces with what the file can hold, before
// anything of that size is allocated.
Status check_payload_size(const IdxFile& file, const IdxHeader& header, int64_t element_bytes) {
  const int64_t want = header.header_bytes + header.elements * element_bytes;
  const std::string size = " (the file is " + std::to_string(file.file_bytes) + " bytes)";
  if (!file.compressed) {
    if (file.file_bytes < want)
      return data_loss(file.path + ": truncated: the header's dimensions need more data" + size);
    if (file.file_bytes > want)
      return data_loss(file.path +
                       ": trailing bytes after the data the header's dimensions describe" + size);
  } else if (want > file.file_bytes * kMaxGzipExpansion + kGzipSlackBytes) {
    return data_loss(file.path +
                     ": truncated: the header's dimensions need more data than a gzip file of "
                     "this size can hold" +
                     size);
  }
  return ok_status();
}

// Streams `count` elements of `element_bytes` each through the staging buffer;
// convert(src, first, n) stores elements [first, first + n). Then insists the
// stream is over, so trailing bytes in a gzip file are caught too. The buffer
// is no larger than the payload: a small file costs no megabyte to allocate
// and clear.
template <class Convert>
Status read_payload(IdxFile& file, int64_t count, size_t element_bytes, Convert convert) {
  const int64_t per_chunk = std::min(static_cast<int64_t>(kReadChunkBytes / element_bytes), count);
  std::vector<uint8_t> stage(static_cast<size_t>(per_chunk) * element_bytes);
  for (int64_t first = 0; first < count; first += per_chunk) {
    const int64_t n = std::min(per_chunk, count - first);
    if (Status s = read_exact(file, stage.data(), static_cast<size_t>(n) * element_bytes, "data");
        !s.ok())
      return s;
    convert(stage.data(), first, n);
  }
  uint8_t extra = 0;
  auto got = read_some(file, &extra, 1);
  if (!got.ok()) return got.status();
  if (*got != 0) return data_loss(file.path + ": trailing bytes after the data");
  return ok_status();
}

// Element type and size checks, before anything is allocated.
Status check_features(const IdxFile& file, const IdxHeader& header) {
  if (header.type != kUbyteType && header.type != kFloat32Type)
    return invalid_argument(file.path +
                            ": unsupported IDX element type in byte 2; supported: 0x08 (ubyte), "
                            "0x0D (float32)");
  return check_payload_size(file, header, header.type == kUbyteType ? 1 : sizeof(float));
}

Status check_labels(const IdxFile& file, const IdxHeader& header) {
  if (header.type != kUbyteType || header.dims.size() != 1)
    return data_loss(file.path + ": bad magic in bytes 0-3, expected " + hex32(kLabelsMagic) +
                     " (IDX ubyte labels, one dimension)");
  return check_payload_size(file, header, 1);
}

Status read_features(IdxFile& file, const IdxHeader& header, Dataset& out) {
  const bool ubyte = header.type == kUbyteType;
  const size_t element_bytes = ubyte ? 1 : sizeof(float);
  out.features.resize(static_cast<size_t>(header.elements));
  float* dst = out.features.data();
  Status s = ubyte ? read_payload(file, header.elements, element_bytes,
                                  [dst](const uint8_t* src, int64_t first, int64_t n) {
                                    for (int64_t i = 0; i < n; ++i) dst[first + i] = src[i];
                                  })
                   : read_payload(file, header.elements, element_bytes,
                                  [dst](const uint8_t* src, int64_t first, int64_t n) {
                                    for (int64_t i = 0; i < n; ++i) {
                                      const uint32_t bits = load_be32(src + i * sizeof(float));
                                      std::memcpy(dst + first + i, &bits, sizeof(float));
                                    }
                                  });
  if (!s.ok()) return s;
  if (!ubyte) {
    for (size_t i = 0; i < out.features.size(); ++i)
      if (!std::isfinite(out.features[i]))
        return invalid_argument(file.path + ": element " + std::to_string(i) +
                                " is NaN or infinite");
  }
  out.sample_shape.assign(header.dims.begin() + 1, header.dims.end());
  out.count = header.dims[0];
  out.source_type = ubyte ? SourceType::kUint8 : SourceType::kFloat32;
  return ok_status();
}

Status read_labels(IdxFile& file, const IdxHeader& header, Dataset& out) {
  out.labels.resize(static_cast<size_t>(header.elements));
  int32_t* dst = out.labels.data();
  return read_payload(file, header.elements, 1,
                      [dst](const uint8_t* src, int64_t first, int64_t n) {
                        for (int64_t i = 0; i < n; ++i) dst[first + i] = src[i];
                      });
}

// Both files opened, their headers read and checked against their sizes and
// each other; nothing of the payload is read yet.
struct IdxPair {
  IdxFile features;
  IdxFile labels;
  IdxHeader feature_header;
  IdxHeader label_header;
};

Result<IdxPair> open_pair(const std::string& features_path, const std::string& labels_path) {
  auto features = open_idx(features_path);
  if (!features.ok()) return features.status();
  auto labels = open_idx(labels_path);
  if (!labels.ok()) return labels.status();

  auto feature_header = read_header(*features);
  if (!feature_header.ok()) return feature_header.status();
  auto label_header = read_header(*labels);
  if (!label_header.ok()) return label_header.status();
  // Each file must agree with its own size before the two are compared.
  if (Status s = check_features(*features, *feature_header); !s.ok()) return s;
  if (Status s = check_labels(*labels, *label_header); !s.ok()) return s;
  if (label_header->dims[0] != feature_header->dims[0])
    return invalid_argument(labels_path +
                            ": its label count (bytes 4-7) differs from the sample count of " +
                            features_path);
  return IdxPair{std::move(features).value(), std::move(labels).value(),
                 std::move(feature_header).value(), std::move(label_header).value()};
}

}  // namespace

Result<Dataset> read_idx(const std::string& features_path, const std::string& labels_path) {
  auto pair = open_pair(features_path, labels_path);
  if (!pair.ok()) return pair.status();
  Dataset out;
  if (Status s = read_features(pair->features, pair->feature_header, out); !s.ok()) return s;
  if (Status s = read_labels(pair->labels, pair->label_header, out); !s.ok()) return s;
  return out;
}

Result<DatasetShape> read_idx_shape(const std::string& features_path,
                                    const std::string& labels_path) {
  auto pair = open_pair(features_path, labels_path);
  if (!pair.ok()) return pair.status();
  const std::vector<int64_t>& dims = pair->feature_header.dims;
  return DatasetShape{dims[0], std::vector<int64_t>(dims.begin() + 1, dims.end())};
}

}  // namespace gradstream::engine
