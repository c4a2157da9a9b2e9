// Hidden-activation replacement for `gradstream compare`.
#include "client/spec_variants.hpp"

namespace gradstream::client {

namespace {

// Activations that only make sense on the output; a comparison keeps them.
bool is_output_activation(const std::string& name) {
  return name == "softmax" || name == "log_softmax";
}

// Replaces `slot` unless it is an output activation; true if it did.
bool replace(const std::string& activation, gradstream::v1::ActivationSpec* slot) {
  if (is_output_activation(slot->name())) return false;
  slot->Clear();
  slot->set_name(activation);
  return true;
}

}  // namespace

size_t replace_hidden_activations(const std::string& activation,
                                  gradstream::v1::TrainingSpec* spec) {
  auto* layers = spec->mutable_model()->mutable_layers();
  // Everything from the last Dense layer on is the output. Without any Dense
  // layer, every standalone activation counts as hidden.
  int output_start = layers->size();
  for (int i = layers->size() - 1; i >= 0; --i) {
    if (layers->Get(i).has_dense()) {
      output_start = i;
      break;
    }
  }
  size_t replaced = 0;
  for (int i = 0; i < output_start; ++i) {
    auto* layer = layers->Mutable(i);
    if (layer->has_dense() && layer->dense().has_activation() &&
        !layer->dense().activation().name().empty()) {
      replaced += replace(activation, layer->mutable_dense()->mutable_activation()) ? 1 : 0;
    } else if (layer->has_conv2d() && layer->conv2d().has_activation() &&
               !layer->conv2d().activation().name().empty()) {
      replaced += replace(activation, layer->mutable_conv2d()->mutable_activation()) ? 1 : 0;
    } else if (layer->has_activation()) {
      replaced += replace(activation, layer->mutable_activation()) ? 1 : 0;
    }
  }
  return replaced;
}

}  // namespace gradstream::client
