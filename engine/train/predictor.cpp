// predict: chunked inference and the stable softmax of the output rows.
#include "engine/train/predictor.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "engine/model/pipeline.hpp"

namespace gradstream::engine {

namespace {

// p_c = e^(x_c - max) / sum_k e^(x_k - max), in double: e^(x - max) <= 1 never overflows.
void softmax_rows(float* rows, int64_t count, int64_t units) {
  for (int64_t n = 0; n < count; ++n) {
    float* row = rows + n * units;
    const double max = *std::max_element(row, row + units);
    double sum = 0.0;
    for (int64_t c = 0; c < units; ++c) sum += std::exp(static_cast<double>(row[c]) - max);
    for (int64_t c = 0; c < units; ++c) {
      row[c] = static_cast<float>(std::exp(static_cast<double>(row[c]) - max) / sum);
    }
  }
}

}  // namespace

bool predicts_probabilities(const v1::TrainingSpec& spec, const Model& model) {
  return model.softmax_fused() || spec.loss() == v1::SOFTMAX_CROSS_ENTROPY ||
         spec.loss() == v1::LOSS_UNSPECIFIED;
}

Result<std::vector<float>> predict(Model& model, const float* inputs, int64_t count,
                                   const dnnl::engine& eng, bool probabilities) {
  if (count < 1) return invalid_argument("count: " + std::to_string(count) + " is less than 1");
  const int64_t features = model.input_features();
  const int64_t units = model.output_units();
  std::vector<float> outputs(static_cast<size_t>(count * units));
  try {
    dnnl::stream stream(eng);
    std::map<int64_t, std::unique_ptr<Pipeline>> pipelines;  // full chunk, last partial one
    for (int64_t start = 0; start < count; start += kPredictBatch) {
      const int64_t batch = std::min(kPredictBatch, count - start);
      std::unique_ptr<Pipeline>& pipeline = pipelines[batch];
      if (!pipeline) pipeline = std::make_unique<Pipeline>(model, batch, /*training=*/false, eng);
      pipeline->set_input(inputs + start * features);
      pipeline->forward(stream);
      stream.wait();
      std::copy(pipeline->output_data(), pipeline->output_data() + batch * units,
                outputs.begin() + start * units);
    }
  } catch (const dnnl::error& e) {
    return internal_error(std::string("oneDNN could not run the model: ") + e.what());
  }
  if (probabilities) softmax_rows(outputs.data(), count, units);
  return outputs;
}

Result<std::vector<float>> predict(Model& model, const float* inputs, int64_t count,
                                   const dnnl::engine& eng) {
  return predict(model, inputs, count, eng, model.softmax_fused());
}

}  // namespace gradstream::engine
