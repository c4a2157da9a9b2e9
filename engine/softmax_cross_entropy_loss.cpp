// SoftmaxCrossEntropyLoss: log-softmax through oneDNN, then loss and gradient.
#include "engine/softmax_cross_entropy_loss.hpp"

#include <cmath>

namespace gradstream::engine {

SoftmaxCrossEntropyLoss::SoftmaxCrossEntropyLoss(int64_t batch, int64_t units,
                                                 const dnnl::engine& eng)
    : batch_(batch), units_(units) {
  const dnnl::memory::desc md = matrix_desc(batch, units);
  logits_ = dnnl::memory(md, eng, nullptr);
  log_probabilities_ = dnnl::memory(md, eng);
  dnnl::softmax_v2_forward::desc desc(dnnl::prop_kind::forward_inference,
                                      dnnl::algorithm::softmax_log, md, md, 1);
  log_softmax_ = PrimitiveCall(dnnl::softmax_v2_forward({desc, eng}),
                               {{DNNL_ARG_SRC, logits_}, {DNNL_ARG_DST, log_probabilities_}});
}

double SoftmaxCrossEntropyLoss::compute(const dnnl::memory& output, const int32_t* labels,
                                        float* diff, const dnnl::stream& stream) {
  logits_.set_data_handle(output.get_data_handle());
  log_softmax_.execute(stream);
  const float* logp = static_cast<const float*>(log_probabilities_.get_data_handle());
  const float inv_batch = 1.0F / static_cast<float>(batch_);
  double total = 0.0;
  for (int64_t n = 0; n < batch_; ++n) {
    const float* row = logp + n * units_;
    total -= row[labels[n]];
    if (diff == nullptr) continue;
    float* d = diff + n * units_;
    for (int64_t c = 0; c < units_; ++c) d[c] = std::exp(row[c]) * inv_batch;
    d[labels[n]] -= inv_batch;
  }
  return total / static_cast<double>(batch_);
}

}  // namespace gradstream::engine
