// Model::build: every entry of model.layers through its registry kind (the
// same shape inference the spec validator ran), then the parameters' layouts.
#include "engine/model/model.hpp"

#include "engine/layers/activation/activation_catalog.hpp"
#include "engine/core/tensor.hpp"
#include "engine/layers/layer_registry.hpp"

namespace gradstream::engine {

namespace {

bool cross_entropy(v1::Loss loss) {
  return loss == v1::LOSS_UNSPECIFIED || loss == v1::SOFTMAX_CROSS_ENTROPY;
}

}  // namespace

Result<std::unique_ptr<Model>> Model::build(const v1::TrainingSpec& spec, const dnnl::engine& eng,
                                            LayoutHint hint) {
  std::unique_ptr<Model> model(new Model());
  model->seed_ = spec.seed();
  model->input_shape_.assign(spec.model().input_shape().begin(), spec.model().input_shape().end());
  Shape shape = model->input_shape_;
  const auto& layers = spec.model().layers();
  for (int i = 0; i < layers.size(); ++i) {
    const v1::LayerSpec& layer = layers[i];
    const std::string path = "model.layers[" + std::to_string(i) + "]";
    const LayerKind* kind = find_layer_kind(layer.kind_case());
    if (kind == nullptr) return invalid_argument(path + ": layer kind must be set");
    Result<Shape> output = kind->validate({layer, path, shape, i + 1 == layers.size()});
    if (!output.ok()) return output.status();
    const v1::LayerSpec* next = i + 1 < layers.size() ? &layers[i + 1] : nullptr;
    LayerBuildContext ctx(layer, layer_name(layer, i), shape, *output, next, spec.model().init(),
                          spec.seed() + static_cast<uint64_t>(i), eng, model->parameters_,
                          model->nodes_);
    if (Status s = kind->build(ctx); !s.ok()) return s;
    shape = std::move(output).value();
  }
  model->output_units_ = element_count(shape);
  if (cross_entropy(spec.loss()) && !model->nodes_.empty()) {
    const ActivationInfo* last = model->nodes_.back()->activation();
    if (last != nullptr && last->family == ActivationFamily::kOutput) {
      // log_softmax(softmax-fused logits) is the same loss: drop either output layer.
      model->nodes_.pop_back();
      model->softmax_fused_ = true;
    }
  }
  // The layout pass: each node plans for the layout its producer will write.
  dnnl::memory::desc layout = plain_desc(with_batch(hint.batch, model->input_shape_));
  for (auto& node : model->nodes_) layout = node->plan_layouts(layout, hint.training, eng);
  return model;
}

std::vector<Parameter*> Model::parameters() {
  std::vector<Parameter*> out;
  for (const auto& node : nodes_) {
    for (Parameter* p : node->parameters()) out.push_back(p);
  }
  return out;
}

std::vector<Parameter*> Model::tensors() {
  std::vector<Parameter*> out;
  for (const auto& node : nodes_) {
    for (Parameter* p : node->parameters()) out.push_back(p);
    for (Parameter* p : node->state()) out.push_back(p);
  }
  return out;
}

}  // namespace gradstream::engine
