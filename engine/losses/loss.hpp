// Loss: turns the network's output for a batch and its labels into a mean loss
// and its gradient with respect to the output. Built per batch size, like
// pipelines, so nothing is allocated per step.
#pragma once

#include <cstdint>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>

#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

class Loss {
 public:
  virtual ~Loss() = default;
  // Mean loss over the batch. When `diff` is non-null, writes d(loss)/d(output)
  // there (batch x units, row-major), over the gradient's rows (make_loss).
  virtual double compute(const dnnl::memory& output, const int32_t* labels, float* diff,
                         const dnnl::stream& stream) = 0;
  // Samples whose prediction matches the label: argmax for several units, the
  // sign of the logit (BCE) or rounding (MSE) for one unit.
  int64_t count_correct(const dnnl::memory& output, const int32_t* labels) const;

 protected:
  // The class a single-unit output predicts.
  virtual int32_t predict_one_unit(float y) const;
};

// `gradient_rows` divides the gradient instead of `batch` when > 0: a
// data-parallel rank holds `batch` rows of a global batch of gradient_rows,
// and the ranks' summed gradients must be the global batch's mean gradient.
// The returned loss stays the mean over the rank's own rows.
std::unique_ptr<Loss> make_loss(v1::Loss kind, int64_t batch, int64_t units,
                                int64_t gradient_rows = 0);

// The value labels are compared against: one-hot for several units, the label
// itself for one unit.
inline float target_value(int32_t label, int64_t unit, int64_t units) {
  if (units == 1) return static_cast<float>(label);
  return label == unit ? 1.0F : 0.0F;
}

}  // namespace gradstream::engine
