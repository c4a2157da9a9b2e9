// Data loading: two tables (built-in data sets, file formats) decide what to
// read; everything after reading is shared with the server's uploaded data sets.
#include "engine/data/data_loader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/data/batcher.hpp"
#include "engine/data/file_source.hpp"
#include "engine/io/idx_reader.hpp"

namespace gradstream::engine {

namespace {

// A data set shipped with the system: a directory of IDX files.
struct BuiltinEntry {
  const char* name;
  const char* default_dir;
  const char* dir_env;  // overrides default_dir when set and non-empty
  const char* train_features;
  const char* train_labels;
  const char* test_features;
  const char* test_labels;
};

constexpr std::array kBuiltins = {
    BuiltinEntry{"fashion-mnist", kFashionMnistDir, kFashionMnistDirEnv,
                 "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"},
};

Status with_context(const Status& s, const std::string& context) {
  return {s.code(), context + s.message()};
}

std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// A built-in data set as read from disk, before splitting and preprocessing.
struct RawBuiltin {
  Dataset train;
  Dataset test;
};

// Built-in data sets are read once per process and directory: a server
// running many jobs on fashion-mnist would otherwise gunzip all of it for
// every job. Each job still gets its own copy to split and scale. Failures are
// not cached, so fixing the files on disk takes effect.
Result<std::shared_ptr<const RawBuiltin>> read_builtin(const BuiltinEntry& entry,
                                                       const std::filesystem::path& dir,
                                                       const std::string& context) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const RawBuiltin>> cache;
  const std::string key = std::string(entry.name) + "\n" + dir.string();
  std::lock_guard lock(mutex);  // held while reading: concurrent first loads read once
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto train = read_idx((dir / entry.train_features).string(), (dir / entry.train_labels).string());
  if (!train.ok()) return with_context(train.status(), context);
  auto test = read_idx((dir / entry.test_features).string(), (dir / entry.test_labels).string());
  if (!test.ok()) return with_context(test.status(), context);
  auto raw = std::make_shared<const RawBuiltin>(
      RawBuiltin{std::move(train).value(), std::move(test).value()});
  cache.emplace(key, raw);
  return raw;
}

// Where the built-in data set data.builtin names lives.
struct BuiltinLocation {
  const BuiltinEntry* entry;
  std::filesystem::path dir;
  std::string context;  // "data.builtin 'NAME': ", for errors
};

Result<BuiltinLocation> locate_builtin(const v1::DataSpec& spec) {
  const auto entry = std::find_if(kBuiltins.begin(), kBuiltins.end(),
                                  [&](const BuiltinEntry& e) { return spec.builtin() == e.name; });
  if (entry == kBuiltins.end()) {
    std::string known;
    for (const BuiltinEntry& e : kBuiltins)
      known += (known.empty() ? "" : ", ") + std::string(e.name);
    return not_found("data.builtin: unknown data set '" + spec.builtin() + "'; known: " + known);
  }
  const char* env = std::getenv(entry->dir_env);
  return BuiltinLocation{&*entry, env != nullptr && *env != '\0' ? env : entry->default_dir,
                         "data.builtin '" + spec.builtin() + "': "};
}

// The built-in data set data.builtin names, read (once per process).
Result<std::shared_ptr<const RawBuiltin>> raw_builtin(const v1::DataSpec& spec) {
  auto where = locate_builtin(spec);
  if (!where.ok()) return where.status();
  return read_builtin(*where->entry, where->dir, where->context);
}

Result<DataSplits> load_builtin(const v1::DataSpec& spec, uint64_t seed) {
  auto raw = raw_builtin(spec);
  if (!raw.ok()) return raw.status();
  return split_and_preprocess((*raw)->train, (*raw)->test, spec, seed);
}

bool has_test_files(const v1::FileSource& src) {
  return !src.test_features().empty() || !src.test_labels().empty();
}

Result<DataSplits> load_files(const v1::DataSpec& spec, uint64_t seed) {
  const v1::FileSource& src = spec.files();
  auto train = read_file_pair(src, "train");
  if (!train.ok()) return train.status();
  std::optional<Dataset> test;
  if (has_test_files(src)) {
    auto read = read_file_pair(src, "test");
    if (!read.ok()) return read.status();
    test = std::move(read).value();
  }
  return split_and_preprocess(std::move(train).value(), std::move(test), spec, seed);
}

Status check_consistent(const Dataset& d, const std::string& name) {
  if (d.count <= 0) return invalid_argument(name + " set is empty");
  if (d.sample_size() <= 0) return invalid_argument(name + " set has empty samples");
  if (static_cast<int64_t>(d.features.size()) != d.count * d.sample_size() ||
      static_cast<int64_t>(d.labels.size()) != d.count)
    return invalid_argument(name + " set: " + std::to_string(d.features.size()) + " features and " +
                            std::to_string(d.labels.size()) + " labels do not fit " +
                            std::to_string(d.count) + " samples of " +
                            std::to_string(d.sample_size()) + " values");
  return ok_status();
}

Dataset take_rows(const Dataset& src, const std::vector<int64_t>& rows) {
  Dataset out;
  out.sample_shape = src.sample_shape;
  out.source_type = src.source_type;
  out.count = static_cast<int64_t>(rows.size());
  const int64_t n = src.sample_size();
  out.features.resize(rows.size() * static_cast<size_t>(n));
  out.labels.resize(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    std::copy_n(src.features.begin() + rows[i] * n, n,
                out.features.begin() + static_cast<int64_t>(i) * n);
    out.labels[i] = src.labels[static_cast<size_t>(rows[i])];
  }
  return out;
}

// Moves round(count * fraction) randomly chosen samples (at most count - 1,
// so training keeps one) into splits.validation.
void split_validation(Dataset all, double fraction, uint64_t seed, DataSplits& splits) {
  const int64_t n_val =
      std::min<int64_t>(std::llround(fraction * static_cast<double>(all.count)), all.count - 1);
  if (n_val <= 0) {
    splits.train = std::move(all);
    return;
  }
  std::vector<int64_t> order(static_cast<size_t>(all.count));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::mt19937_64 rng(seed);
  shuffle_indices(order, rng);
  std::vector<int64_t> val_rows(order.begin(), order.begin() + n_val);
  std::vector<int64_t> train_rows(order.begin() + n_val, order.end());
  // File order within each split: with data.no_shuffle, training sees it as written.
  std::sort(val_rows.begin(), val_rows.end());
  std::sort(train_rows.begin(), train_rows.end());
  splits.validation = take_rows(all, val_rows);
  splits.train = take_rows(all, train_rows);
  splits.has_validation = true;
}

Status preprocess(const v1::DataSpec& spec, DataSplits& splits) {
  if (!v1::Preprocess_IsValid(spec.preprocess()))
    return invalid_argument("data.preprocess: unknown value " + std::to_string(spec.preprocess()));
  v1::Preprocess mode = spec.preprocess();
  if (mode == v1::PREPROCESS_UNSPECIFIED)
    mode = splits.train.source_type == SourceType::kUint8 ? v1::SCALE : v1::NONE;
  if (mode == v1::SCALE) {
    splits.preprocessing = InputPreprocessing::scale();
  } else if (mode == v1::STANDARDIZE) {
    const Dataset& train = splits.train;
    splits.preprocessing =
        InputPreprocessing::standardize(train.features, train.count, train.sample_size());
  }
  for (Dataset* d : {&splits.train, &splits.validation, &splits.test})
    splits.preprocessing.apply(d->features.data(), d->features.size());
  return ok_status();
}

Result<int32_t> count_classes(const DataSplits& splits) {
  int64_t max_label = -1;
  for (const Dataset* d : {&splits.train, &splits.validation, &splits.test})
    for (int32_t label : d->labels) {
      if (label < 0)
        return invalid_argument("data: label " + std::to_string(label) + " is negative");
      max_label = std::max<int64_t>(max_label, label);
    }
  if (max_label + 1 > kMaxClasses)
    return invalid_argument("data: largest label is " + std::to_string(max_label) + "; at most " +
                            std::to_string(kMaxClasses) + " classes are supported");
  return static_cast<int32_t>(max_label + 1);
}

}  // namespace

