// Model file: ModelFile messages to and from a Model's parameters.
#include "engine/model/model_file.hpp"

#include <algorithm>
#include <exception>

#include "engine/spec/spec_validator.hpp"
#include "gradstream/v1/model_file.pb.h"

namespace gradstream::engine {

namespace {

constexpr const char* kPrefix = "model file: ";

std::string tensor_name(const std::string& layer, const std::string& name) {
  return layer + "/" + name;
}

template <class Dims>
std::string shape_text(const Dims& dims) {
  std::string out = "[";
  for (int i = 0; i < static_cast<int>(dims.size()); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(dims[i]);
  }
  return out + "]";
}

Status check_tensor(const v1::Tensor& tensor, const Parameter& p, int index) {
  const std::string expected = tensor_name(p.layer, p.name);
  const std::string found = tensor_name(tensor.layer(), tensor.name());
  if (found != expected) {
    return data_loss(std::string(kPrefix) + "tensors[" + std::to_string(index) + "] is \"" + found +
                     "\", the spec's model expects \"" + expected + "\" there");
  }
  const bool same_shape =
      static_cast<size_t>(tensor.shape_size()) == p.shape.size() &&
      std::equal(p.shape.begin(), p.shape.end(), tensor.shape().begin(),
                 [](int64_t a, uint32_t b) { return a == static_cast<int64_t>(b); });
  if (!same_shape) {
    return data_loss(std::string(kPrefix) + "tensor \"" + expected + "\": shape " +
                     shape_text(tensor.shape()) + " does not match the model's " +
                     shape_text(p.shape));
  }
  if (tensor.values_size() != p.size()) {
    return data_loss(std::string(kPrefix) + "tensor \"" + expected + "\": has " +
                     std::to_string(tensor.values_size()) + " values, its shape " +
                     shape_text(p.shape) + " needs " + std::to_string(p.size()));
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
    if (!layer.has_dense()) continue;
    layer.mutable_dense()->clear_initial_weights();
    layer.mutable_dense()->clear_initial_bias();
  }
  for (const Parameter* p : model.parameters()) {
    v1::Tensor* tensor = file.add_tensors();
    tensor->set_layer(p->layer);
    tensor->set_name(p->name);
    for (int64_t d : p->shape) tensor->add_shape(static_cast<uint32_t>(d));
    tensor->mutable_values()->Add(p->data(), p->data() + p->size());
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
  int64_t input_features = 1;
  for (uint32_t d : spec.model().input_shape()) input_features *= d;
  std::unique_ptr<Model> model;
  try {
    Result<std::unique_ptr<Model>> built = Model::build(spec, input_features, eng);
    if (!built.ok()) return data_loss(std::string(kPrefix) + built.status().message());
    model = std::move(built).value();
  } catch (const std::exception& e) {
    return internal_error(std::string(kPrefix) + "could not build the model: " + e.what());
  }
  const std::vector<Parameter*> parameters = model->parameters();
  if (static_cast<size_t>(file->tensors_size()) != parameters.size()) {
    return data_loss(std::string(kPrefix) + "has " + std::to_string(file->tensors_size()) +
                     " tensors, the spec's model has " + std::to_string(parameters.size()) +
                     " parameters");
  }
  for (int i = 0; i < file->tensors_size(); ++i) {
    const v1::Tensor& tensor = file->tensors(i);
    const Parameter& p = *parameters[static_cast<size_t>(i)];
    if (Status s = check_tensor(tensor, p, i); !s.ok()) return s;
    std::copy(tensor.values().begin(), tensor.values().end(), p.data());
  }
  return model;
}

}  // namespace gradstream::engine
