// Model file: ModelFile messages to and from a Model's parameters.
#include "engine/model/model_file.hpp"

#include <algorithm>
#include <exception>

#include "engine/layers/layer_registry.hpp"
#include "engine/spec/spec_validator.hpp"
#include "gradstream/v1/model_file.pb.h"

namespace gradstream::engine {

namespace {

constexpr const char* kPrefix = "model file: ";

std::string tensor_name(const std::string& layer, const std::string& name) {
  return layer + "/" + name;
}

Status check_tensor(const v1::Tensor& tensor, const Parameter& p, int index) {
  const std::string expected = tensor_name(p.layer(), p.name());
  const std::string found = tensor_name(tensor.layer(), tensor.name());
  if (found != expected) {
    return data_loss(std::string(kPrefix) + "tensors[" + std::to_string(index) + "] is \"" + found +
                     "\", the spec's model expects \"" + expected + "\" there");
  }
  const Shape shape(tensor.shape().begin(), tensor.shape().end());
  if (shape != p.shape()) {
    return data_loss(std::string(kPrefix) + "tensor \"" + expected + "\": shape " +
                     shape_text(shape) + " does not match the model's " + shape_text(p.shape()));
  }
  if (tensor.values_size() != p.size()) {
    return data_loss(std::string(kPrefix) + "tensor \"" + expected + "\": has " +
                     std::to_string(tensor.values_size()) + " values, its shape " +
                     shape_text(p.shape()) + " needs " + std::to_string(p.size()));
  }
  return ok_status();
}

Result<v1::ModelFile> parse(const std::string& bytes) {
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

}  // namespace

Result<std::string> serialize_model(const v1::TrainingSpec& spec, Model& model) {
  v1::ModelFile file;
  *file.mutable_spec() = spec;
  for (v1::LayerSpec& layer : *file.mutable_spec()->mutable_model()->mutable_layers()) {
    const LayerKind* kind = find_layer_kind(layer.kind_case());
    if (kind != nullptr && kind->clear_initial_values != nullptr) kind->clear_initial_values(layer);
  }
  for (const Parameter* p : model.tensors()) {
    v1::Tensor* tensor = file.add_tensors();
    tensor->set_layer(p->layer());
    tensor->set_name(p->name());
    for (int64_t d : p->shape()) tensor->add_shape(static_cast<uint32_t>(d));
    tensor->mutable_values()->Resize(static_cast<int>(p->size()), 0.0F);
    p->read_value(tensor->mutable_values()->mutable_data());
  }
  std::string bytes;
  if (!file.SerializeToString(&bytes)) {
    return internal_error("model file: the model is too large to encode (" +
                          std::to_string(file.ByteSizeLong()) + " bytes)");
  }
  return bytes;
}

Result<v1::TrainingSpec> model_file_spec(const std::string& bytes) {
  Result<v1::ModelFile> file = parse(bytes);
  if (!file.ok()) return file.status();
  return std::move(*file->mutable_spec());
}

Result<std::unique_ptr<Model>> load_model(const std::string& bytes, const dnnl::engine& eng) {
  Result<v1::ModelFile> file = parse(bytes);
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
