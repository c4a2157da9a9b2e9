// data.files: one table of formats, each with its full reader and its
// header-only scan, so every format offers both.
#include "engine/data/file_source.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "engine/io/csv_reader.hpp"
#include "engine/io/idx_reader.hpp"
#include "engine/io/npy_reader.hpp"

namespace gradstream::engine {

namespace {

// A file format: the suffixes that imply it, how to read it and how to scan it.
struct FormatEntry {
  v1::Format format;
  const char* name;
  std::array<std::string_view, 3> suffixes;  // lower case; empty = unused
  bool labels_inside;                        // CSV: no separate labels file
  Result<Dataset> (*read)(const v1::FileSource& src, const std::string& features,
                          const std::string& labels);
  Result<DatasetShape> (*scan)(const v1::FileSource& src, const std::string& features,
                               const std::string& labels);
};

constexpr std::array kFormats = {
    FormatEntry{v1::IDX,
                "IDX",
                {".idx", ".gz", "-ubyte"},
                false,
                [](const v1::FileSource&, const std::string& f, const std::string& l) {
                  return read_idx(f, l);
                },
                [](const v1::FileSource&, const std::string& f, const std::string& l) {
                  return read_idx_shape(f, l);
                }},
    FormatEntry{v1::CSV,
                "CSV",
                {".csv", "", ""},
                true,
                [](const v1::FileSource& src, const std::string& f, const std::string&) {
                  return read_csv(f, src.label_column(), src.csv_header());
                },
                [](const v1::FileSource& src, const std::string& f, const std::string&) {
                  return scan_csv(f, src.label_column(), src.csv_header());
                }},
    FormatEntry{v1::NPY,
                "NPY",
                {".npy", "", ""},
                false,
                [](const v1::FileSource&, const std::string& f, const std::string& l) {
                  return read_npy(f, l);
                },
                [](const v1::FileSource&, const std::string& f, const std::string& l) {
                  return read_npy_shape(f, l);
                }},
};

// The format named by data.files.format, or else implied by the file's suffix.
Result<const FormatEntry*> resolve_format(const v1::FileSource& src, const std::string& path,
                                          const std::string& field) {
  if (src.format() != v1::FORMAT_UNSPECIFIED) {
    for (const FormatEntry& f : kFormats)
      if (f.format == src.format()) return &f;
    return invalid_argument("data.files.format: unknown value " + std::to_string(src.format()));
  }
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const FormatEntry& f : kFormats)
    for (std::string_view suffix : f.suffixes)
      if (!suffix.empty() && lower.ends_with(suffix)) return &f;
  return invalid_argument(field + ": cannot tell the format of '" + path +
                          "' from its name (.idx/.gz/-ubyte, .csv, .npy); set data.files.format");
}

struct FilePair {
  const FormatEntry* format;
  const std::string& features;
  const std::string& labels;
};

// The split's files and format, after checking the fields fit the format.
Result<FilePair> resolve_pair(const v1::FileSource& src, const std::string& split) {
  const bool train = split == "train";
  const std::string& features = train ? src.train_features() : src.test_features();
  const std::string& labels = train ? src.train_labels() : src.test_labels();
  const std::string features_field = "data.files." + split + "_features";
  const std::string labels_field = "data.files." + split + "_labels";
  if (features.empty()) return invalid_argument(features_field + ": is required");
  auto format = resolve_format(src, features, features_field);
  if (!format.ok()) return format.status();
  const FormatEntry& f = **format;
  if (f.labels_inside && !labels.empty())
    return invalid_argument(labels_field + ": " + f.name +
                            " files hold their labels (data.files.label_column); leave it empty");
  if (!f.labels_inside && labels.empty())
    return invalid_argument(labels_field + ": is required for " + f.name + " files");
  return FilePair{&f, features, labels};
}

}  // namespace

Result<v1::Format> file_format(const v1::FileSource& src, const std::string& split) {
  auto pair = resolve_pair(src, split);
  if (!pair.ok()) return pair.status();
  return pair->format->format;
}

Result<Dataset> read_file_pair(const v1::FileSource& src, const std::string& split) {
  auto pair = resolve_pair(src, split);
  if (!pair.ok()) return pair.status();
  return pair->format->read(src, pair->features, pair->labels);
}

Result<DatasetShape> scan_file_pair(const v1::FileSource& src, const std::string& split) {
  auto pair = resolve_pair(src, split);
  if (!pair.ok()) return pair.status();
  return pair->format->scan(src, pair->features, pair->labels);
}

}  // namespace gradstream::engine
