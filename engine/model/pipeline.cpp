// Pipeline: instantiates nodes front to back (fusing an activation into the
// node below where both allow it), then binds backward back to front.
#include "engine/model/pipeline.hpp"

namespace gradstream::engine {

Pipeline::Pipeline(const Model& model, int64_t batch, bool training, const dnnl::engine& eng,
                   bool input_gradient, int64_t first_row, Collective* synced_statistics)
    : batch_(batch) {
  input_ = Tensor(
      dnnl::memory(plain_desc(with_batch(batch, model.input_shape())), eng, DNNL_MEMORY_NONE));
  const auto& nodes = model.nodes();
  std::vector<std::optional<PostOp>> post_ops(nodes.size());
  for (size_t i = 0; i + 1 < nodes.size(); ++i) {
    const std::optional<PostOp> op = nodes[i + 1]->as_post_op(training);
    if (op && nodes[i]->accepts_post_op(*op)) post_ops[i] = op;
  }
  Tensor src = input_;
  for (size_t i = 0; i < nodes.size(); ++i) {
    LayerOptions options;
    options.training = training;
    options.seed = model.seed() ^ (static_cast<uint64_t>(i + 1) << 32);
    options.first_row = first_row;
    options.synced_statistics = training ? synced_statistics : nullptr;
    options.post_op = post_ops[i];
    options.fused_upstream = i > 0 && post_ops[i - 1].has_value();
    options.fused_backward = options.fused_upstream && nodes[i - 1]->post_op_in_backward();
    layers_.push_back(nodes[i]->instantiate(src, options, eng));
    src = layers_.back()->dst();
  }
  const Shape output_shape{batch, model.output_units()};
  output_ = LayoutConversion(src, plain_desc(src.shape()), eng);
  output_rows_ = PlainView(output_.tensor(), output_shape);
  if (!training) return;
  diff_output_ = Tensor::allocate(plain_desc(output_shape), eng);
  // A layer needs diff_src only if some layer below it has parameters.
  std::vector<bool> needs_diff_src(layers_.size(), input_gradient);
  bool below_has_parameters = input_gradient;
  for (size_t i = 0; i < layers_.size(); ++i) {
    needs_diff_src[i] = below_has_parameters;
    below_has_parameters = below_has_parameters || !nodes[i]->parameters().empty();
  }
  Tensor diff = diff_output_.reshaped(src.shape());
  for (size_t i = layers_.size(); i-- > 0;) {
    diff = layers_[i]->bind_backward(diff, needs_diff_src[i]);
  }
  if (input_gradient) diff_input_ = LayoutConversion(diff, plain_desc(input_.shape()), eng);
}

void Pipeline::set_input(const float* features) {
  // Read-only use by the first layer.
  input_.memory().set_data_handle(const_cast<float*>(features));
}

void Pipeline::forward(const dnnl::stream& stream) {
  for (auto& layer : layers_) layer->forward(stream);
  output_.run(stream);
  output_rows_.sync();
}

void Pipeline::backward(const dnnl::stream& stream) {
  for (size_t i = layers_.size(); i-- > 0;) layers_[i]->backward(stream);
  diff_input_.run(stream);
}

v1::PipelineState Pipeline::counters_state() const {
  v1::PipelineState state;
  state.set_batch(batch_);
  for (const auto& layer : layers_) {
    const std::vector<uint64_t> counters = layer->counters();
    if (counters.empty()) continue;
    v1::LayerCounters* out = state.add_layers();
    out->set_layer(layer->name());
    out->mutable_counters()->Add(counters.begin(), counters.end());
  }
  return state;
}

Status Pipeline::check_counters_state(const v1::PipelineState& state,
                                      const std::string& path) const {
  if (state.batch() != batch_) {
    return invalid_argument(path + ".batch: " + std::to_string(state.batch()) + ", expected " +
                            std::to_string(batch_));
  }
  int found = 0;
  for (const auto& layer : layers_) {
    const size_t count = layer->counters().size();
    if (count == 0) continue;
    const std::string at = path + ".layers[" + std::to_string(found) + "]";
    if (found == state.layers_size()) {
      return invalid_argument(at + ": missing, layer \"" + layer->name() + "\" keeps counters");
    }
    const v1::LayerCounters& counters = state.layers(found++);
    if (counters.layer() != layer->name()) {
      return invalid_argument(at + ".layer: \"" + counters.layer() + "\", expected \"" +
                              layer->name() + "\"");
    }
    if (counters.counters_size() != static_cast<int>(count)) {
      return invalid_argument(at + ".counters: " + std::to_string(counters.counters_size()) +
                              " values, layer \"" + layer->name() + "\" keeps " +
                              std::to_string(count));
    }
  }
  if (found != state.layers_size()) {
    return invalid_argument(path + ".layers: " + std::to_string(state.layers_size()) +
                            " layers keep counters, this pipeline has " + std::to_string(found));
  }
  return ok_status();
}

void Pipeline::restore_counters_state(const v1::PipelineState& state) {
  int next = 0;
  for (const auto& layer : layers_) {
    if (layer->counters().empty()) continue;
    const auto& counters = state.layers(next++).counters();
    layer->set_counters(std::vector<uint64_t>(counters.begin(), counters.end()));
  }
}

}  // namespace gradstream::engine
