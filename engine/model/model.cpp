// Model::build: layer plans, parameter allocation and initialisation.
#include "engine/model/model.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "engine/layers/initializer.hpp"

namespace gradstream::engine {

namespace {

// He initialisation suits the ReLU family; Glorot the rest (its derivation
// assumes an activation linear around zero).
v1::Initializer default_initializer(const v1::ActivationSpec* next_activation) {
  if (next_activation != nullptr) {
    const ActivationInfo* info = find_activation(next_activation->name());
    if (info != nullptr && info->family == ActivationFamily::kReluFamily) return v1::HE_NORMAL;
  }
  return v1::GLOROT_UNIFORM;
}

std::string default_name(const v1::LayerSpec& spec, size_t index) {
  if (!spec.name().empty()) return spec.name();
  switch (spec.kind_case()) {
    case v1::LayerSpec::kDense: return "dense_" + std::to_string(index);
    case v1::LayerSpec::kActivation: return spec.activation().name() + "_" + std::to_string(index);
    case v1::LayerSpec::kDropout: return "dropout_" + std::to_string(index);
    default: return "flatten_" + std::to_string(index);
  }
}

LayerPlan make_plan(LayerPlan::Kind kind, const std::string& name, int64_t units) {
  LayerPlan plan;
  plan.kind = kind;
  plan.name = name;
  plan.units = units;
  return plan;
}

}  // namespace

Result<std::unique_ptr<Model>> Model::build(const v1::TrainingSpec& spec, int64_t input_features,
                                            const dnnl::engine& eng) {
  std::unique_ptr<Model> model(new Model());
  model->eng_ = eng;
  model->input_features_ = input_features;
  model->seed_ = spec.seed();
  int64_t features = input_features;
  const auto& layers = spec.model().layers();
  for (int i = 0; i < layers.size(); ++i) {
    const v1::LayerSpec& layer = layers[i];
    const std::string name = default_name(layer, static_cast<size_t>(i));
    const std::string path = "model.layers[" + std::to_string(i) + "]";
    const v1::LayerSpec* next = i + 1 < layers.size() ? &layers[i + 1] : nullptr;
    switch (layer.kind_case()) {
      case v1::LayerSpec::kDense: {
        Status s = model->add_dense(layer, name, features, spec.model().init(), next,
                                    spec.seed() + static_cast<uint64_t>(i), path);
        if (!s.ok()) return s;
        break;
      }
      case v1::LayerSpec::kActivation:
        model->add_activation(layer.activation(), name, features);
        break;
      case v1::LayerSpec::kDropout: {
        LayerPlan plan = make_plan(LayerPlan::Kind::kDropout, name, features);
        plan.dropout_rate = layer.dropout().rate();
        model->layers_.push_back(plan);
        break;
      }
      default:
        model->layers_.push_back(make_plan(LayerPlan::Kind::kFlatten, name, features));
        break;
    }
  }
  model->output_units_ = features;
  const bool cross_entropy = spec.loss() == v1::LOSS_UNSPECIFIED ||
                             spec.loss() == v1::SOFTMAX_CROSS_ENTROPY;
  if (cross_entropy && !model->layers_.empty() && model->layers_.back().activation != nullptr &&
      model->layers_.back().activation->family == ActivationFamily::kOutput) {
    // log_softmax(softmax-fused logits) is the same loss: drop either output layer.
    model->layers_.pop_back();
    model->softmax_fused_ = true;
  }
  return model;
}

Status Model::add_dense(const v1::LayerSpec& spec, const std::string& name, int64_t& features,
                        v1::Initializer model_init, const v1::LayerSpec* next, uint64_t layer_seed,
                        const std::string& path) {
  const v1::DenseSpec& dense = spec.dense();
  const int64_t units = dense.units();
  const int64_t inputs = features;
  const v1::ActivationSpec* next_activation =
      dense.has_activation() ? &dense.activation()
      : (next && next->has_activation()) ? &next->activation() : nullptr;

  Parameter& weights = parameters_.emplace_back(
      make_parameter(eng_, name, "weights", {units, inputs}, /*decay=*/true));
  if (dense.initial_weights_size() > 0) {
    if (dense.initial_weights_size() != units * inputs) {
      return invalid_argument(path + ".dense.initial_weights: has " +
                              std::to_string(dense.initial_weights_size()) + " values, expected " +
                              std::to_string(units * inputs) + " (units x inputs)");
    }
    std::copy(dense.initial_weights().begin(), dense.initial_weights().end(), weights.data());
  } else {
    v1::Initializer kind = dense.init() != v1::INITIALIZER_UNSPECIFIED ? dense.init()
                           : model_init != v1::INITIALIZER_UNSPECIFIED ? model_init
                                                                       : default_initializer(next_activation);
    std::mt19937_64 rng(layer_seed);
    initialize_weights(kind, inputs, units, rng, weights.data(), weights.size());
  }
  Parameter* bias = nullptr;
  if (!dense.no_bias()) {
    bias = &parameters_.emplace_back(make_parameter(eng_, name, "bias", {units}, /*decay=*/false));
    if (dense.initial_bias_size() > 0) {
      if (dense.initial_bias_size() != units) {
        return invalid_argument(path + ".dense.initial_bias: has " +
                                std::to_string(dense.initial_bias_size()) + " values, expected " +
                                std::to_string(units));
      }
      std::copy(dense.initial_bias().begin(), dense.initial_bias().end(), bias->data());
    }
  }
  LayerPlan plan = make_plan(LayerPlan::Kind::kDense, name, units);
  plan.weights = &weights;
  plan.bias = bias;
  layers_.push_back(plan);
  features = units;
  if (dense.has_activation()) {
    add_activation(dense.activation(), name + "/" + dense.activation().name(), features);
  }
  return ok_status();
}

void Model::add_activation(const v1::ActivationSpec& spec, const std::string& name,
                           int64_t features) {
  const ActivationInfo* info = find_activation(spec.name());
  LayerPlan plan = make_plan(LayerPlan::Kind::kActivation, name, features);
  plan.activation = info;
  plan.args = resolve_eltwise_args(*info, spec);
  if (info->primitive == ActivationPrimitive::kPrelu) {
    Parameter& slope =
        parameters_.emplace_back(make_parameter(eng_, name, "slope", {1, features}, false));
    std::fill(slope.data(), slope.data() + slope.size(), plan.args.alpha);
    plan.slope = &slope;
  }
  layers_.push_back(plan);
}

std::vector<Parameter*> Model::parameters() {
  std::vector<Parameter*> out;
  for (Parameter& p : parameters_) out.push_back(&p);
  return out;
}

}  // namespace gradstream::engine
