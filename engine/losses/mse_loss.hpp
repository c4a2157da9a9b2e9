// Mean squared error against one-hot labels (several units) or the label value
// (one unit), averaged over every element as PyTorch's MSELoss does:
//   loss = 1/(N K) sum (y - t)^2;   d loss / d y = 2 (y - t) / (N K)
#pragma once

#include "engine/losses/loss.hpp"

namespace gradstream::engine {

class MseLoss : public Loss {
 public:
  MseLoss(int64_t batch, int64_t units) : batch_(batch), units_(units) {}
  double compute(const dnnl::memory& output, const int32_t* labels, float* diff,
                 const dnnl::stream& stream) override;

 private:
  int64_t batch_;
  int64_t units_;
};

}  // namespace gradstream::engine
