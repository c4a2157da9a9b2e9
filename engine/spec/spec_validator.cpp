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

#include "engine/layers/activation_catalog.hpp"
#include "engine/data/data_loader.hpp"
#include "engine/base/field_checks.hpp"

namespace gradstream::engine {

namespace {

constexpr Range kDropoutRange{0.0f, 1.0f, false, true};  // [0, 1): 1 drops everything
constexpr Range kValidationRange{0.0f, kMaxValidationFraction, false, false};
// Softmax cross-entropy over a single logit is constant: nothing to learn.
constexpr int64_t kMinClasses = 2;
constexpr std::string_view kCsvExtension = ".csv";

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t out = 0;
  return __builtin_add_overflow(a, b, &out) ? std::numeric_limits<int64_t>::max() : out;
}

int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t out = 0;
  return __builtin_mul_overflow(a, b, &out) ? std::numeric_limits<int64_t>::max() : out;
}

int64_t input_features(const v1::ModelSpec& model) {
  if (model.input_shape().empty()) return 0;
  int64_t features = 1;
  for (uint32_t dim : model.input_shape()) features = saturating_mul(features, dim);
  return features;
}

bool is_prelu(const v1::ActivationSpec& spec) {
  const ActivationInfo* info = find_activation(spec.name());
  return info != nullptr && info->primitive == ActivationPrimitive::kPrelu;
}

bool is_output_activation(const v1::ActivationSpec& spec) {
  const ActivationInfo* info = find_activation(spec.name());
  return info != nullptr && info->family == ActivationFamily::kOutput;
}

std::string layer_path(int index) { return "model.layers[" + std::to_string(index) + "]"; }

// What the layer walk learns about the network, for the checks that follow it.
struct ModelShape {
  int64_t output_units = 0;
  int last_dense = -1;  // index into model.layers, -1 without a Dense layer
};

Status validate_input_shape(const v1::ModelSpec& model) {
  if (model.input_shape().empty()) {
    return invalid_argument("model.input_shape: must have at least one dimension");
  }
  for (int i = 0; i < model.input_shape_size(); ++i) {
    const std::string path = "model.input_shape[" + std::to_string(i) + "]";
    if (Status s = check_count(path, model.input_shape(i), 1, kMaxInputFeatures); !s.ok()) {
      return s;
    }
  }
  const int64_t features = input_features(model);
  if (features > kMaxInputFeatures) {
    return invalid_argument("model.input_shape: " + std::to_string(features) +
                            " features is more than the limit " +
                            std::to_string(kMaxInputFeatures));
  }
  return ok_status();
}

// Softmax normalises the network's output; anywhere else it would squash
// hidden features into a distribution, which is almost surely a mistake.
Status check_activation(const v1::ActivationSpec& spec, const std::string& path,
                        bool ends_network) {
  if (Status s = validate_activation(spec, path); !s.ok()) return s;
  if (is_output_activation(spec) && !ends_network) {
    return invalid_argument(path + ".name: " + spec.name() +
                            " is an output activation: only the last layer may use it");
  }
  return ok_status();
}

Status validate_dense(const v1::DenseSpec& dense, const std::string& path, int64_t inputs,
                      bool last) {
  if (Status s = check_count(path + ".units", dense.units(), 1, kMaxUnits); !s.ok()) return s;
  if (dense.has_activation()) {
    if (Status s = check_activation(dense.activation(), path + ".activation", last); !s.ok()) {
      return s;
    }
  }
  if (Status s = check_enum(path + ".init", dense.init(), v1::Initializer_descriptor()); !s.ok()) {
    return s;
  }
  const int64_t units = dense.units();
  if (dense.initial_weights_size() > 0 && dense.initial_weights_size() != units * inputs) {
    return invalid_argument(path + ".initial_weights: has " +
                            std::to_string(dense.initial_weights_size()) + " values, expected " +
                            std::to_string(units * inputs) + " (units " + std::to_string(units) +
                            " x inputs " + std::to_string(inputs) + ")");
  }
  if (dense.initial_bias_size() > 0 && dense.no_bias()) {
    return invalid_argument(path + ".initial_bias: given, but no_bias is set");
  }
  if (dense.initial_bias_size() > 0 && dense.initial_bias_size() != units) {
    return invalid_argument(path + ".initial_bias: has " +
                            std::to_string(dense.initial_bias_size()) + " values, expected " +
                            std::to_string(units) + " (units)");
  }
  return ok_status();
}

