// DatasetStore and DatasetUpload: streaming checks and hashing, the atomic
// rename into place, and loading back for the engine.
#include "server/dataset_store.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

namespace gradstream::server {

// Stored bytes are little-endian; on such a host they are copied as they are.
static_assert(std::endian::native == std::endian::little,
              "dataset files assume a little-endian host");

namespace fs = std::filesystem;

namespace {

constexpr char kHeaderFile[] = "header.pb";
constexpr char kFeaturesFile[] = "features.bin";
constexpr char kLabelsFile[] = "labels.bin";
constexpr size_t kDigestBytes = 32;  // sha256

using Digest = std::array<unsigned char, kDigestBytes>;

struct EvpContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpContext = std::unique_ptr<EVP_MD_CTX, EvpContextFree>;

EvpContext new_sha256() {
  EvpContext ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return nullptr;
  return ctx;
}

Digest finish_sha256(EVP_MD_CTX* ctx) {
  Digest digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, digest.data(), &size);
  return digest;
}

std::string to_hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

std::string random_suffix() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mutex);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  uint64_t bits = rng();
  for (int i = 0; i < 16; ++i, bits >>= 4) out += kHex[bits & 0xF];
  return out;
}

engine::Status io_error(const std::string& what, const fs::path& path) {
  return engine::internal_error("datasets: cannot " + what + " " + path.string() + ": " +
                                std::strerror(errno));
}

// Reads a whole file into `dst` (exactly `size` bytes), or data_loss naming it.
engine::Status read_exactly(const fs::path& path, char* dst, uint64_t size) {
  std::error_code ec;
  const uintmax_t on_disk = fs::file_size(path, ec);
  if (ec || on_disk != size) {
    return engine::data_loss(
        "datasets: " + path.string() + " holds " +
        (ec ? std::string("nothing readable") : std::to_string(on_disk) + " bytes") +
        ", its header says " + std::to_string(size));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.read(dst, static_cast<std::streamsize>(size)))
    return engine::data_loss("datasets: cannot read " + path.string());
  return engine::ok_status();
}

// Calls visit(index, element) for each complete `width`-byte element of
// carry + bytes, numbering them from `index`; an incomplete tail waits in `carry`.
template <class Visit>
engine::Status for_each_element(std::string& carry, uint64_t& index, size_t width,
                                std::string_view bytes, Visit&& visit) {
  size_t pos = 0;
  if (!carry.empty()) {
    pos = std::min(width - carry.size(), bytes.size());
    carry.append(bytes.substr(0, pos));
    if (carry.size() < width) return engine::ok_status();
    if (engine::Status s = visit(index, carry.data()); !s.ok()) return s;
    ++index;
    carry.clear();
  }
  for (; pos + width <= bytes.size(); pos += width, ++index)
    if (engine::Status s = visit(index, bytes.data() + pos); !s.ok()) return s;
  carry.assign(bytes.substr(pos));
  return engine::ok_status();
}

}  // namespace

// ---- DatasetStore ----------------------------------------------------------

DatasetStore::DatasetStore(fs::path root, int64_t max_dataset_bytes, UploadedBytesCallback on_bytes)
    : root_(std::move(root)),
      max_dataset_bytes_(max_dataset_bytes),
      on_bytes_(std::move(on_bytes)) {}

engine::Result<std::unique_ptr<DatasetStore>> DatasetStore::open(const std::string& data_dir,
                                                                 int64_t max_dataset_bytes,
                                                                 UploadedBytesCallback on_bytes) {
  const fs::path root = fs::path(data_dir) / kDatasetsSubdir;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    return engine::failed_precondition("data_dir: cannot create " + root.string() + ": " +
                                       ec.message());
  }
  // Uploads cut off by a crash: never renamed into place, so never visible.
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    if (entry.path().filename().string().starts_with(kUploadDirPrefix)) {
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
    }
  }
  return std::unique_ptr<DatasetStore>(
      new DatasetStore(root, max_dataset_bytes, std::move(on_bytes)));
}

