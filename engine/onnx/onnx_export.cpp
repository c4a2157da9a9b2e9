// export_onnx: the model file's preprocessing, layers and final softmax as an
// ONNX graph, with its metadata, checked by onnx::checker.
#include "engine/onnx/onnx_export.hpp"

#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/layers/layer_registry.hpp"
#include "engine/model/model_file.hpp"
#include "engine/onnx/model_tensors.hpp"
#include "engine/onnx/onnx_check.hpp"
#include "engine/onnx/onnx_graph.hpp"
#include "engine/onnx/onnx_layers.hpp"

#ifndef GRADSTREAM_VERSION
#error "GRADSTREAM_VERSION must be defined (engine/CMakeLists.txt)"
#endif

namespace gradstream::engine {

namespace {

using onnx_export::LayerExport;
using onnx_export::ModelTensors;
using onnx_export::OnnxGraph;

// Trained with softmax cross-entropy: the network's output softmax (if any)
// was folded into the loss and Predict applies one itself (predictor.hpp).
bool predicts_probabilities(const v1::TrainingSpec& spec) {
  return spec.loss() == v1::LOSS_UNSPECIFIED || spec.loss() == v1::SOFTMAX_CROSS_ENTROPY;
}

// A float tensor value [batch, dims...], "batch" left symbolic.
void describe(onnx::ValueInfoProto& value, const std::string& name,
              const std::vector<int64_t>& dims) {
  value.set_name(name);
  onnx::TypeProto_Tensor& type = *value.mutable_type()->mutable_tensor_type();
  type.set_elem_type(onnx::TensorProto::FLOAT);
  type.mutable_shape()->add_dim()->set_dim_param("batch");
  for (const int64_t d : dims) type.mutable_shape()->add_dim()->set_dim_value(d);
}

// Raw rows to the network's inputs, as Predict prepares them.
std::string add_preprocessing(OnnxGraph& g, const InputPreprocessing& pre, const Shape& sample,
                              const std::string& x) {
  g.set_scope("preprocessing");
  if (pre.kind == v1::SCALE) return g.add("Div", {x, g.scalar(pre.scale_divisor)}).output();
  if (pre.kind != v1::STANDARDIZE) return x;
  const std::vector<int64_t> dims(sample.begin(), sample.end());
  const std::vector<float> mean(pre.mean.begin(), pre.mean.end());
  const std::vector<float> inv_std(pre.inv_std.begin(), pre.inv_std.end());
  const std::string centred = g.add("Sub", {x, g.floats("mean", dims, mean)}).output();
  return g.add("Mul", {centred, g.floats("inv_std", dims, inv_std)}).output();
}

void add_metadata(onnx::ModelProto& model, const v1::TrainingSpec& spec,
                  const std::string& job_id) {
  for (const auto& [key, value] : {std::pair<const char*, std::string>{"spec", spec_to_json(spec)},
                                   {"job_id", job_id},
                                   {"gradstream_version", gradstream_version()}}) {
    onnx::StringStringEntryProto& entry = *model.add_metadata_props();
    entry.set_key(key);
    entry.set_value(value);
  }
}

}  // namespace

std::string gradstream_version() { return GRADSTREAM_VERSION; }

Result<std::string> export_onnx(const std::string& bytes, const std::string& job_id) {
  Result<v1::ModelFile> file = read_model_file(bytes);
  if (!file.ok()) return file.status();
  Result<InputPreprocessing> preprocessing = model_file_preprocessing(bytes);
  if (!preprocessing.ok()) return preprocessing.status();
  const v1::TrainingSpec& spec = file->spec();

  onnx::ModelProto model;
  model.set_ir_version(kOnnxIrVersion);
  model.set_producer_name("gradstream");
  model.set_producer_version(gradstream_version());
  model.add_opset_import()->set_version(kOnnxOpset);
  add_metadata(model, spec, job_id);
  onnx::GraphProto& graph_proto = *model.mutable_graph();
  graph_proto.set_name(spec.name().empty() ? "gradstream" : spec.name());
  OnnxGraph graph(graph_proto);

  Shape shape(spec.model().input_shape().begin(), spec.model().input_shape().end());
  describe(*graph_proto.add_input(), kOnnxInputName, {shape.begin(), shape.end()});
  std::string value = add_preprocessing(graph, *preprocessing, shape, kOnnxInputName);

  const bool probabilities = predicts_probabilities(spec);
  ModelTensors tensors(*file);
  const auto& layers = spec.model().layers();
  for (int i = 0; i < layers.size(); ++i) {
    const v1::LayerSpec& layer = layers[i];
    const std::string path = "model.layers[" + std::to_string(i) + "]";
    const LayerKind* kind = find_layer_kind(layer.kind_case());
    if (kind == nullptr) return data_loss("model file: " + path + ": layer kind must be set");
    Result<Shape> output = kind->validate({layer, path, shape, i + 1 == layers.size()});
    if (!output.ok()) return data_loss("model file: " + output.status().message());
    graph.set_scope(layer_name(layer, i));
    LayerExport context{graph, layer, path, shape, *output, tensors, probabilities};
    Result<std::string> out = onnx_export::add_layer(context, value);
    if (!out.ok()) return out.status();
    value = *out;
    shape = *output;
  }
  if (Status s = tensors.check_all_taken(); !s.ok()) return s;

  graph.set_scope("");
  const std::string output_name = probabilities ? "probabilities" : "outputs";
  if (probabilities) {
    value = graph.add("Softmax", {value}).attribute("axis", int64_t{1}).output();
  }
  onnx::NodeProto& named = *graph_proto.add_node();
  named.set_op_type("Identity");
  named.set_name(output_name);
  named.add_input(value);
  named.add_output(output_name);
  describe(*graph_proto.add_output(), output_name, {element_count(shape)});

  if (Status s = check_onnx_model(model); !s.ok()) return s;
  std::string out;
  if (!model.SerializeToString(&out))
    return internal_error("ONNX export: the model is too large to encode (" +
                          std::to_string(model.ByteSizeLong()) + " bytes)");
  return out;
}

}  // namespace gradstream::engine
