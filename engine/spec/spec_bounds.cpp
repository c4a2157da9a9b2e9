// The spec's size, names and strings, and the size of the events it causes.
#include "engine/spec/spec_bounds.hpp"

#include <map>
#include <string>

#include "engine/base/field_checks.hpp"
#include "engine/base/input_limits.hpp"
#include "engine/layers/layer_registry.hpp"
#include "engine/spec/spec_validator.hpp"

namespace gradstream::engine {

namespace {

Status validate_layer_names(const v1::ModelSpec& model) {
  std::map<std::string, int> seen;  // name -> the first layer that has it
  for (int i = 0; i < model.layers_size(); ++i) {
    const std::string path = "model.layers[" + std::to_string(i) + "].name";
    if (Status s = check_name(path, model.layers(i).name()); !s.ok()) return s;
    // Generated names ("dense_0") take part too: a given name may equal one.
    const std::string name = layer_name(model.layers(i), i);
    const auto [first, added] = seen.emplace(name, i);
    if (!added) {
      return invalid_argument(path + ": \"" + name + "\" is already the name of model.layers[" +
                              std::to_string(first->second) +
                              "]; layer names must be unique within the model (they name "
                              "reports and metric series)");
    }
  }
  return ok_status();
}

Status validate_file_paths(const v1::FileSource& files) {
  const std::string path = "data.files.";
  return first_error({check_length(path + "train_features", files.train_features(), kMaxPathLength),
                      check_length(path + "train_labels", files.train_labels(), kMaxPathLength),
                      check_length(path + "test_features", files.test_features(), kMaxPathLength),
                      check_length(path + "test_labels", files.test_labels(), kMaxPathLength)});
}

}  // namespace

Status validate_spec_size(const v1::TrainingSpec& spec) {
  const size_t bytes = spec.ByteSizeLong();
  if (bytes <= kMaxSpecBytes) return ok_status();
  return invalid_argument("spec: " + std::to_string(bytes) + " bytes serialized, at most " +
                          std::to_string(kMaxSpecBytes) +
                          " (initial_weights are most of a big spec: leave them out and let "
                          "the initializer fill the weights)");
}

Status validate_spec_strings(const v1::TrainingSpec& spec) {
  if (Status s = check_name("name", spec.name()); !s.ok()) return s;
  if (Status s = validate_layer_names(spec.model()); !s.ok()) return s;
  const v1::DataSpec& data = spec.data();
  switch (data.source_case()) {
    case v1::DataSpec::kBuiltin:
      return check_name("data.builtin", data.builtin());
    case v1::DataSpec::kDatasetId:
      return check_length("data.dataset_id", data.dataset_id(), kMaxDatasetIdLength);
    case v1::DataSpec::kFiles:
      return validate_file_paths(data.files());
    default:
      return ok_status();
  }
}

Status validate_event_size(const v1::TrainingSpec& spec) {
  if (!spec.reporting().send_gradient_tensors()) return ok_status();
  const int64_t parameters = count_parameters(spec);
  if (parameters <= kMaxSentGradientValues) return ok_status();
  return invalid_argument("reporting.send_gradient_tensors: the model has " +
                          std::to_string(parameters) +
                          " parameters and one gradient event would carry them all; at most " +
                          std::to_string(kMaxSentGradientValues) + " when sending tensors");
}

}  // namespace gradstream::engine
