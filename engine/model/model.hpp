// Model: the network a spec describes, resolved into a flat list of layer plans
// (a Dense with an activation becomes two entries) and the trainable parameters
// they share. Pipelines for each batch size are built from it.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/layers/activation_catalog.hpp"
#include "engine/core/parameter.hpp"
#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

struct LayerPlan {
  enum class Kind { kDense, kActivation, kDropout, kFlatten };
  Kind kind = Kind::kFlatten;
  std::string name;
  int64_t units = 0;                          // output features
  const ActivationInfo* activation = nullptr;  // kActivation
  EltwiseArgs args;                           // kActivation, eltwise entries
  float dropout_rate = 0.0F;                  // kDropout
  Parameter* weights = nullptr;               // kDense
  Parameter* bias = nullptr;                  // kDense, null with no_bias
  Parameter* slope = nullptr;                 // prelu

  bool has_parameters() const { return weights != nullptr || slope != nullptr; }
};

class Model {
 public:
  // Builds from a validated spec; `seed` drives the initializers.
  static Result<std::unique_ptr<Model>> build(const v1::TrainingSpec& spec, int64_t input_features,
                                              const dnnl::engine& eng);

  int64_t input_features() const { return input_features_; }
  int64_t output_units() const { return layers_.empty() ? input_features_ : output_units_; }
  const std::vector<LayerPlan>& layers() const { return layers_; }
  std::vector<Parameter*> parameters();
  uint64_t seed() const { return seed_; }
  // True when the spec ends in softmax and the loss (softmax cross-entropy)
  // applies it itself: the training network then stops at the logits.
  bool softmax_fused() const { return softmax_fused_; }

 private:
  Model() = default;
  Status add_dense(const v1::LayerSpec& spec, const std::string& name, int64_t& features,
                   v1::Initializer model_init, const v1::LayerSpec* next, uint64_t layer_seed,
                   const std::string& path);
  void add_activation(const v1::ActivationSpec& spec, const std::string& name, int64_t features);

  dnnl::engine eng_;
  int64_t input_features_ = 0;
  int64_t output_units_ = 0;
  uint64_t seed_ = 0;
  bool softmax_fused_ = false;
  std::vector<LayerPlan> layers_;
  std::deque<Parameter> parameters_;  // deque: LayerPlan pointers stay valid as it grows
};

}  // namespace gradstream::engine
