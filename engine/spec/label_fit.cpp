// output_units and check_classes_fit.
#include "engine/spec/label_fit.hpp"

#include <string>

#include "engine/layers/layer_registry.hpp"
#include "engine/spec/spec_validator.hpp"

namespace gradstream::engine {

int64_t output_units(const v1::TrainingSpec& spec) {
  Shape shape = input_shape(spec.model());
  const auto& layers = spec.model().layers();
  for (int i = 0; i < layers.size(); ++i) {
    const LayerKind* kind = find_layer_kind(layers[i].kind_case());
    if (kind == nullptr) return 0;
    const std::string path = "model.layers[" + std::to_string(i) + "]";
    Result<Shape> output = kind->validate({layers[i], path, shape, i + 1 == layers.size()});
    if (!output.ok()) return 0;
    shape = std::move(output).value();
  }
  return shape.size() == 1 ? shape[0] : 0;
}

Status check_classes_fit(const v1::TrainingSpec& spec, int64_t num_classes, int64_t units) {
  const bool cross_entropy =
      spec.loss() == v1::LOSS_UNSPECIFIED || spec.loss() == v1::SOFTMAX_CROSS_ENTROPY;
  const bool one_unit = units == 1;
  if (cross_entropy && num_classes > units) {
    return invalid_argument("model.layers: the output has " + std::to_string(units) +
                            " units but the data has " + std::to_string(num_classes) + " classes");
  }
  if (spec.loss() == v1::BCE_WITH_LOGITS && one_unit && num_classes > 2) {
    return invalid_argument(
        "loss: BCE_WITH_LOGITS with one output unit needs labels 0 and 1, "
        "the data has " +
        std::to_string(num_classes) + " classes");
  }
  if (!one_unit && !cross_entropy && num_classes > units) {
    return invalid_argument("model.layers: the output has " + std::to_string(units) +
                            " units, too few for one-hot targets of " +
                            std::to_string(num_classes) + " classes");
  }
  return ok_status();
}

}  // namespace gradstream::engine
