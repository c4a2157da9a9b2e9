// Evaluator: batches a data set in place (no copies) through inference pipelines.
#include "engine/train/evaluator.hpp"

#include <algorithm>

namespace gradstream::engine {

Evaluator::Instance& Evaluator::instance_for(int64_t batch) {
  auto it = cache_.find(batch);
  if (it == cache_.end()) {
    Instance instance{std::make_unique<Pipeline>(model_, batch, /*training=*/false, eng_),
                      make_loss(loss_kind_, batch, model_.output_units())};
    it = cache_.emplace(batch, std::move(instance)).first;
  }
  return it->second;
}

Evaluation Evaluator::evaluate(const Dataset& data, const dnnl::stream& stream) {
  Evaluation result;
  if (data.count == 0) return result;
  const int64_t features = data.sample_size();
  double loss_sum = 0.0;
  int64_t correct = 0;
  for (int64_t start = 0; start < data.count; start += kBatch) {
    const int64_t batch = std::min(kBatch, data.count - start);
    Instance& instance = instance_for(batch);
    instance.pipeline->set_input(data.features.data() + start * features);
    instance.pipeline->forward(stream);
    const int32_t* labels = data.labels.data() + start;
    loss_sum += instance.loss->compute(instance.pipeline->output(), labels, nullptr, stream) *
                static_cast<double>(batch);
    correct += instance.loss->count_correct(instance.pipeline->output(), labels);
  }
  result.loss = loss_sum / static_cast<double>(data.count);
  result.accuracy = static_cast<double>(correct) / static_cast<double>(data.count);
  return result;
}

}  // namespace gradstream::engine