engine::Result<fs::path> DatasetStore::dataset_dir(const std::string& id) const {
  const std::string_view prefix = kDatasetIdPrefix;
  const std::string_view hex = std::string_view(id).substr(std::min(id.size(), prefix.size()));
  const bool well_formed = id.starts_with(prefix) && hex.size() == 2 * kDigestBytes &&
                           std::all_of(hex.begin(), hex.end(), [](char c) {
                             return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                           });
  if (!well_formed) {
    return engine::invalid_argument("\"" + id + "\" is not a dataset id (sha256:<64 hex digits>)");
  }
  fs::path dir = root_ / std::string(hex);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return engine::not_found("dataset \"" + id + "\" not found on this server");
  }
  return dir;
}

engine::Result<v1::Dataset> DatasetStore::describe(const std::string& id) const {
  auto dir = dataset_dir(id);
  if (!dir.ok()) return dir.status();
  v1::Dataset dataset;
  std::ifstream in(*dir / kHeaderFile, std::ios::binary);
  if (!in || !dataset.mutable_header()->ParseFromIstream(&in))
    return engine::data_loss("datasets: cannot read " + (*dir / kHeaderFile).string());
  auto layout = validate_dataset_header(dataset.header(), std::numeric_limits<int64_t>::max());
  if (!layout.ok()) {
    return engine::data_loss("datasets: " + (*dir / kHeaderFile).string() + ": " +
                             layout.status().message());
  }
  dataset.set_id(id);
  dataset.set_bytes(layout->total_bytes());
  return dataset;
}

engine::Result<engine::Dataset> DatasetStore::load(const std::string& id) const {
  auto described = describe(id);
  if (!described.ok()) return described.status();
  const v1::DatasetHeader& header = described->header();
  const DatasetLayout layout =
      *validate_dataset_header(header, std::numeric_limits<int64_t>::max());
  const fs::path dir = root_ / id.substr(std::strlen(kDatasetIdPrefix));

  engine::Dataset data;
  for (uint32_t dim : header.sample_shape()) data.sample_shape.push_back(dim);
  data.count = static_cast<int64_t>(header.count());
  const uint64_t values = header.count() * layout.sample_values;
  data.features.resize(values);
  if (header.element_type() == v1::FLOAT32) {
    data.source_type = engine::SourceType::kFloat32;
    if (engine::Status s =
            read_exactly(dir / kFeaturesFile, reinterpret_cast<char*>(data.features.data()),
                         layout.feature_bytes);
        !s.ok())
      return s;
  } else {
    data.source_type = engine::SourceType::kUint8;
    std::vector<unsigned char> raw(values);
    if (engine::Status s = read_exactly(dir / kFeaturesFile, reinterpret_cast<char*>(raw.data()),
                                        layout.feature_bytes);
        !s.ok())
      return s;
    std::copy(raw.begin(), raw.end(), data.features.begin());
  }
  data.labels.resize(header.count());
  if (engine::Status s = read_exactly(
          dir / kLabelsFile, reinterpret_cast<char*>(data.labels.data()), layout.label_bytes);
      !s.ok())
    return s;
  const auto bad = std::find_if(data.labels.begin(), data.labels.end(), [&](int32_t label) {
    return label < 0 || static_cast<uint32_t>(label) >= header.num_classes();
  });
  if (bad != data.labels.end()) {
    return engine::data_loss("datasets: " + (dir / kLabelsFile).string() + ": label " +
                             std::to_string(*bad) + " is out of range");
  }
  return data;
}

engine::Result<std::unique_ptr<DatasetUpload>> DatasetStore::begin_upload(
    const v1::DatasetHeader& header) {
  auto layout = validate_dataset_header(header, max_dataset_bytes_);
  if (!layout.ok()) return layout.status();
  const fs::path dir = root_ / (std::string(kUploadDirPrefix) + random_suffix());
  std::error_code ec;
  if (!fs::create_directory(dir, ec) || ec) {
    return engine::internal_error("datasets: cannot create " + dir.string() + ": " +
                                  (ec ? ec.message() : std::string("it exists")));
  }
  std::unique_ptr<DatasetUpload> upload(new DatasetUpload(*this, header, *layout, dir));
  if (engine::Status s = upload->open_files(); !s.ok()) return s;  // the destructor cleans up
  return upload;
}

