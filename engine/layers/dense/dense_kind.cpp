// Dense: validation, parameter count, and the node that owns the weights and
// chooses their layout.
#include "engine/layers/dense/dense_kind.hpp"

#include <algorithm>
#include <random>

#include "engine/base/field_checks.hpp"
#include "engine/base/saturating.hpp"
#include "engine/layers/activation/activation_catalog.hpp"
#include "engine/layers/activation/activation_kind.hpp"
#include "engine/layers/dense/dense_layer.hpp"
#include "engine/layers/dense/initializer.hpp"

namespace gradstream::engine {

namespace {

class DenseNode : public LayerNode {
 public:
  DenseNode(std::string name, Shape input, Parameter& weights, Parameter* bias)
      : LayerNode(std::move(name), std::move(input), {weights.shape()[0]}),
        weights_(weights),
        bias_(bias) {}

  std::vector<Parameter*> parameters() const override {
    if (bias_ == nullptr) return {&weights_};
    return {&weights_, bias_};
  }
  bool accepts_post_op() const override { return true; }

  // The inner product reads its src as plain rows, whatever the producer
  // wrote (DenseLayer converts), so only the batch matters here.
  dnnl::memory::desc plan_layouts(const dnnl::memory::desc& src, bool training,
                                  const dnnl::engine& eng) override {
    const dnnl::memory::desc any(weights_.shape(), dnnl::memory::data_type::f32,
                                 dnnl::memory::format_tag::any);
    const auto pd = DenseLayer::forward_pd(src.data.dims[0], any, bias_ != nullptr, training,
                                           std::nullopt, eng);
    weights_.set_layout(pd.weights_desc());
    return pd.dst_desc();
  }

  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<DenseLayer>(name(), src, weights_, bias_, options, eng);
  }

 private:
  Parameter& weights_;
  Parameter* bias_;
};

// He initialisation suits the ReLU family; Glorot the rest (its derivation
// assumes an activation linear around zero).
v1::Initializer default_initializer(const v1::ActivationSpec* next_activation) {
  if (next_activation != nullptr) {
    const ActivationInfo* info = find_activation(next_activation->name());
    if (info != nullptr && info->family == ActivationFamily::kReluFamily) return v1::HE_NORMAL;
  }
  return v1::GLOROT_UNIFORM;
}

// The activation that follows the inner product, in the entry or as the next one.
const v1::ActivationSpec* following_activation(const v1::LayerSpec& spec,
                                               const v1::LayerSpec* next) {
  if (spec.dense().has_activation()) return &spec.dense().activation();
  if (next != nullptr && next->has_activation()) return &next->activation();
  return nullptr;
}

Result<Shape> validate(const LayerSpecContext& ctx) {
  const v1::DenseSpec& dense = ctx.spec.dense();
  const std::string path = ctx.path + ".dense";
  if (Status s = check_count(path + ".units", dense.units(), 1, kMaxUnits); !s.ok()) return s;
  if (dense.has_activation()) {
    if (Status s = validate_layer_activation(dense.activation(), path + ".activation", ctx.last);
        !s.ok()) {
      return s;
    }
  }
  if (Status s = check_enum(path + ".init", dense.init(), v1::Initializer_descriptor()); !s.ok()) {
    return s;
  }
  const int64_t units = dense.units();
  const int64_t inputs = element_count(ctx.input);
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
  return Shape{units};
}

int64_t count_parameters(const v1::LayerSpec& spec, const Shape& input) {
  const v1::DenseSpec& dense = spec.dense();
  const Shape output{dense.units()};
  int64_t total = element_count({dense.units(), element_count(input)});
  if (!dense.no_bias()) total = saturating_add(total, dense.units());
  if (dense.has_activation()) {
    total = saturating_add(total, activation_parameter_count(dense.activation(), output));
  }
  return total;
}

Status build(LayerBuildContext& ctx) {
  const v1::DenseSpec& dense = ctx.spec.dense();
  const int64_t units = dense.units();
  const int64_t inputs = element_count(ctx.input);
  Parameter& weights = ctx.add_parameter(ctx.name, "weights", {units, inputs}, /*decay=*/true);
  if (dense.initial_weights_size() > 0) {
    weights.write_value(dense.initial_weights().data());
  } else {
    const v1::Initializer kind =
        dense.init() != v1::INITIALIZER_UNSPECIFIED ? dense.init()
        : ctx.model_init != v1::INITIALIZER_UNSPECIFIED
            ? ctx.model_init
            : default_initializer(following_activation(ctx.spec, ctx.next));
    std::vector<float> values(static_cast<size_t>(weights.size()));
    std::mt19937_64 rng(ctx.seed);
    initialize_weights(kind, inputs, units, rng, values.data(), weights.size());
    weights.write_value(values.data());
  }
  Parameter* bias = nullptr;
  if (!dense.no_bias()) {
    bias = &ctx.add_parameter(ctx.name, "bias", {units}, /*decay=*/false);
    if (dense.initial_bias_size() > 0) bias->write_value(dense.initial_bias().data());
  }
  ctx.add_node(std::make_unique<DenseNode>(ctx.name, ctx.input, weights, bias));
  if (dense.has_activation()) {
    return add_activation(ctx, dense.activation(), ctx.name + "/" + dense.activation().name(),
                          ctx.output);
  }
  return ok_status();
}

void clear_initial_values(v1::LayerSpec& spec) {
  spec.mutable_dense()->clear_initial_weights();
  spec.mutable_dense()->clear_initial_bias();
}

}  // namespace

const LayerKind& dense_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kDense, "dense", validate,
                              count_parameters,      build,   nullptr,
                              clear_initial_values, "dense.units"};
  return kind;
}

}  // namespace gradstream::engine
