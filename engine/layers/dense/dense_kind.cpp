// Dense: validation, parameter count, and the node that owns the weights and
// chooses their layout.
#include "engine/layers/dense/dense_kind.hpp"

#include <string>

#include "engine/base/field_checks.hpp"
#include "engine/base/saturating.hpp"
#include "engine/layers/activation/activation_catalog.hpp"
#include "engine/layers/activation/activation_kind.hpp"
#include "engine/layers/dense/dense_layer.hpp"
#include "engine/layers/weighted_fields.hpp"

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
  bool accepts_post_op(const PostOp& /*op*/) const override { return true; }

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

WeightedFields<v1::DenseSpec> weighted(const v1::DenseSpec& dense, const std::string& path,
                                       const Shape& input) {
  const int64_t units = dense.units();
  const int64_t inputs = element_count(input);
  return {dense,
          path,
          saturating_mul(units, inputs),
          "units " + std::to_string(units) + " x inputs " + std::to_string(inputs),
          units,
          "units"};
}

Result<Shape> validate(const LayerSpecContext& ctx) {
  const v1::DenseSpec& dense = ctx.spec.dense();
  const std::string path = ctx.path + ".dense";
  if (Status s = check_count(path + ".units", dense.units(), 1, kMaxUnits); !s.ok()) return s;
  if (Status s = validate_weighted_fields(weighted(dense, path, ctx.input), ctx.last); !s.ok()) {
    return s;
  }
  return Shape{dense.units()};
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
  Parameter* bias =
      dense.no_bias() ? nullptr : &ctx.add_parameter(ctx.name, "bias", {units}, /*decay=*/false);
  initialize_weighted(weighted(dense, "", ctx.input), ctx, inputs, units, weights, bias);
  ctx.add_node(std::make_unique<DenseNode>(ctx.name, ctx.input, weights, bias));
  return add_own_activation(ctx, dense, ctx.output);
}

void clear_initial_values(v1::LayerSpec& spec) {
  clear_weighted_initial_values(*spec.mutable_dense());
}

}  // namespace

const LayerKind& dense_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kDense, "dense",      validate,
                              count_parameters,      build,        nullptr,
                              clear_initial_values,  "dense.units"};
  return kind;
}

}  // namespace gradstream::engine
