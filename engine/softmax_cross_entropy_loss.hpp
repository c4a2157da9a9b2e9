// Softmax cross-entropy on logits, fused and stable: oneDNN's log-softmax gives
// log p without overflow, then
//   loss = -1/N sum_n log p[n, y_n];   d loss / d logits = (p - onehot(y)) / N
#pragma once

#include "engine/loss.hpp"
#include "engine/primitive_call.hpp"

namespace gradstream::engine {

class SoftmaxCrossEntropyLoss : public Loss {
 public:
  SoftmaxCrossEntropyLoss(int64_t batch, int64_t units, const dnnl::engine& eng);
  double compute(const dnnl::memory& output, const int32_t* labels, float* diff,
                 const dnnl::stream& stream) override;

 private:
  int64_t batch_;
  int64_t units_;
  dnnl::memory logits_;   // points at the network's output at each call
  dnnl::memory log_probabilities_;
  PrimitiveCall log_softmax_;
};

}  // namespace gradstream::engine
