// The two faces of a layer:
//  - LayerNode, a layer of the model: its name, the shape of one sample in and
//    out, its parameters (shared by every pipeline), independent of the batch
//    size. Layer kinds (layers/layer_registry) build nodes from the spec.
//  - Layer, that node instantiated in a pipeline for one batch size: every
//    primitive and buffer is built when it is constructed (forward, front to
//    back) and in bind_backward (back to front, once diff_dst is known);
//    forward() and backward() only execute what was built.
// Tensors flow between layers in the layout their producer wrote; a layer that
// wants another converts what it consumes (LayoutConversion).
#pragma once

#include <cstdint>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/collective.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/parameter.hpp"
#include "engine/core/shape.hpp"
#include "engine/core/tensor.hpp"

namespace gradstream::engine {

struct ActivationInfo;  // layers/activation_catalog.hpp

// An element-wise activation a layer applies to its own output as a oneDNN
// post-op, sparing the activation layer a pass over memory.
struct PostOp {
  dnnl::algorithm algorithm;
  float alpha = 0.0F;
  float beta = 0.0F;
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const Tensor& dst() const { return dst_; }
  // The catalog entry for activation layers, nullptr for the others.
  virtual const ActivationInfo* activation() const { return nullptr; }
  // dst in plain row-major order, for statistics: dst's own buffer when it is
  // plain, else a copy made now (its buffer and reorder built on first use).
  const float* plain_dst(const dnnl::stream& stream) const;

  // Builds the backward pass reading `diff_dst` (in whatever layout the layer
  // above wrote it); returns diff_src, or an empty tensor when `needs_diff_src`
  // is false (nothing below needs a gradient).
  virtual Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) = 0;
  virtual void forward(const dnnl::stream& stream) = 0;
  virtual void backward(const dnnl::stream& stream) = 0;

  // What this layer of this pipeline carries from one step to the next besides
  // the model's tensors (dropout: how many masks it drew, which seeds the
  // next), so a checkpoint can restore it; empty for most layers.
  virtual std::vector<uint64_t> counters() const { return {}; }
  // Takes back what counters() gave (the same length).
  virtual void set_counters(const std::vector<uint64_t>& /*counters*/) {}

 protected:
  std::string name_;
  Tensor dst_;

 private:
  mutable LayoutConversion plain_dst_;
};

// How a pipeline instantiates a node.
struct LayerOptions {
  bool training = false;
  uint64_t seed = 0;  // per layer and model (dropout masks)
  // The global row of this pipeline's first row: a data-parallel rank's
  // pipeline holds rows [first_row, first_row + batch) of each global batch,
  // and dropout hashes the global position so its masks are the one-process run's.
  int64_t first_row = 0;
  // Set (distributed.sync_batch_norm): batch statistics are the ranks' together,
  // summed through this collective in forward and backward (every rank's
  // pipeline makes the same calls in the same order).
  Collective* synced_statistics = nullptr;
  std::optional<PostOp> post_op;  // apply the next node's activation as a post-op
  bool fused_upstream = false;    // this activation was applied by the node below
  bool fused_backward = false;    // ... whose backward also applies its derivative
};

class LayerNode {
 public:
  LayerNode(std::string name, Shape input, Shape output)
      : name_(std::move(name)), input_(std::move(input)), output_(std::move(output)) {}
  virtual ~LayerNode() = default;
  LayerNode(const LayerNode&) = delete;
  LayerNode& operator=(const LayerNode&) = delete;

  const std::string& name() const { return name_; }
  // One sample, without the batch dimension.
  const Shape& input_shape() const { return input_; }
  const Shape& output_shape() const { return output_; }

  // The parameters this node owns and trains, in model-file order.
  virtual std::vector<Parameter*> parameters() const { return {}; }
  // Tensors it keeps without training them (batch normalization's running
  // statistics): exported and restored with the parameters, in model-file
  // order after them, never given to the optimizer.
  virtual std::vector<Parameter*> state() const { return {}; }
  virtual const ActivationInfo* activation() const { return nullptr; }
  // This node's activation as a post-op of the node below, when the fusion
  // keeps backward exact (nothing needs the activation's input afterwards).
  virtual std::optional<PostOp> as_post_op(bool /*training*/) const { return std::nullopt; }
  // Whether this node can apply `op` to its own output.
  virtual bool accepts_post_op(const PostOp& /*op*/) const { return false; }
  // Whether its backward then also applies the post-op's derivative (batch
  // normalization's fused ReLU does), so the activation's backward must not.
  virtual bool post_op_in_backward() const { return false; }
  // With synchronised statistics, a rank with no rows in a step has no
  // pipeline, yet it must make the collective calls its peers' layers make:
  // the trainer calls this for every node front to back (`backward` false),
  // then back to front (true). Nodes without such calls do nothing.
  virtual void sync_without_rows(Collective& /*collective*/, bool /*backward*/) const {}
  // The layout pass, run once by the model before any pipeline exists: given
  // the layout its src will have (the producer's plan, for the model's
  // layout batch), moves the parameters into the layouts this node's
  // primitives prefer for it, and returns the layout its dst will have. A
  // node whose dst keeps its src's layout returns `src`.
  virtual dnnl::memory::desc plan_layouts(const dnnl::memory::desc& src, bool /*training*/,
                                          const dnnl::engine& /*eng*/) {
    return src;
  }

  // The node built for one pipeline, reading `src` ([batch, input_shape()...]).
  virtual std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                             const dnnl::engine& eng) const = 0;

 private:
  std::string name_;
  Shape input_;
  Shape output_;
};

}  // namespace gradstream::engine