// ---- DatasetUpload ---------------------------------------------------------

struct DatasetUpload::Stream {
  fs::path path;
  std::FILE* file = nullptr;
  EvpContext hash;
  uint64_t received = 0;  // bytes appended so far
  uint64_t elements = 0;  // complete elements checked so far
  std::string carry;      // bytes of an element split across appends

  ~Stream() {
    if (file != nullptr) std::fclose(file);
  }

  engine::Status open(const fs::path& file_path) {
    path = file_path;
    hash = new_sha256();
    if (!hash) return engine::internal_error("datasets: cannot start a sha256 hash");
    file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) return io_error("create", path);
    return engine::ok_status();
  }

  engine::Status write(std::string_view bytes) {
    if (bytes.empty()) return engine::ok_status();
    if (std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size())
      return io_error("write", path);
    EVP_DigestUpdate(hash.get(), bytes.data(), bytes.size());
    received += bytes.size();
    return engine::ok_status();
  }

  // Flushed to the disk before the rename, so a stored dataset is complete.
  engine::Status close() {
    const bool ok = std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
    const bool closed = std::fclose(file) == 0;
    file = nullptr;
    return ok && closed ? engine::ok_status() : io_error("write", path);
  }
};

DatasetUpload::DatasetUpload(DatasetStore& store, v1::DatasetHeader header, DatasetLayout layout,
                             fs::path dir)
    : store_(store), header_(std::move(header)), layout_(layout), dir_(std::move(dir)) {}

