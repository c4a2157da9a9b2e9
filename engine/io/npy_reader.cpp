// NPY reading: both headers are parsed and checked against each other and the
// file sizes before any array is allocated. Errors name the file, the header
// field or element index and what was expected, never a value read from the
// file (no dtype text, no label, no announced size): a file's content stays
// out of job reasons and replies.
#include "engine/io/npy_reader.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

namespace gradstream::engine {

namespace {

// '<' arrays are copied as they are; a big-endian host would need a swap here.
static_assert(std::endian::native == std::endian::little,
              "NPY reader assumes a little-endian host");

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kVersionBytes = 2;
constexpr size_t kStageBytes = size_t{1} << 20;

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  int64_t elements = 1;
  int64_t data_offset = 0;
};

struct NpyFile {
  std::string path;
  std::ifstream in;
  int64_t file_bytes = 0;
  NpyHeader header;
};

// Parses the header's dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }
// Only what numpy writes is accepted: those three keys, string / bool / tuple values.
class HeaderDictParser {
 public:
  explicit HeaderDictParser(std::string_view text) : text_(text) {}

  bool parse(NpyHeader& out) {
    bool seen_descr = false, seen_order = false, seen_shape = false;
    if (!consume('{')) return false;
    while (!consume('}')) {
      std::string key;
      if (!parse_string(key) || !consume(':')) return false;
      if (key == "descr" && !seen_descr) {
        seen_descr = parse_string(out.descr);
      } else if (key == "fortran_order" && !seen_order) {
        seen_order = parse_bool(out.fortran_order);
      } else if (key == "shape" && !seen_shape) {
        seen_shape = parse_tuple(out.shape);
      } else {
        return false;
      }
      if (!consume(',') && !peek('}')) return false;
    }
    skip_space();
    return seen_descr && seen_order && seen_shape && pos_ == text_.size();
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t'))
      ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool consume(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  bool parse_string(std::string& out) {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return false;
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) return false;
    out.assign(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool parse_word(std::string_view word) {
    skip_space();
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool parse_bool(bool& out) {
    if (parse_word("True")) return out = true, true;
    if (parse_word("False")) return out = false, true;
    return false;
  }
  // (d0, d1, ...) with an optional trailing comma; Python 2 files write "3L".
  bool parse_tuple(std::vector<int64_t>& out) {
    if (!consume('(')) return false;
    while (!consume(')')) {
      skip_space();
      int64_t v = 0;
      const char* first = text_.data() + pos_;
      const auto [end, ec] = std::from_chars(first, text_.data() + text_.size(), v);
      if (ec != std::errc() || v < 0) return false;
      pos_ += static_cast<size_t>(end - first);
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;
      out.push_back(v);
      if (!consume(',') && !peek(')')) return false;
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

uint32_t load_le(const unsigned char* p, size_t bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= uint32_t{p[i]} << (8 * i);
  return v;
}

Status open_npy(const std::string& path, NpyFile& file) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return not_found(path + ": no such file");
  if (!std::filesystem::is_regular_file(path, ec))
    return invalid_argument(path + ": not a regular file");
  file.path = path;
  file.file_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  file.in.open(path, std::ios::binary);
  if (ec || !file.in) return not_found(path + ": cannot open");

  unsigned char pre[kMagic.size() + kVersionBytes + 4] = {};
  file.in.read(reinterpret_cast<char*>(pre), kMagic.size() + kVersionBytes);
  if (file.in.gcount() != static_cast<std::streamsize>(kMagic.size() + kVersionBytes) ||
      std::memcmp(pre, kMagic.data(), kMagic.size()) != 0)
    return data_loss(path + ": bad magic, not a .npy file (expected \\x93NUMPY)");
  const int major = pre[kMagic.size()];
  if (major < 1 || major > 3)
    return invalid_argument(path + ": unsupported .npy format version (byte " +
                            std::to_string(kMagic.size()) + "); supported: 1, 2, 3");
  const size_t len_bytes = major == 1 ? 2 : 4;
  file.in.read(reinterpret_cast<char*>(pre), static_cast<std::streamsize>(len_bytes));
  if (file.in.gcount() != static_cast<std::streamsize>(len_bytes))
    return data_loss(path + ": truncated header");
  const int64_t header_len = load_le(pre, len_bytes);
  file.header.data_offset =
      static_cast<int64_t>(kMagic.size() + kVersionBytes + len_bytes) + header_len;
  if (header_len > kMaxNpyHeaderBytes)
    return data_loss(path + ": header length field announces more than " +
                     std::to_string(kMaxNpyHeaderBytes) + " bytes");
  if (file.header.data_offset > file.file_bytes) return data_loss(path + ": truncated header");

  std::string text(static_cast<size_t>(header_len), '\0');
  file.in.read(text.data(), header_len);
  if (file.in.gcount() != header_len) return data_loss(path + ": truncated header");
  if (!HeaderDictParser(text).parse(file.header))
    return data_loss(path +
                     ": cannot parse header; expected numpy's dict of 'descr', 'fortran_order' "
                     "and 'shape'");
  if (file.header.fortran_order)
    return invalid_argument(path + ": fortran_order True is not supported; save a C-ordered array");
  for (size_t i = 0; i < file.header.shape.size(); ++i) {
    const int64_t d = file.header.shape[i];
    if (d == 0) return invalid_argument(path + ": dimension " + std::to_string(i) + " is zero");
    if (file.header.elements > kMaxNpyElements / d)
      return invalid_argument(path + ": header announces more than " +
                              std::to_string(kMaxNpyElements) + " elements");
    file.header.elements *= d;
  }
  return ok_status();
}

// The data must fill the rest of the file exactly; checked before allocating.
Status check_data_size(const NpyFile& file, int64_t item_bytes) {
  const int64_t want = file.header.elements * item_bytes;
  const int64_t have = file.file_bytes - file.header.data_offset;
  const std::string size = " (the file is " + std::to_string(file.file_bytes) + " bytes)";
  if (have < want)
    return data_loss(file.path + ": truncated: the header's shape and dtype need more data" + size);
  if (have > want)
    return data_loss(file.path +
                     ": trailing bytes after the data the header's shape and dtype "
                     "describe" +
                     size);
  return ok_status();
}

// Streams `count` items through a buffer of at most kStageBytes, no larger
// than the data (a small file costs no megabyte to allocate and clear);
// convert(src, first, n) stores items [first, first + n) and returns a non-ok
// Status to stop.
template <class Convert>
Status stream_items(NpyFile& file, int64_t count, size_t item_bytes, Convert convert) {
  const int64_t per_chunk = std::min(static_cast<int64_t>(kStageBytes / item_bytes), count);
  std::vector<unsigned char> stage(static_cast<size_t>(per_chunk) * item_bytes);
  for (int64_t first = 0; first < count; first += per_chunk) {
    const int64_t n = std::min(per_chunk, count - first);
    const auto bytes = static_cast<std::streamsize>(n * static_cast<int64_t>(item_bytes));
    file.in.read(reinterpret_cast<char*>(stage.data()), bytes);
    if (file.in.gcount() != bytes) return data_loss(file.path + ": read error in the data");
    if (Status s = convert(stage.data(), first, n); !s.ok()) return s;
  }
  return ok_status();
}

// Bytes per feature element after checking dtype, rank and file size.
Result<size_t> check_features(const NpyFile& file) {
  const std::string& descr = file.header.descr;
  size_t item_bytes = 0;
  if (descr == "<f4") item_bytes = sizeof(float);
  if (descr == "|u1" || descr == "<u1") item_bytes = 1;
  if (item_bytes == 0)
    return invalid_argument(file.path +
                            ": unsupported features dtype in the header's 'descr'; supported: "
                            "'<f4', '|u1'");
  if (file.header.shape.empty())
    return invalid_argument(file.path + ": features need at least one dimension (samples)");
  if (Status s = check_data_size(file, static_cast<int64_t>(item_bytes)); !s.ok()) return s;
  return item_bytes;
}

// Bytes per label after checking dtype, shape against `count` and file size.
Result<size_t> check_labels(const NpyFile& file, const std::string& features_path, int64_t count) {
  const std::string& descr = file.header.descr;
  size_t item_bytes = 0;
  if (descr == "|u1" || descr == "<u1") item_bytes = 1;
  if (descr == "<i4") item_bytes = 4;
  if (descr == "<i8") item_bytes = 8;
  if (item_bytes == 0)
    return invalid_argument(file.path +
                            ": unsupported labels dtype in the header's 'descr'; supported: "
                            "'|u1', '<u1', '<i4', '<i8'");
  // The file must agree with its own size before it is compared with the features.
  if (Status s = check_data_size(file, static_cast<int64_t>(item_bytes)); !s.ok()) return s;
  if (file.header.shape.size() != 1 || file.header.shape[0] != count)
    return invalid_argument(file.path +
                            ": labels must have shape (samples,): one dimension, as long as the "
                            "first of " +
                            features_path);
  return item_bytes;
}

Status read_features(NpyFile& file, size_t item_bytes, Dataset& out) {
  const bool is_u8 = item_bytes == 1;
  out.features.resize(static_cast<size_t>(file.header.elements));
  float* dst = out.features.data();
  Status s = stream_items(file, file.header.elements, item_bytes,
                          [&](const unsigned char* src, int64_t first, int64_t n) {
                            if (is_u8) {
                              std::copy(src, src + n, dst + first);
                              return ok_status();
                            }
                            std::memcpy(dst + first, src, static_cast<size_t>(n) * sizeof(float));
                            for (int64_t i = first; i < first + n; ++i)
                              if (!std::isfinite(dst[i]))
                                return invalid_argument(file.path + ": element " +
                                                        std::to_string(i) + " is NaN or infinite");
                            return ok_status();
                          });
  if (!s.ok()) return s;
  out.count = file.header.shape[0];
  out.sample_shape.assign(file.header.shape.begin() + 1, file.header.shape.end());
  out.source_type = is_u8 ? SourceType::kUint8 : SourceType::kFloat32;
  return ok_status();
}

Status read_labels(NpyFile& file, size_t item_bytes, Dataset& out) {
  out.labels.resize(static_cast<size_t>(out.count));
  int32_t* dst = out.labels.data();
  return stream_items(
      file, out.count, item_bytes, [&](const unsigned char* src, int64_t first, int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
          int64_t v = 0;
          if (item_bytes == 1) v = src[i];
          if (item_bytes == 4) v = static_cast<int32_t>(load_le(src + 4 * i, 4));
          if (item_bytes == 8) std::memcpy(&v, src + 8 * i, sizeof v);
          if (v < 0 || v > kMaxNpyLabel)
            return invalid_argument(file.path + ": label " + std::to_string(first + i) +
                                    " is outside [0, " + std::to_string(kMaxNpyLabel) + "]");
          dst[first + i] = static_cast<int32_t>(v);
        }
        return ok_status();
      });
}

// Both files opened, their headers parsed and checked against their sizes and
// each other; nothing of the data is read yet.
struct NpyPair {
  NpyFile features;
  NpyFile labels;
  size_t feature_bytes = 0;
  size_t label_bytes = 0;
};

Status open_pair(const std::string& features_path, const std::string& labels_path, NpyPair& pair) {
  if (Status s = open_npy(features_path, pair.features); !s.ok()) return s;
  if (Status s = open_npy(labels_path, pair.labels); !s.ok()) return s;
  auto feature_bytes = check_features(pair.features);
  if (!feature_bytes.ok()) return feature_bytes.status();
  auto label_bytes = check_labels(pair.labels, features_path, pair.features.header.shape[0]);
  if (!label_bytes.ok()) return label_bytes.status();
  pair.feature_bytes = *feature_bytes;
  pair.label_bytes = *label_bytes;
  return ok_status();
}

}  // namespace

Result<Dataset> read_npy(const std::string& features_path, const std::string& labels_path) {
  NpyPair pair;
  if (Status s = open_pair(features_path, labels_path, pair); !s.ok()) return s;
  Dataset out;
  if (Status s = read_features(pair.features, pair.feature_bytes, out); !s.ok()) return s;
  if (Status s = read_labels(pair.labels, pair.label_bytes, out); !s.ok()) return s;
  return out;
}

Result<DatasetShape> read_npy_shape(const std::string& features_path,
                                    const std::string& labels_path) {
  NpyPair pair;
  if (Status s = open_pair(features_path, labels_path, pair); !s.ok()) return s;
  const std::vector<int64_t>& shape = pair.features.header.shape;
  return DatasetShape{shape[0], std::vector<int64_t>(shape.begin() + 1, shape.end())};
}

Result<Dataset> read_npy_features(const std::string& path) {
  NpyFile features;
  if (Status s = open_npy(path, features); !s.ok()) return s;
  auto feature_bytes = check_features(features);
  if (!feature_bytes.ok()) return feature_bytes.status();
  Dataset out;
  if (Status s = read_features(features, *feature_bytes, out); !s.ok()) return s;
  return out;
}

}  // namespace gradstream::engine
