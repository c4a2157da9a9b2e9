// upload: reads a dataset with the engine's readers (IDX, CSV, NPY; no oneDNN)
// and streams it to UploadDataset in chunks well under gRPC's message limit.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "client/commands.hpp"
#include "client/exit_codes.hpp"
#include "client/job_format.hpp"
#include "client/status_report.hpp"
#include "engine/base/input_limits.hpp"
#include "engine/io/csv_reader.hpp"
#include "engine/io/dataset.hpp"
#include "engine/io/idx_reader.hpp"
#include "engine/io/npy_reader.hpp"

namespace gradstream::client {

namespace {

// Content bytes per chunk: far below the server's default 16 MiB message limit.
constexpr size_t kUploadChunkBytes = size_t{1} << 20;
constexpr size_t kLabelBytes = 4;  // int32, little-endian

enum class FileFormat { kIdx, kCsv, kNpy };

// The format a features file's name implies; IDX (raw or .gz) otherwise.
FileFormat format_of(const std::string& path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.ends_with(".csv")) return FileFormat::kCsv;
  if (lower.ends_with(".npy")) return FileFormat::kNpy;
  return FileFormat::kIdx;
}

// Reads FILE [LABELS] (or --labels) with the reader of its format. An error
// names the file (the readers' messages do) or the option.
engine::Result<engine::Dataset> read_dataset(const UploadOptions& options) {
  if (options.files.empty() || options.files.size() > 2) {
    return engine::invalid_argument(
        "upload: give a features file and, for IDX and NPY, a labels "
        "file (FILE [LABELS] or --labels)");
  }
  if (options.files.size() == 2 && !options.labels_path.empty()) {
    return engine::invalid_argument("upload: the labels file is given twice (" + options.files[1] +
                                    " and --labels " + options.labels_path + ")");
  }
  const std::string& features = options.files[0];
  const std::string labels = options.files.size() == 2 ? options.files[1] : options.labels_path;
  const FileFormat format = format_of(features);
  if (format == FileFormat::kCsv) {
    if (!labels.empty()) {
      return engine::invalid_argument(features +
                                      ": CSV files hold their labels (--label-column); "
                                      "drop the labels file " +
                                      labels);
    }
    return engine::read_csv(features, options.label_column, options.csv_header);
  }
  if (labels.empty()) {
    return engine::invalid_argument(features + ": " + (format == FileFormat::kNpy ? "NPY" : "IDX") +
                                    " features need a labels file (FILE LABELS or --labels)");
  }
  return format == FileFormat::kNpy ? engine::read_npy(features, labels)
                                    : engine::read_idx(features, labels);
}

// The features file's name as a dataset name: characters outside
// engine::kNameCharacters become '_', and it is cut to engine::kMaxNameLength,
// so a file called "my data (v2).csv" uploads as "my_data__v2_.csv".
std::string default_dataset_name(const std::string& features) {
  std::string name = std::filesystem::path(features).filename().string();
  for (char& c : name) {
    const bool allowed =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    if (!allowed) c = '_';
  }
  if (name.size() > engine::kMaxNameLength) name.resize(engine::kMaxNameLength);
  return name;
}

v1::DatasetHeader header_for(const engine::Dataset& data, const UploadOptions& options) {
  v1::DatasetHeader header;
  header.set_name(options.name.empty() ? default_dataset_name(options.files[0]) : options.name);
  // uint8 sources stay uint8 on the wire: a quarter of the bytes, same values.
  header.set_element_type(data.source_type == engine::SourceType::kUint8 ? v1::UINT8 : v1::FLOAT32);
  for (int64_t dim : data.sample_shape) header.add_sample_shape(static_cast<uint32_t>(dim));
  header.set_count(static_cast<uint64_t>(data.count));
  int32_t max_label = 0;
  for (int32_t label : data.labels) max_label = std::max(max_label, label);
  header.set_num_classes(options.num_classes > 0 ? options.num_classes
                                                 : static_cast<uint32_t>(max_label) + 1);
  return header;
}

// Features [begin, end) as the header's element type, little-endian.
std::string feature_bytes(const engine::Dataset& data, bool as_uint8, size_t begin, size_t end) {
  std::string out;
  if (as_uint8) {
    out.reserve(end - begin);
    for (size_t i = begin; i < end; ++i)
      out += static_cast<char>(static_cast<uint8_t>(data.features[i]));
  } else {
    out.resize((end - begin) * sizeof(float));
    std::memcpy(out.data(), data.features.data() + begin, out.size());  // x86-64: little-endian
  }
  return out;
}

// Sends the header, then features, then labels, one chunk of at most
// kUploadChunkBytes of content at a time. Stops at the first failed write
// (the server has answered; Finish says why).
void write_chunks(grpc::ClientWriter<v1::UploadDatasetChunk>& writer,
                  const v1::DatasetHeader& header, const engine::Dataset& data) {
  const bool as_uint8 = header.element_type() == v1::UINT8;
  const size_t per_feature_chunk = kUploadChunkBytes / (as_uint8 ? 1 : sizeof(float));
  v1::UploadDatasetChunk chunk;
  *chunk.mutable_header() = header;
  for (size_t i = 0; i < data.features.size(); i += per_feature_chunk) {
    chunk.set_features(
        feature_bytes(data, as_uint8, i, std::min(data.features.size(), i + per_feature_chunk)));
    if (!writer.Write(chunk)) return;
    chunk.Clear();
  }
  const size_t per_label_chunk = kUploadChunkBytes / kLabelBytes;
  for (size_t i = 0; i < data.labels.size(); i += per_label_chunk) {
    const size_t n = std::min(data.labels.size() - i, per_label_chunk);
    chunk.set_labels(reinterpret_cast<const char*>(data.labels.data() + i), n * kLabelBytes);
    if (!writer.Write(chunk)) return;
    chunk.Clear();
  }
}

}  // namespace

int run_upload_dataset(Connection& connection, const UploadOptions& options, Terminal& terminal) {
  engine::Result<engine::Dataset> data = read_dataset(options);
  if (!data.ok()) {
    terminal.err << "gradstream: " << data.status().message() << "\n";
    return kExitUsage;
  }
  const v1::DatasetHeader header = header_for(*data, options);
  v1::Dataset dataset;
  auto context = connection.stream_context();
  auto writer = connection.stub().UploadDataset(context.get(), &dataset);
  write_chunks(*writer, header, *data);
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    terminal.err << "gradstream: upload is not supported by this server yet\n";
    return kExitUsage;
  }
  if (!status.ok()) return report_failure(connection.explain(status), terminal.err);
  terminal.out << (options.json ? to_json_line(dataset) : dataset.id()) << "\n";
  terminal.out.flush();
  return kExitOk;
}

}  // namespace gradstream::client
