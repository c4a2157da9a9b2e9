// Pipeline: builds layers front to back, then binds backward back to front.
#include "engine/model/pipeline.hpp"

#include "engine/layers/dense_layer.hpp"
#include "engine/layers/dropout_layer.hpp"
#include "engine/layers/eltwise_activation_layer.hpp"
#include "engine/layers/flatten_layer.hpp"
#include "engine/layers/prelu_layer.hpp"
#include "engine/core/primitive_call.hpp"
#include "engine/layers/softmax_layer.hpp"

namespace gradstream::engine {

namespace {

// Whether `plan` is an activation the Dense layer before it can apply as a post-op.
bool fuses_into_previous(const std::vector<LayerPlan>& plans, size_t i, bool training) {
  return i > 0 && plans[i - 1].kind == LayerPlan::Kind::kDense &&
         plans[i].kind == LayerPlan::Kind::kActivation &&
         EltwiseActivationLayer::can_fuse(*plans[i].activation, training);
}

std::unique_ptr<Layer> make_layer(const std::vector<LayerPlan>& plans, size_t i,
                                  const dnnl::memory& src, bool training, uint64_t seed,
                                  const dnnl::engine& eng) {
  const LayerPlan& plan = plans[i];
  switch (plan.kind) {
    case LayerPlan::Kind::kDense: {
      std::optional<FusedActivation> fused;
      if (i + 1 < plans.size() && fuses_into_previous(plans, i + 1, training)) {
        const ActivationInfo& next = *plans[i + 1].activation;
        fused = FusedActivation{next.forward_algorithm, plans[i + 1].args};
      }
      return std::make_unique<DenseLayer>(plan.name, src, *plan.weights, plan.bias, training, eng,
                                          fused);
    }
    case LayerPlan::Kind::kDropout:
      return std::make_unique<DropoutLayer>(plan.name, src, plan.dropout_rate, seed, training, eng);
    case LayerPlan::Kind::kFlatten:
      return std::make_unique<FlattenLayer>(plan.name, src);
    case LayerPlan::Kind::kActivation:
      break;
  }
  const ActivationInfo& info = *plan.activation;
  switch (info.primitive) {
    case ActivationPrimitive::kPrelu:
      return std::make_unique<PreluLayer>(plan.name, src, info, *plan.slope, training, eng);
    case ActivationPrimitive::kSoftmax:
    case ActivationPrimitive::kLogSoftmax:
      return std::make_unique<SoftmaxLayer>(plan.name, src, info, training, eng);
    case ActivationPrimitive::kEltwise:
      break;
  }
  return std::make_unique<EltwiseActivationLayer>(plan.name, src, info, plan.args, training, eng,
                                                  fuses_into_previous(plans, i, training));
}

}  // namespace

Pipeline::Pipeline(const Model& model, int64_t batch, bool training, const dnnl::engine& eng)
    : batch_(batch) {
  input_ = dnnl::memory(matrix_desc(batch, model.input_features()), eng, nullptr);
  dnnl::memory src = input_;
  const std::vector<LayerPlan>& plans = model.layers();
  for (size_t i = 0; i < plans.size(); ++i) {
    const uint64_t seed = model.seed() ^ (static_cast<uint64_t>(i + 1) << 32);
    layers_.push_back(make_layer(plans, i, src, training, seed, eng));
    src = layers_.back()->dst();
  }
  output_ = src;
  if (!training) return;
  diff_output_ = dnnl::memory(output_.get_desc(), eng);
  // A layer needs diff_src only if some layer below it has parameters.
  std::vector<bool> needs_diff_src(layers_.size(), false);
  bool below_has_parameters = false;
  for (size_t i = 0; i < layers_.size(); ++i) {
    needs_diff_src[i] = below_has_parameters;
    below_has_parameters = below_has_parameters || model.layers()[i].has_parameters();
  }
  dnnl::memory diff = diff_output_;
  for (size_t i = layers_.size(); i-- > 0;) {
    diff = layers_[i]->bind_backward(diff, needs_diff_src[i]);
  }
}

void Pipeline::set_input(const float* features) {
  input_.set_data_handle(const_cast<float*>(features));  // read-only use by the first layer
}

void Pipeline::forward(const dnnl::stream& stream) {
  for (auto& layer : layers_) layer->forward(stream);
}

void Pipeline::backward(const dnnl::stream& stream) {
  for (size_t i = layers_.size(); i-- > 0;) layers_[i]->backward(stream);
}

}  // namespace gradstream::engine
