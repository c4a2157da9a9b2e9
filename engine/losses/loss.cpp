// The loss factory and the shared accuracy count.
#include "engine/losses/loss.hpp"

#include <cmath>

#include "engine/losses/bce_with_logits_loss.hpp"
#include "engine/losses/mse_loss.hpp"
#include "engine/losses/softmax_cross_entropy_loss.hpp"

namespace gradstream::engine {

int64_t Loss::count_correct(const dnnl::memory& output, const int32_t* labels) const {
  const auto& dims = output.get_desc().dims();
  const int64_t batch = dims[0];
  const int64_t units = dims[1];
  const float* y = static_cast<const float*>(output.get_data_handle());
  int64_t correct = 0;
  for (int64_t n = 0; n < batch; ++n) {
    const float* row = y + n * units;
    int64_t predicted = 0;
    if (units == 1) {
      predicted = predict_one_unit(row[0]);
    } else {
      for (int64_t c = 1; c < units; ++c) {
        if (row[c] > row[predicted]) predicted = c;
      }
    }
    correct += predicted == labels[n] ? 1 : 0;
  }
  return correct;
}

int32_t Loss::predict_one_unit(float y) const { return static_cast<int32_t>(std::lround(y)); }

std::unique_ptr<Loss> make_loss(v1::Loss kind, int64_t batch, int64_t units,
                                int64_t gradient_rows) {
  const int64_t rows = gradient_rows > 0 ? gradient_rows : batch;
  switch (kind) {
    case v1::MSE:
      return std::make_unique<MseLoss>(batch, units, rows);
    case v1::BCE_WITH_LOGITS:
      return std::make_unique<BceWithLogitsLoss>(batch, units, rows);
    default:
      return std::make_unique<SoftmaxCrossEntropyLoss>(batch, units, rows);
  }
}

}  // namespace gradstream::engine
