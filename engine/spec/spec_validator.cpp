// The spec checks, one function per part of TrainingSpec, in field order:
// model, loss, data, run settings and reporting here; the optimizer part is
// validate_optimizer (optimizer_validator.cpp), the field checks field_checks.cpp.
#include "engine/spec/spec_validator.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>

#include "engine/base/field_checks.hpp"
#include "engine/base/saturating.hpp"
#include "engine/data/data_loader.hpp"
#include "engine/layers/layer_registry.hpp"
#include "engine/layers/view/reshape_kind.hpp"
#include "engine/spec/spec_bounds.hpp"

namespace gradstream::engine {

namespace {

constexpr Range kValidationRange{0.0f, kMaxValidationFraction, false, false};
// Softmax cross-entropy over a single logit is constant: nothing to learn.
constexpr int64_t kMinClasses = 2;
constexpr std::string_view kCsvExtension = ".csv";

std::string layer_path(int index) { return "model.layers[" + std::to_string(index) + "]"; }

// What the layer walk learns about the network, for the checks that follow it.
struct ModelShape {
  Shape output;            // one sample out of the network
  std::string size_field;  // the last field that set the output's size, if any
};

Status validate_input_shape(const v1::ModelSpec& model) {
  if (model.input_shape().empty()) {
    return invalid_argument("model.input_shape: must have at least one dimension");
  }
  if (model.input_shape_size() > kMaxSampleRank) {
    return invalid_argument("model.input_shape: " + std::to_string(model.input_shape_size()) +
                            " dimensions, at most " + std::to_string(kMaxSampleRank));
  }
  for (int i = 0; i < model.input_shape_size(); ++i) {
    const std::string path = "model.input_shape[" + std::to_string(i) + "]";
    if (Status s = check_count(path, model.input_shape(i), 1, kMaxInputFeatures); !s.ok()) {
      return s;
    }
  }
  const int64_t features = element_count(input_shape(model));
  if (features > kMaxInputFeatures) {
    return invalid_argument("model.input_shape: " + std::to_string(features) +
                            " features is more than the limit " +
                            std::to_string(kMaxInputFeatures));
  }
  return ok_status();
}

// Checks model.layers[index] through its registry kind; `shape` is its input
// sample shape and becomes its output's.
Status validate_layer(const v1::ModelSpec& model, int index, Shape& shape, ModelShape& walk) {
  const v1::LayerSpec& layer = model.layers(index);
  const std::string path = layer_path(index);
  const LayerKind* kind = find_layer_kind(layer.kind_case());
  if (kind == nullptr) {
    return invalid_argument(path + ": layer kind must be set (" + layer_kind_names() + ")");
  }
  Result<Shape> output = kind->validate({layer, path, shape, index + 1 == model.layers_size()});
  if (!output.ok()) return output.status();
  shape = std::move(output).value();
  if (!kind->size_field.empty()) walk.size_field = path + "." + std::string(kind->size_field);
  return ok_status();
}

Status validate_model(const v1::TrainingSpec& spec, ModelShape& walk) {
  const v1::ModelSpec& model = spec.model();
  if (Status s = validate_input_shape(model); !s.ok()) return s;
  if (Status s = check_enum("model.init", model.init(), v1::Initializer_descriptor()); !s.ok()) {
    return s;
  }
  if (model.layers().empty()) return invalid_argument("model.layers: must have at least one layer");
  if (model.layers_size() > kMaxLayers) {
    return invalid_argument("model.layers: " + std::to_string(model.layers_size()) +
                            " layers is more than the limit " + std::to_string(kMaxLayers));
  }
  Shape shape = input_shape(model);
  for (int i = 0; i < model.layers_size(); ++i) {
    if (Status s = validate_layer(model, i, shape, walk); !s.ok()) return s;
  }
  walk.output = shape;
  if (shape.size() != 1) {
    return invalid_argument("model.layers: the network's output has shape " + shape_text(shape) +
                            "; the loss needs one dimension, [units] (end with a flatten or "
                            "dense layer)");
  }
  const int64_t parameters = count_parameters(spec);
  if (parameters > kMaxParameters) {
    return invalid_argument("model: " + std::to_string(parameters) +
                            " parameters is more than the limit " + std::to_string(kMaxParameters));
  }
  return ok_status();
}

Status validate_loss(const v1::TrainingSpec& spec, const ModelShape& walk) {
  if (Status s = check_enum("loss", spec.loss(), v1::Loss_descriptor()); !s.ok()) return s;
  const bool cross_entropy =
      spec.loss() == v1::LOSS_UNSPECIFIED || spec.loss() == v1::SOFTMAX_CROSS_ENTROPY;
  const int64_t units = element_count(walk.output);
  if (cross_entropy && units < kMinClasses) {
    const std::string path = walk.size_field.empty() ? "model.input_shape" : walk.size_field;
    return invalid_argument(path + ": " + std::to_string(units) +
                            " output unit(s), but SOFTMAX_CROSS_ENTROPY needs at least " +
                            std::to_string(kMinClasses) +
                            " classes (use BCE_WITH_LOGITS for a single logit)");
  }
  return ok_status();
}

bool has_csv_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == kCsvExtension;
}

// CSV files carry their labels in a column; the other formats need a labels file.
bool needs_labels(const v1::FileSource& files, const std::string& features) {
  if (files.format() == v1::CSV) return false;
  return files.format() != v1::FORMAT_UNSPECIFIED || !has_csv_extension(features);
}

Status validate_files(const v1::FileSource& files) {
  const std::string path = "data.files";
  if (Status s = check_enum(path + ".format", files.format(), v1::Format_descriptor()); !s.ok()) {
    return s;
  }
  if (Status s = non_empty(path + ".train_features", files.train_features()); !s.ok()) return s;
  if (needs_labels(files, files.train_features()) && files.train_labels().empty()) {
    return invalid_argument(path + ".train_labels: must be set (only CSV holds its labels)");
  }
  if (files.test_features().empty() && !files.test_labels().empty()) {
    return invalid_argument(path + ".test_labels: given without test_features");
  }
  if (!files.test_features().empty() && needs_labels(files, files.test_features()) &&
      files.test_labels().empty()) {
    return invalid_argument(path +
                            ".test_labels: must be set with test_features (only CSV "
                            "holds its labels)");
  }
  return ok_status();
}

Status validate_data(const v1::DataSpec& data) {
  switch (data.source_case()) {
    case v1::DataSpec::kBuiltin:
      if (Status s = non_empty("data.builtin", data.builtin()); !s.ok()) return s;
      break;
    case v1::DataSpec::kFiles:
      if (Status s = validate_files(data.files()); !s.ok()) return s;
      break;
    case v1::DataSpec::kDatasetId:
      if (Status s = non_empty("data.dataset_id", data.dataset_id()); !s.ok()) return s;
      break;
    default:
      return invalid_argument("data: a source must be set (builtin, files or dataset_id)");
  }
  return first_error(
      {check_float("data.validation_fraction", data.validation_fraction(), kValidationRange),
       check_enum("data.preprocess", data.preprocess(), v1::Preprocess_descriptor())});
}

Status validate_run(const v1::TrainingSpec& spec) {
  return first_error({check_count("epochs", spec.epochs(), 1, kMaxEpochs),
                      check_count("batch_size", spec.batch_size(), 1, kMaxBatchSize),
                      check_count("threads", spec.threads(), 0, kMaxThreads)});  // 0 = 1 thread
}

// Each rank needs a row of every full global batch; the last, partial batch
// of an epoch may leave a rank without rows (it then adds zero gradients).
Status validate_distributed(const v1::TrainingSpec& spec) {
  const v1::DistributedSpec& distributed = spec.distributed();
  // 0 = 1 worker (with_defaults makes it explicit).
  if (Status s = check_count("distributed.workers", distributed.workers(), 0, kMaxWorkers);
      !s.ok()) {
    return s;
  }
  const uint32_t workers = std::max<uint32_t>(distributed.workers(), 1);
  if (spec.batch_size() < workers) {
    return invalid_argument("distributed.workers: " + std::to_string(workers) +
                            " workers need batch_size >= " + std::to_string(workers) +
                            " (each rank trains on its share of every batch), got " +
                            std::to_string(spec.batch_size()));
  }
  return ok_status();
}

Status validate_reporting(const v1::ReportingSpec& reporting) {
  // 0 means the default for all three.
  return first_error(
      {check_count("reporting.histogram_bins", reporting.histogram_bins(), 0, kMaxHistogramBins),
       check_count("reporting.max_tensor_elements", reporting.max_tensor_elements(), 0,
                   kMaxTensorElements),
       check_count("reporting.diagnostics_every", reporting.diagnostics_every(), 0,
                   kMaxDiagnosticsEvery)});
}

}  // namespace