Result<DataSplits> load_data(const v1::DataSpec& spec, uint64_t seed) {
  switch (spec.source_case()) {
    case v1::DataSpec::kBuiltin:
      return load_builtin(spec, seed);
    case v1::DataSpec::kFiles:
      return load_files(spec, seed);
    case v1::DataSpec::kDatasetId:
      return not_found("data.dataset_id: uploaded datasets are served by gradstream-server");
    case v1::DataSpec::SOURCE_NOT_SET:
      break;
  }
  return invalid_argument("data: set one of data.builtin, data.files or data.dataset_id");
}

namespace {

Status check_same_sample_size(int64_t test, int64_t train) {
  if (test == train) return ok_status();
  return invalid_argument("data: test samples have " + std::to_string(test) +
                          " values but train samples have " + std::to_string(train));
}

// data.validation_fraction within [0, kMaxValidationFraction].
Status check_validation_fraction(const v1::DataSpec& spec) {
  const float fraction = spec.validation_fraction();
  if (fraction >= 0.0f && fraction <= kMaxValidationFraction) return ok_status();
  return invalid_argument("data.validation_fraction: " + format_number(fraction) +
                          " is out of range [0, " + format_number(kMaxValidationFraction) + "]");
}

// A validation fraction above 0 must leave samples on both sides of the split
// (split_validation would quietly train without validation, or cap it).
Status check_validation_split(const v1::DataSpec& spec, int64_t count) {
  const float fraction = spec.validation_fraction();
  if (fraction <= 0.0f) return ok_status();
  const int64_t n_val = std::llround(fraction * static_cast<double>(count));
  if (n_val >= 1 && n_val < count) return ok_status();
  return invalid_argument("data.validation_fraction: " + format_number(fraction) + " of " +
                          std::to_string(count) + " training samples is " + std::to_string(n_val) +
                          " validation samples; the training and the validation split each "
                          "need at least one");
}

// The built-in set's counts from its files' headers, read once per process
// and directory (like the set itself): the first CreateJob of a process must
// not wait for the whole set to be gunzipped, and later ones should
// not open four gzip streams each.
Result<DatasetShape> builtin_train_shape(const v1::DataSpec& spec) {
  auto where = locate_builtin(spec);
  if (!where.ok()) return where.status();
  static std::mutex mutex;
  static std::map<std::string, DatasetShape> cache;
  const BuiltinEntry& entry = *where->entry;
  const std::string key = std::string(entry.name) + "\n" + where->dir.string();
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto train = read_idx_shape((where->dir / entry.train_features).string(),
                              (where->dir / entry.train_labels).string());
  if (!train.ok()) return with_context(train.status(), where->context);
  auto test = read_idx_shape((where->dir / entry.test_features).string(),
                             (where->dir / entry.test_labels).string());
  if (!test.ok()) return with_context(test.status(), where->context);
  if (Status s = check_same_sample_size(test->sample_size(), train->sample_size()); !s.ok())
    return with_context(s, where->context);
  cache.emplace(key, *train);
  return train;
}

Result<DataSummary> summarize_builtin(const v1::DataSpec& spec) {
  auto train = builtin_train_shape(spec);
  if (!train.ok()) return train.status();
  if (Status s = check_validation_fraction(spec); !s.ok()) return s;
  return DataSummary{train->count, train->sample_size()};
}

// data.files from headers and metadata only (see summarize_data).
Result<DataSummary> summarize_files(const v1::DataSpec& spec) {
  const v1::FileSource& src = spec.files();
  auto train = scan_file_pair(src, "train");
  if (!train.ok()) return train.status();
  if (has_test_files(src)) {
    auto test = scan_file_pair(src, "test");
    if (!test.ok()) return test.status();
    if (Status s = check_same_sample_size(test->sample_size(), train->sample_size()); !s.ok())
      return s;
  }
  if (Status s = check_validation_fraction(spec); !s.ok()) return s;
  if (Status s = check_validation_split(spec, train->count); !s.ok()) return s;
  return DataSummary{train->count, train->sample_size()};
}

}  // namespace

