// Model file: ModelFile messages to and from a Model's parameters.
#include "engine/model/model_file.hpp"

#include <algorithm>
#include <exception>

#include "engine/core/tensor_message.hpp"
#include "engine/layers/layer_registry.hpp"
#include "engine/spec/spec_validator.hpp"
#include "gradstream/v1/model_file.pb.h"

namespace gradstream::engine {

namespace {

constexpr const char* kPrefix = "model file: ";

Status check_tensor(const v1::Tensor& tensor, const Parameter& p, int index) {
  std::optional<std::string> mismatch =
      tensor_identity_mismatch(tensor, p, "tensors[" + std::to_string(index) + "]");
  if (!mismatch) mismatch = tensor_size_mismatch(tensor, p);
  if (mismatch) return data_loss(std::string(kPrefix) + *mismatch);
  return ok_status();
}

}  // namespace

Result<v1::ModelFile> read_model_file(const std::string& bytes) {
  v1::ModelFile file;
  if (bytes.empty() || !file.ParseFromString(bytes)) {
    return data_loss(std::string(kPrefix) + "the " + std::to_string(bytes.size()) +
                     " bytes are not a gradstream model file (truncated or corrupted?)");
  }
  if (!file.has_spec()) return data_loss(std::string(kPrefix) + "spec: missing");
  if (Status s = validate_spec(file.spec()); !s.ok()) {
    return data_loss(std::string(kPrefix) + "spec: " + s.message());
  }
  return file;
}

Result<std::string> serialize_model(const v1::TrainingSpec& spec, Model& model,
                                    const InputPreprocessing& preprocessing) {
  v1::ModelFile file;
  *file.mutable_spec() = spec;
  *file.mutable_preprocessing() = to_message(preprocessing);
  for (v1::LayerSpec& layer : *file.mutable_spec()->mutable_model()->mutable_layers()) {
    const LayerKind* kind = find_layer_kind(layer.kind_case());
    if (kind != nullptr && kind->clear_initial_values != nullptr) kind->clear_initial_values(layer);
  }
  for (const Parameter* p : model.tensors()) write_tensor_message(*p, file.add_tensors());
  std::string bytes;
  if (!file.SerializeToString(&bytes)) {
    return internal_error("model file: the model is too large to encode (" +
                          std::to_string(file.ByteSizeLong()) + " bytes)");
  }
  return bytes;
}

Result<v1::TrainingSpec> model_file_spec(const std::string& bytes) {
  Result<v1::ModelFile> file = read_model_file(bytes);
  if (!file.ok()) return file.status();
  return std::move(*file->mutable_spec());
}

Result<InputPreprocessing> model_file_preprocessing(const std::string& bytes) {
  Result<v1::ModelFile> file = read_model_file(bytes);
  if (!file.ok()) return file.status();
  int64_t features = 1;
  for (const int64_t d : file->spec().model().input_shape()) features *= d;
  Result<InputPreprocessing> preprocessing = from_message(file->preprocessing(), features);
  if (!preprocessing.ok())
    return data_loss(std::string(kPrefix) + preprocessing.status().message());
  return preprocessing;
}

Result<std::unique_ptr<Model>> load_model(const std::string& bytes, const dnnl::engine& eng) {
  Result<v1::ModelFile> file = read_model_file(bytes);
  if (!file.ok()) return file.status();
  const v1::TrainingSpec& spec = file->spec();
  // Before allocating: a small file must not make us build a huge model. (More
  // values than the spec needs is caught per tensor below, naming it.)
  int64_t values = 0;
  for (const v1::Tensor& t : file->tensors()) values += t.values_size();
  if (const int64_t needed = count_parameters(spec); needed > values) {
    return data_loss(std::string(kPrefix) + "the spec's model has " + std::to_string(needed) +
                     " parameters, the tensors hold only " + std::to_string(values) + " values");
  }
  std::unique_ptr<Model> model;
  try {
    Result<std::unique_ptr<Model>> built = Model::build(spec, eng);
    if (!built.ok()) return data_loss(std::string(kPrefix) + built.status().message());
    model = std::move(built).value();
  } catch (const std::exception& e) {
    return internal_error(std::string(kPrefix) + "could not build the model: " + e.what());
  }
  const std::vector<Parameter*> parameters = model->tensors();
  if (static_cast<size_t>(file->tensors_size()) != parameters.size()) {
    return data_loss(std::string(kPrefix) + "has " + std::to_string(file->tensors_size()) +
                     " tensors, the spec's model has " + std::to_string(parameters.size()) +
                     " parameters");
  }
  for (int i = 0; i < file->tensors_size(); ++i) {
    const v1::Tensor& tensor = file->tensors(i);
    Parameter& p = *parameters[static_cast<size_t>(i)];
    if (Status s = check_tensor(tensor, p, i); !s.ok()) return s;
    p.write_value(tensor.values().data());
  }
  return model;
}

}  // namespace gradstream::engine
