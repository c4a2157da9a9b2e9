// Evaluator: loss and accuracy of the model on a whole data set, every sample
// counted (the last partial batch included). Inference pipelines are built once
// per batch size met and kept.
#pragma once

#include <map>
#include <memory>

#include "engine/io/dataset.hpp"
#include "engine/losses/loss.hpp"
#include "engine/model/model.hpp"
#include "engine/model/pipeline.hpp"

namespace gradstream::engine {

struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};

class Evaluator {
 public:
  // Samples per inference batch: large enough to keep oneDNN busy, small
  // enough that activations stay in cache-friendly sizes.
  static constexpr int64_t kBatch = 1000;

  Evaluator(const Model& model, v1::Loss loss, const dnnl::engine& eng)
      : model_(model), loss_kind_(loss), eng_(eng) {}

  Evaluation evaluate(const Dataset& data, const dnnl::stream& stream);

 private:
  struct Instance {
    std::unique_ptr<Pipeline> pipeline;
    std::unique_ptr<Loss> loss;
  };
  Instance& instance_for(int64_t batch);

  const Model& model_;
  v1::Loss loss_kind_;
  dnnl::engine eng_;
  std::map<int64_t, Instance> cache_;
};

}  // namespace gradstream::engine
