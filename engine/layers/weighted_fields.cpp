// validate_weighted_fields and initialize_weighted, for DenseSpec and Conv2DSpec.
#include "engine/layers/weighted_fields.hpp"

#include <random>
#include <vector>

#include "engine/base/field_checks.hpp"
#include "engine/layers/activation/activation_kind.hpp"
#include "engine/layers/initializer.hpp"

namespace gradstream::engine {

template <class Spec>
Status validate_weighted_fields(const WeightedFields<Spec>& f, bool ends_network) {
  const Spec& spec = f.spec;
  if (spec.has_activation()) {
    if (Status s =
            validate_layer_activation(spec.activation(), f.path + ".activation", ends_network);
        !s.ok()) {
      return s;
    }
  }
  if (Status s = check_enum(f.path + ".init", spec.init(), v1::Initializer_descriptor()); !s.ok()) {
    return s;
  }
  if (spec.initial_weights_size() > 0 && spec.initial_weights_size() != f.weights) {
    return invalid_argument(f.path + ".initial_weights: has " +
                            std::to_string(spec.initial_weights_size()) + " values, expected " +
                            std::to_string(f.weights) + " (" + f.weights_text + ")");
  }
  // A NaN or infinity given here trains to non-finite weights and exports them.
  if (Status s = check_finite(f.path + ".initial_weights", spec.initial_weights().data(),
                              static_cast<size_t>(spec.initial_weights_size()));
      !s.ok()) {
    return s;
  }
  if (spec.initial_bias_size() > 0 && spec.no_bias()) {
    return invalid_argument(f.path + ".initial_bias: given, but no_bias is set");
  }
  if (spec.initial_bias_size() > 0 && spec.initial_bias_size() != f.bias) {
    return invalid_argument(f.path + ".initial_bias: has " +
                            std::to_string(spec.initial_bias_size()) + " values, expected " +
                            std::to_string(f.bias) + " (" + f.bias_text + ")");
  }
  return check_finite(f.path + ".initial_bias", spec.initial_bias().data(),
                      static_cast<size_t>(spec.initial_bias_size()));
}

template <class Spec>
void initialize_weighted(const WeightedFields<Spec>& f, const LayerBuildContext& ctx,
                         int64_t fan_in, int64_t fan_out, Parameter& weights, Parameter* bias) {
  const Spec& spec = f.spec;
  if (spec.initial_weights_size() > 0) {
    weights.write_value(spec.initial_weights().data());
  } else {
    const v1::Initializer kind =
        resolve_initializer(spec.init(), ctx.model_init,
                            spec.has_activation() ? &spec.activation() : nullptr, ctx.next);
    std::vector<float> values(static_cast<size_t>(weights.size()));
    std::mt19937_64 rng(ctx.seed);
    initialize_weights(kind, fan_in, fan_out, rng, values.data(), weights.size());
    weights.write_value(values.data());
  }
  if (bias != nullptr && spec.initial_bias_size() > 0)
    bias->write_value(spec.initial_bias().data());
}

template <class Spec>
Status add_own_activation(LayerBuildContext& ctx, const Spec& spec, const Shape& output) {
  if (!spec.has_activation()) return ok_status();
  return add_activation(ctx, spec.activation(),
                        ctx.name + "/" + activation_name_stem(spec.activation()), output);
}

template <class Spec>
void clear_weighted_initial_values(Spec& spec) {
  spec.clear_initial_weights();
  spec.clear_initial_bias();
}

template Status add_own_activation(LayerBuildContext&, const v1::DenseSpec&, const Shape&);
template Status add_own_activation(LayerBuildContext&, const v1::Conv2DSpec&, const Shape&);
template void clear_weighted_initial_values(v1::DenseSpec&);
template void clear_weighted_initial_values(v1::Conv2DSpec&);
template Status validate_weighted_fields(const WeightedFields<v1::DenseSpec>&, bool);
template Status validate_weighted_fields(const WeightedFields<v1::Conv2DSpec>&, bool);
template void initialize_weighted(const WeightedFields<v1::DenseSpec>&, const LayerBuildContext&,
                                  int64_t, int64_t, Parameter&, Parameter*);
template void initialize_weighted(const WeightedFields<v1::Conv2DSpec>&, const LayerBuildContext&,
                                  int64_t, int64_t, Parameter&, Parameter*);

}  // namespace gradstream::engine