DatasetUpload::~DatasetUpload() {
  features_.reset();
  labels_.reset();
  if (!committed_) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

engine::Status DatasetUpload::open_files() {
  features_ = std::make_unique<Stream>();
  labels_ = std::make_unique<Stream>();
  if (engine::Status s = features_->open(dir_ / kFeaturesFile); !s.ok()) return s;
  return labels_->open(dir_ / kLabelsFile);
}

engine::Status DatasetUpload::append_features(std::string_view bytes) {
  if (features_->received + bytes.size() > layout_.feature_bytes) {
    return engine::invalid_argument(
        "features: header.sample_shape " + sample_shape_text(header_) + " x header.count " +
        std::to_string(header_.count()) + " x " + std::to_string(layout_.element_bytes) +
        " bytes = " + std::to_string(layout_.feature_bytes) + " bytes expected, got at least " +
        std::to_string(features_->received + bytes.size()));
  }
  if (engine::Status s = check_feature_values(bytes); !s.ok()) return s;
  if (engine::Status s = features_->write(bytes); !s.ok()) return s;
  if (store_.on_bytes_ && !bytes.empty()) store_.on_bytes_(bytes.size());
  return engine::ok_status();
}

engine::Status DatasetUpload::append_labels(std::string_view bytes) {
  if (labels_->received + bytes.size() > layout_.label_bytes) {
    return engine::invalid_argument("labels: header.count " + std::to_string(header_.count()) +
                                    " x 4 bytes = " + std::to_string(layout_.label_bytes) +
                                    " bytes expected, got at least " +
                                    std::to_string(labels_->received + bytes.size()));
  }
  if (engine::Status s = check_label_values(bytes); !s.ok()) return s;
  if (engine::Status s = labels_->write(bytes); !s.ok()) return s;
  if (store_.on_bytes_ && !bytes.empty()) store_.on_bytes_(bytes.size());
  return engine::ok_status();
}

engine::Status DatasetUpload::check_feature_values(std::string_view bytes) {
  if (header_.element_type() != v1::FLOAT32) {
    features_->elements += bytes.size();
    return engine::ok_status();
  }
  const uint64_t per_sample = layout_.sample_values;
  return for_each_element(
      features_->carry, features_->elements, sizeof(float), bytes,
      [&](uint64_t index, const char* element) {
        float value;
        std::memcpy(&value, element, sizeof value);
        if (std::isfinite(value)) return engine::ok_status();
        return engine::invalid_argument("features: sample " + std::to_string(index / per_sample) +
                                        ", value " + std::to_string(index % per_sample) + " is " +
                                        (std::isnan(value) ? "NaN" : "infinite") +
                                        "; float32 features must be finite");
      });
}

engine::Status DatasetUpload::check_label_values(std::string_view bytes) {
  const uint32_t classes = header_.num_classes();
  return for_each_element(
      labels_->carry, labels_->elements, kLabelBytes, bytes,
      [&](uint64_t index, const char* element) {
        int32_t label;
        std::memcpy(&label, element, sizeof label);
        if (label >= 0 && static_cast<uint32_t>(label) < classes) return engine::ok_status();
        return engine::invalid_argument("labels[" + std::to_string(index) +
                                        "]: " + std::to_string(label) + " is out of range [0, " +
                                        std::to_string(classes) + ") (header.num_classes)");
      });
}

engine::Result<v1::Dataset> DatasetUpload::commit() {
  if (features_->received != layout_.feature_bytes) {
    return engine::invalid_argument("features: header.sample_shape " + sample_shape_text(header_) +
                                    " x header.count " + std::to_string(header_.count()) + " x " +
                                    std::to_string(layout_.element_bytes) +
                                    " bytes = " + std::to_string(layout_.feature_bytes) +
                                    " bytes expected, got " + std::to_string(features_->received));
  }
  if (labels_->received != layout_.label_bytes) {
    return engine::invalid_argument("labels: header.count " + std::to_string(header_.count()) +
                                    " x 4 bytes = " + std::to_string(layout_.label_bytes) +
                                    " bytes expected, got " + std::to_string(labels_->received));
  }
  if (engine::Status s = features_->close(); !s.ok()) return s;
  if (engine::Status s = labels_->close(); !s.ok()) return s;
  {
    std::ofstream out(dir_ / kHeaderFile, std::ios::binary);
    if (!header_.SerializeToOstream(&out) || !out.flush())
      return io_error("write", dir_ / kHeaderFile);
  }

  EvpContext id_hash = new_sha256();
  if (!id_hash) return engine::internal_error("datasets: cannot start a sha256 hash");
  const std::string canonical = canonical_dataset_header(header_);
  const Digest features_digest = finish_sha256(features_->hash.get());
  const Digest labels_digest = finish_sha256(labels_->hash.get());
  EVP_DigestUpdate(id_hash.get(), canonical.data(), canonical.size());
  EVP_DigestUpdate(id_hash.get(), features_digest.data(), features_digest.size());
  EVP_DigestUpdate(id_hash.get(), labels_digest.data(), labels_digest.size());
  const std::string hex = to_hex(finish_sha256(id_hash.get()));
  const std::string id = kDatasetIdPrefix + hex;

  const fs::path target = store_.root_ / hex;
  std::error_code ec;
  if (!fs::exists(target, ec)) fs::rename(dir_, target, ec);
  if (std::error_code gone; !ec && !fs::exists(dir_, gone)) {
    committed_ = true;
    v1::Dataset dataset;
    dataset.set_id(id);
    *dataset.mutable_header() = header_;
    dataset.set_bytes(layout_.total_bytes());
    return dataset;
  }
  // Stored before (or by a concurrent upload of the same content): keep that
  // copy untouched; the destructor removes ours.
  auto stored = store_.describe(id);
  if (!stored.ok()) {
    return engine::internal_error("datasets: cannot store " + target.string() + ": " +
                                  (ec ? ec.message() : stored.status().message()));
  }
  stored->set_already_present(true);
  return stored;
}

}  // namespace gradstream::server