Shape input_shape(const v1::ModelSpec& model) {
  return Shape(model.input_shape().begin(), model.input_shape().end());
}

Status validate_spec(const v1::TrainingSpec& spec) {
  // Names first: a huge name is reported as the name it is, not as the size.
  if (Status s = validate_spec_strings(spec); !s.ok()) return s;
  if (Status s = validate_spec_size(spec); !s.ok()) return s;
  ModelShape walk;
  if (Status s = validate_model(spec, walk); !s.ok()) return s;
  if (Status s = validate_loss(spec, walk); !s.ok()) return s;
  if (Status s = validate_optimizer(spec.optimizer()); !s.ok()) return s;
  if (Status s = validate_data(spec.data()); !s.ok()) return s;
  if (Status s = validate_run(spec); !s.ok()) return s;
  if (Status s = validate_distributed(spec); !s.ok()) return s;
  if (Status s = validate_reporting(spec.reporting()); !s.ok()) return s;
  return validate_event_size(spec);
}

int64_t count_parameters(const v1::TrainingSpec& spec) {
  Shape shape = input_shape(spec.model());
  int64_t total = 0;
  const auto& layers = spec.model().layers();
  for (int i = 0; i < layers.size(); ++i) {
    const LayerKind* kind = find_layer_kind(layers[i].kind_case());
    if (kind == nullptr) return std::numeric_limits<int64_t>::max();
    const std::string path = layer_path(i);
    Result<Shape> output = kind->validate({layers[i], path, shape, i + 1 == layers.size()});
    if (!output.ok()) return std::numeric_limits<int64_t>::max();
    total = saturating_add(total, kind->count_parameters(layers[i], shape));
    shape = std::move(output).value();
  }
  return total;
}

}  // namespace gradstream::engine
