// Softmax and log-softmax over the units of each sample, on oneDNN's softmax_v2.
// Used as an output activation when the loss does not fuse it (MSE, BCE).
//   softmax: dst_i = e^src_i / sum_j e^src_j;  log_softmax: dst_i = src_i - log sum_j e^src_j
#pragma once

#include "engine/core/layer.hpp"
#include "engine/core/primitive_call.hpp"

namespace gradstream::engine {

class SoftmaxLayer : public Layer {
 public:
  SoftmaxLayer(std::string name, const dnnl::memory& src, const ActivationInfo& info,
               bool training, const dnnl::engine& eng);

  const ActivationInfo* activation() const override { return &info_; }
  dnnl::memory bind_backward(const dnnl::memory& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override { forward_.execute(stream); }
  void backward(const dnnl::stream& stream) override;

 private:
  static constexpr int kUnitAxis = 1;

  dnnl::engine eng_;
  const ActivationInfo& info_;
  dnnl::softmax_v2_forward::primitive_desc forward_pd_;
  PrimitiveCall forward_;
  PrimitiveCall backward_;
};

}  // namespace gradstream::engine
