// Layers as ONNX operators: one table of exporters by layer kind.
#include "engine/onnx/onnx_layers.hpp"

#include <array>
#include <vector>

#include "engine/layers/batch_norm/batch_norm_kind.hpp"
#include "engine/layers/window_geometry.hpp"
#include "engine/onnx/onnx_activation.hpp"

namespace gradstream::engine::onnx_export {

namespace {

using LayerExporter = Result<std::string> (*)(LayerExport& layer, const std::string& x);

struct LayerKindExport {
  v1::LayerSpec::KindCase kind;
  LayerExporter add;
};

std::vector<int64_t> dims(const Shape& shape) { return {shape.begin(), shape.end()}; }

// [N, C * H * W ...] from [N, C, H, W ...]: a no-op for one-dimensional samples.
std::string flattened(OnnxGraph& g, const std::string& x, const Shape& sample) {
  if (sample.size() <= 1) return x;
  return g.add("Flatten", {x}).attribute("axis", int64_t{1}).output();
}

// The next tensor as an initializer of `shape`.
Result<std::string> tensor(LayerExport& layer, const char* name, const Shape& shape) {
  auto values = layer.tensors.take(name, element_count(shape));
  if (!values.ok()) return values.status();
  return layer.graph.floats(name, dims(shape), *values);
}

// The activation of a dense or conv2d entry, when it has one.
template <class Spec>
Result<std::string> own_activation(LayerExport& layer, const Spec& spec, const std::string& x) {
  if (!spec.has_activation()) return x;
  return add_activation(layer.graph, spec.activation(), x, layer.output, layer.tensors,
                        layer.fused_into_loss);
}

// y = x W^T + b, W [units, inputs] as the engine keeps it.
Result<std::string> add_dense(LayerExport& layer, const std::string& x) {
  const v1::DenseSpec& dense = layer.spec.dense();
  const int64_t units = dense.units();
  auto weights = tensor(layer, "weights", {units, element_count(layer.input)});
  if (!weights.ok()) return weights.status();
  std::vector<std::string> inputs = {flattened(layer.graph, x, layer.input), *weights};
  if (!dense.no_bias()) {
    auto bias = tensor(layer, "bias", {units});
    if (!bias.ok()) return bias.status();
    inputs.push_back(*bias);
  }
  const std::string y = layer.graph.add("Gemm", inputs).attribute("transB", int64_t{1}).output();
  return own_activation(layer, dense, y);
}

// The window's attributes on a Conv or pooling node.
void window_attributes(OnnxNode& node, const Window2D& w) {
  node.attribute("kernel_shape", std::vector<int64_t>{w.kernel[0], w.kernel[1]})
      .attribute("strides", std::vector<int64_t>{w.stride[0], w.stride[1]})
      .attribute("pads",
                 std::vector<int64_t>{w.pad_begin[0], w.pad_begin[1], w.pad_end[0], w.pad_end[1]});
}

// [N, 1, H, W] for [H, W] samples (image_shape's reading), else x.
Result<std::string> as_image(LayerExport& layer, const std::string& x, Shape& image) {
  auto read = image_shape(layer.path, layer.input);
  if (!read.ok()) return read.status();
  image = *read;
  if (layer.input.size() == 3) return x;
  const std::string shape = layer.graph.int64s("shape", {-1, image[0], image[1], image[2]});
  return layer.graph.add("Reshape", {x, shape}).output();
}

Result<std::string> add_conv(LayerExport& layer, const std::string& x) {
  const v1::Conv2DSpec& conv = layer.spec.conv2d();
  Shape image;
  auto src = as_image(layer, x, image);
  if (!src.ok()) return src.status();
  const std::string path = layer.path + ".conv2d";
  auto window = make_window({path, conv.kernel(), conv.stride(), conv.padding(),
                             conv.padding_mode(), &conv.dilation(), false},
                            image[1], image[2]);
  if (!window.ok()) return window.status();
  const int64_t groups = conv.groups() == 0 ? 1 : conv.groups();
  const int64_t filters = conv.filters();
  // [G, F/G, C/G, kh, kw] for groups holds the same values as [F, C/G, kh, kw].
  auto weights =
      tensor(layer, "weights", {filters, image[0] / groups, window->kernel[0], window->kernel[1]});
  if (!weights.ok()) return weights.status();
  std::vector<std::string> inputs = {*src, *weights};
  if (!conv.no_bias()) {
    auto bias = tensor(layer, "bias", {filters});
    if (!bias.ok()) return bias.status();
    inputs.push_back(*bias);
  }
  OnnxNode node = layer.graph.add("Conv", inputs);
  window_attributes(node, *window);
  node.attribute("dilations", std::vector<int64_t>{window->dilation[0], window->dilation[1]})
      .attribute("group", groups);
  return own_activation(layer, conv, node.output());
}

Result<std::string> add_pool(LayerExport& layer, const std::string& x) {
  const bool max = layer.spec.has_max_pool2d();
  const v1::Pool2DSpec& pool = max ? layer.spec.max_pool2d() : layer.spec.avg_pool2d();
  auto window = make_window({layer.path, pool.kernel(), pool.stride(), pool.padding(),
                             pool.padding_mode(), nullptr, true},
                            layer.input[1], layer.input[2]);
  if (!window.ok()) return window.status();
  OnnxNode node = layer.graph.add(max ? "MaxPool" : "AveragePool", {x});
  window_attributes(node, *window);
  if (!max) node.attribute("count_include_pad", int64_t{pool.count_include_pad() ? 1 : 0});
  return node.output();
}

Result<std::string> add_global_avg_pool(LayerExport& layer, const std::string& x) {
  const std::string pooled = layer.graph.add("GlobalAveragePool", {x}).output();
  return layer.graph.add("Flatten", {pooled}).attribute("axis", int64_t{1}).output();
}

// Inference form: (x - running_mean) / sqrt(running_var + epsilon) * scale + shift.
Result<std::string> add_batch_norm(LayerExport& layer, const std::string& x) {
  const v1::BatchNormSpec& bn = layer.spec.batch_norm();
  const int64_t channels = layer.input[0];
  OnnxGraph& g = layer.graph;
  const std::vector<float> ones(static_cast<size_t>(channels), 1.0F);
  const std::vector<float> zeros(static_cast<size_t>(channels), 0.0F);
  Result<std::string> scale =
      bn.no_scale() ? g.floats("scale", {channels}, ones) : tensor(layer, "scale", {channels});
  if (!scale.ok()) return scale.status();
  Result<std::string> shift =
      bn.no_shift() ? g.floats("shift", {channels}, zeros) : tensor(layer, "shift", {channels});
  if (!shift.ok()) return shift.status();
  auto mean = tensor(layer, "running_mean", {channels});
  if (!mean.ok()) return mean.status();
  auto var = tensor(layer, "running_var", {channels});
  if (!var.ok()) return var.status();
  return g.add("BatchNormalization", {x, *scale, *shift, *mean, *var})
      .attribute("epsilon", bn.has_epsilon() ? bn.epsilon() : kDefaultBatchNormEpsilon)
      .output();
}

Result<std::string> add_flatten(LayerExport& layer, const std::string& x) {
  return layer.graph.add("Flatten", {x}).attribute("axis", int64_t{1}).output();
}

Result<std::string> add_reshape(LayerExport& layer, const std::string& x) {
  std::vector<int64_t> shape = {-1};
  for (const int64_t d : layer.output) shape.push_back(d);
  return layer.graph.add("Reshape", {x, layer.graph.int64s("shape", shape)}).output();
}

// Dropout is the identity at inference.
Result<std::string> add_dropout(LayerExport&, const std::string& x) { return x; }

Result<std::string> add_activation_layer(LayerExport& layer, const std::string& x) {
  return add_activation(layer.graph, layer.spec.activation(), x, layer.input, layer.tensors,
                        layer.fused_into_loss);
}

constexpr std::array kLayerExports = {
    LayerKindExport{v1::LayerSpec::kDense, add_dense},
    LayerKindExport{v1::LayerSpec::kActivation, add_activation_layer},
    LayerKindExport{v1::LayerSpec::kDropout, add_dropout},
    LayerKindExport{v1::LayerSpec::kFlatten, add_flatten},
    LayerKindExport{v1::LayerSpec::kReshape, add_reshape},
    LayerKindExport{v1::LayerSpec::kConv2D, add_conv},
    LayerKindExport{v1::LayerSpec::kMaxPool2D, add_pool},
    LayerKindExport{v1::LayerSpec::kAvgPool2D, add_pool},
    LayerKindExport{v1::LayerSpec::kGlobalAvgPool, add_global_avg_pool},
    LayerKindExport{v1::LayerSpec::kBatchNorm, add_batch_norm},
};

}  // namespace

bool exports_layer_kind(v1::LayerSpec::KindCase kind) {
  for (const LayerKindExport& entry : kLayerExports)
    if (entry.kind == kind) return true;
  return false;
}

Result<std::string> add_layer(LayerExport& layer, const std::string& x) {
  for (const LayerKindExport& entry : kLayerExports)
    if (entry.kind == layer.spec.kind_case()) return entry.add(layer, x);
  return internal_error("ONNX export: " + layer.path + ": this layer kind has no ONNX form");
}

}  // namespace gradstream::engine::onnx_export
