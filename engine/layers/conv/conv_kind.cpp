// Conv2D: validation, parameter count, and the node that owns the filters and
// plans their layout for the layout its src will have.
#include "engine/layers/conv/conv_kind.hpp"

#include <string>

#include "engine/base/field_checks.hpp"
#include "engine/base/saturating.hpp"
#include "engine/layers/activation/activation_kind.hpp"
#include "engine/layers/conv/conv_layer.hpp"
#include "engine/layers/weighted_fields.hpp"

namespace gradstream::engine {

namespace {

// What a validated Conv2DSpec means for an input of shape `input`.
struct ConvGeometry {
  Shape image;  // [C, H, W]
  Window2D window;
  int64_t filters = 0;
  int64_t groups = 1;
  Shape weights;  // [F, C, kh, kw], or [G, F/G, C/G, kh, kw]
  Shape output;   // [F, H', W']
};

Result<ConvGeometry> geometry(const v1::Conv2DSpec& conv, const std::string& path,
                              const Shape& input) {
  ConvGeometry g;
  auto image = image_shape(path, input);
  if (!image.ok()) return image.status();
  g.image = *image;
  if (Status s = check_count(path + ".filters", conv.filters(), 1, kMaxFilters); !s.ok()) return s;
  g.filters = conv.filters();
  const int64_t channels = g.image[0];
  g.groups = conv.groups() == 0 ? 1 : conv.groups();
  if (Status s = check_count(path + ".groups", g.groups, 1, static_cast<uint64_t>(channels));
      !s.ok()) {
    return s;
  }
  if (channels % g.groups != 0 || g.filters % g.groups != 0) {
    return invalid_argument(path + ".groups: " + std::to_string(g.groups) +
                            " must divide both the input's " + std::to_string(channels) +
                            " channels and the " + std::to_string(g.filters) + " filters");
  }
  auto window = make_window({path, conv.kernel(), conv.stride(), conv.padding(),
                             conv.padding_mode(), &conv.dilation(), false},
                            g.image[1], g.image[2]);
  if (!window.ok()) return window.status();
  g.window = *window;
  const int64_t kh = g.window.kernel[0];
  const int64_t kw = g.window.kernel[1];
  g.weights = g.groups == 1 ? Shape{g.filters, channels, kh, kw}
                            : Shape{g.groups, g.filters / g.groups, channels / g.groups, kh, kw};
  g.output = {g.filters, g.window.output[0], g.window.output[1]};
  return g;
}

WeightedFields<v1::Conv2DSpec> weighted(const v1::Conv2DSpec& conv, const std::string& path,
                                        const ConvGeometry& g) {
  return {conv,
          path,
          element_count(g.weights),
          "filters " + std::to_string(g.filters) + " x channels/groups " +
              std::to_string(g.image[0] / g.groups) + " x kernel " +
              std::to_string(g.window.kernel[0]) + " x " + std::to_string(g.window.kernel[1]),
          g.filters,
          "filters"};
}

class Conv2DNode : public LayerNode {
 public:
  Conv2DNode(std::string name, Shape input, ConvGeometry geometry, Parameter& weights,
             Parameter* bias)
      : LayerNode(std::move(name), std::move(input), geometry.output),
        geometry_(std::move(geometry)),
        weights_(weights),
        bias_(bias) {}

  std::vector<Parameter*> parameters() const override {
    if (bias_ == nullptr) return {&weights_};
    return {&weights_, bias_};
  }
  bool accepts_post_op(const PostOp& /*op*/) const override { return true; }

  dnnl::memory::desc plan_layouts(const dnnl::memory::desc& src, bool training,
                                  const dnnl::engine& eng) override {
    const dnnl::memory::desc image = src.data.ndims == 4 ? src : plain_desc(image_dims(src.dims()));
    const dnnl::memory::desc any(weights_.shape(), dnnl::memory::data_type::f32,
                                 dnnl::memory::format_tag::any);
    const auto pd = Conv2DLayer::forward_pd(image, any, bias_ != nullptr, geometry_.window,
                                            geometry_.filters, training, std::nullopt, eng);
    weights_.set_layout(pd.weights_desc());
    return pd.dst_desc();
  }

  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<Conv2DLayer>(name(), src, weights_, bias_, geometry_.window,
                                         geometry_.filters, options, eng);
  }

 private:
  ConvGeometry geometry_;
  Parameter& weights_;
  Parameter* bias_;
};

Result<Shape> validate(const LayerSpecContext& ctx) {
  const v1::Conv2DSpec& conv = ctx.spec.conv2d();
  const std::string path = ctx.path + ".conv2d";
  auto g = geometry(conv, path, ctx.input);
  if (!g.ok()) return g.status();
  if (Status s = validate_weighted_fields(weighted(conv, path, *g), ctx.last); !s.ok()) return s;
  return g->output;
}

int64_t count_parameters(const v1::LayerSpec& spec, const Shape& input) {
  auto g = geometry(spec.conv2d(), "", input);
  if (!g.ok()) return 0;
  int64_t total = element_count(g->weights);
  if (!spec.conv2d().no_bias()) total = saturating_add(total, g->filters);
  if (spec.conv2d().has_activation()) {
    total =
        saturating_add(total, activation_parameter_count(spec.conv2d().activation(), g->output));
  }
  return total;
}

Status build(LayerBuildContext& ctx) {
  const v1::Conv2DSpec& conv = ctx.spec.conv2d();
  auto g = geometry(conv, "", ctx.input);
  if (!g.ok()) return g.status();
  Parameter& weights = ctx.add_parameter(ctx.name, "weights", g->weights, /*decay=*/true);
  Parameter* bias =
      conv.no_bias() ? nullptr : &ctx.add_parameter(ctx.name, "bias", {g->filters}, false);
  // Fans as PyTorch counts them for [F, C/G, kh, kw] weights.
  const int64_t receptive = g->window.kernel[0] * g->window.kernel[1];
  initialize_weighted(weighted(conv, "", *g), ctx, g->image[0] / g->groups * receptive,
                      g->filters * receptive, weights, bias);
  const Shape output = g->output;
  ctx.add_node(
      std::make_unique<Conv2DNode>(ctx.name, ctx.input, std::move(g).value(), weights, bias));
  return add_own_activation(ctx, conv, output);
}

void clear_initial_values(v1::LayerSpec& spec) {
  clear_weighted_initial_values(*spec.mutable_conv2d());
}

}  // namespace

const LayerKind& conv2d_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kConv2D, "conv2d",        validate,
                              count_parameters,       build,           nullptr,
                              clear_initial_values,   "conv2d.filters"};
  return kind;
}

}  // namespace gradstream::engine