// Checks model.layers[index]; `features` is its input width and becomes its output width.
Status validate_layer(const v1::ModelSpec& model, int index, int64_t& features, ModelShape& shape) {
  const v1::LayerSpec& layer = model.layers(index);
  const std::string path = layer_path(index);
  const bool last = index + 1 == model.layers_size();
  switch (layer.kind_case()) {
    case v1::LayerSpec::kDense:
      if (Status s = validate_dense(layer.dense(), path + ".dense", features, last); !s.ok()) {
        return s;
      }
      features = layer.dense().units();
      shape.last_dense = index;
      return ok_status();
    case v1::LayerSpec::kActivation:
      return check_activation(layer.activation(), path + ".activation", last);
    case v1::LayerSpec::kDropout:
      return check_float(path + ".dropout.rate", layer.dropout().rate(), kDropoutRange);
    case v1::LayerSpec::kFlatten:
      return ok_status();  // samples are already flat rows: the width is unchanged
    default:
      return invalid_argument(path +
                              ": layer kind must be set (dense, activation, dropout or "
                              "flatten)");
  }
}

Status validate_model(const v1::TrainingSpec& spec, ModelShape& shape) {
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
  int64_t features = input_features(model);
  for (int i = 0; i < model.layers_size(); ++i) {
    if (Status s = validate_layer(model, i, features, shape); !s.ok()) return s;
  }
  shape.output_units = features;
  const int64_t parameters = count_parameters(spec);
  if (parameters > kMaxParameters) {
    return invalid_argument("model: " + std::to_string(parameters) +
                            " parameters is more than the limit " + std::to_string(kMaxParameters));
  }
  return ok_status();
}

Status validate_loss(const v1::TrainingSpec& spec, const ModelShape& shape) {
  if (Status s = check_enum("loss", spec.loss(), v1::Loss_descriptor()); !s.ok()) return s;
  const bool cross_entropy =
      spec.loss() == v1::LOSS_UNSPECIFIED || spec.loss() == v1::SOFTMAX_CROSS_ENTROPY;
  if (cross_entropy && shape.output_units < kMinClasses) {
    const std::string path = shape.last_dense >= 0 ? layer_path(shape.last_dense) + ".dense.units"
                                                   : std::string("model.input_shape");
    return invalid_argument(path + ": " + std::to_string(shape.output_units) +
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
    default: return invalid_argument("data: a source must be set (builtin, files or dataset_id)");
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

Status validate_spec(const v1::TrainingSpec& spec) {
  ModelShape shape;
  if (Status s = validate_model(spec, shape); !s.ok()) return s;
  if (Status s = validate_loss(spec, shape); !s.ok()) return s;
  if (Status s = validate_optimizer(spec.optimizer()); !s.ok()) return s;
  if (Status s = validate_data(spec.data()); !s.ok()) return s;
  if (Status s = validate_run(spec); !s.ok()) return s;
  return validate_reporting(spec.reporting());
}

int64_t count_parameters(const v1::TrainingSpec& spec) {
  int64_t features = input_features(spec.model());
  int64_t total = 0;
  for (const v1::LayerSpec& layer : spec.model().layers()) {
    if (layer.has_dense()) {
      const v1::DenseSpec& dense = layer.dense();
      const int64_t units = dense.units();
      total = saturating_add(total, saturating_mul(units, features));
      if (!dense.no_bias()) total = saturating_add(total, units);
      if (dense.has_activation() && is_prelu(dense.activation())) {
        total = saturating_add(total, units);  // one learned slope per unit
      }
      features = units;
    } else if (layer.has_activation() && is_prelu(layer.activation())) {
      total = saturating_add(total, features);
    }
  }
  return total;
}

}  // namespace gradstream::engine
