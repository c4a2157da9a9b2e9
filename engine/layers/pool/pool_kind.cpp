// Pooling kinds: their validation and shapes, and the node they share.
#include "engine/layers/pool/pool_kind.hpp"

#include <string>

#include "engine/layers/pool/pool_layer.hpp"

namespace gradstream::engine {

namespace {

class Pool2DNode : public LayerNode {
 public:
  Pool2DNode(std::string name, Shape input, Shape output, dnnl::algorithm algorithm,
             Window2D window, bool global_output)
      : LayerNode(std::move(name), std::move(input), std::move(output)),
        algorithm_(algorithm),
        window_(window),
        global_output_(global_output) {}

  dnnl::memory::desc plan_layouts(const dnnl::memory::desc& src, bool training,
                                  const dnnl::engine& eng) override {
    const auto pd = Pool2DLayer::forward_pd(src, algorithm_, window_, training, eng);
    if (!global_output_) return pd.dst_desc();
    return plain_desc({src.data.dims[0], src.data.dims[1]});
  }

  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<Pool2DLayer>(name(), src, algorithm_, window_, global_output_, options,
                                         eng);
  }

 private:
  dnnl::algorithm algorithm_;
  Window2D window_;
  bool global_output_;
};

// The image a pooling layer reads: [C, H, W] only (pooling a one-channel
// [H, W] would change the sample's rank: reshape it first).
Result<Shape> pooled_image(const std::string& path, const Shape& input) {
  if (input.size() == 3) return input;
  return invalid_argument(path + ": needs samples of shape [C, H, W], got " + shape_text(input) +
                          " (a reshape layer can make one)");
}

const v1::Pool2DSpec& pool_spec(const v1::LayerSpec& spec) {
  return spec.has_max_pool2d() ? spec.max_pool2d() : spec.avg_pool2d();
}

Result<Window2D> pool_window(const v1::LayerSpec& spec, const std::string& path,
                             const Shape& image) {
  const v1::Pool2DSpec& pool = pool_spec(spec);
  return make_window(
      {path, pool.kernel(), pool.stride(), pool.padding(), pool.padding_mode(), nullptr, true},
      image[1], image[2]);
}

std::string pool_path(const LayerSpecContext& ctx) {
  return ctx.path + (ctx.spec.has_max_pool2d() ? ".max_pool2d" : ".avg_pool2d");
}

Result<Shape> validate_pool(const LayerSpecContext& ctx) {
  const std::string path = pool_path(ctx);
  auto image = pooled_image(path, ctx.input);
  if (!image.ok()) return image.status();
  if (ctx.spec.has_max_pool2d() && ctx.spec.max_pool2d().count_include_pad()) {
    return invalid_argument(path + ".count_include_pad: only average pooling counts padding");
  }
  auto window = pool_window(ctx.spec, path, *image);
  if (!window.ok()) return window.status();
  return Shape{(*image)[0], window->output[0], window->output[1]};
}

dnnl::algorithm pool_algorithm(const v1::LayerSpec& spec) {
  if (spec.has_max_pool2d()) return dnnl::algorithm::pooling_max;
  return spec.avg_pool2d().count_include_pad() ? dnnl::algorithm::pooling_avg_include_padding
                                               : dnnl::algorithm::pooling_avg_exclude_padding;
}

Status build_pool(LayerBuildContext& ctx) {
  auto window = pool_window(ctx.spec, "", ctx.input);
  if (!window.ok()) return window.status();
  ctx.add_node(std::make_unique<Pool2DNode>(ctx.name, ctx.input, ctx.output,
                                            pool_algorithm(ctx.spec), *window, false));
  return ok_status();
}

Result<Shape> validate_global(const LayerSpecContext& ctx) {
  auto image = pooled_image(ctx.path + ".global_avg_pool", ctx.input);
  if (!image.ok()) return image.status();
  return Shape{(*image)[0]};
}

Status build_global(LayerBuildContext& ctx) {
  Window2D window;
  window.kernel = {ctx.input[1], ctx.input[2]};
  window.stride = window.kernel;
  ctx.add_node(std::make_unique<Pool2DNode>(
      ctx.name, ctx.input, ctx.output, dnnl::algorithm::pooling_avg_exclude_padding, window, true));
  return ok_status();
}

}  // namespace

const LayerKind& max_pool2d_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kMaxPool2D, "max_pool2d", validate_pool, no_parameters,
                              build_pool};
  return kind;
}

const LayerKind& avg_pool2d_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kAvgPool2D, "avg_pool2d", validate_pool, no_parameters,
                              build_pool};
  return kind;
}

const LayerKind& global_avg_pool_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kGlobalAvgPool, "global_avg_pool", validate_global,
                              no_parameters, build_global};
  return kind;
}

}  // namespace gradstream::engine