Result<DataSummary> summarize_data(const v1::DataSpec& spec, uint64_t seed) {
  if (spec.source_case() == v1::DataSpec::kBuiltin) return summarize_builtin(spec);
  if (spec.source_case() == v1::DataSpec::kFiles) return summarize_files(spec);
  auto data = load_data(spec, seed);  // not a source CreateJob takes here: load_data's error
  if (!data.ok()) return data.status();
  return DataSummary{data->train.count + data->validation.count, data->train.sample_size()};
}

Result<DataSplits> split_and_preprocess(Dataset train, std::optional<Dataset> test,
                                        const v1::DataSpec& spec, uint64_t seed) {
  if (Status s = check_consistent(train, "train"); !s.ok()) return with_context(s, "data: ");
  if (test) {
    if (Status s = check_consistent(*test, "test"); !s.ok()) return with_context(s, "data: ");
    if (Status s = check_same_sample_size(test->sample_size(), train.sample_size()); !s.ok())
      return s;
  }
  if (Status s = check_validation_fraction(spec); !s.ok()) return s;
  const float fraction = spec.validation_fraction();

  DataSplits splits;
  split_validation(std::move(train), fraction, seed, splits);
  if (test) {
    splits.test = std::move(*test);
    splits.has_test = true;
  }
  if (Status s = preprocess(spec, splits); !s.ok()) return s;
  auto classes = count_classes(splits);
  if (!classes.ok()) return classes.status();
  splits.num_classes = *classes;
  return splits;
}

}  // namespace gradstream::engine
