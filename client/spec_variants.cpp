// Hidden-activation replacement for `gradstream compare`.
#include "client/spec_variants.hpp"

#include <algorithm>
#include <cctype>

namespace gradstream::client {

namespace {

// Activations that only make sense on the output; a comparison keeps them.
bool is_output_activation(const std::string& name) {
  return name == "softmax" || name == "log_softmax";
}

bool is_catalog_name(const std::string& text) {
  if (text.empty() || text == "x") return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || c == '_' ||
           std::isdigit(static_cast<unsigned char>(c));
  });
}

// Replaces `slot` unless it is an output activation; true if it did.
bool replace(const std::string& activation, gradstream::v1::ActivationSpec* slot) {
  if (is_output_activation(slot->name())) return false;
  slot->Clear();
  if (is_catalog_name(activation)) {
    slot->set_name(activation);
  } else {
    slot->set_expression(activation);
  }
  return true;
}

bool is_set(const gradstream::v1::ActivationSpec& slot) {
  return !slot.name().empty() || !slot.expression().empty();
}

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
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
        is_set(layer->dense().activation())) {
      replaced += replace(activation, layer->mutable_dense()->mutable_activation()) ? 1 : 0;
    } else if (layer->has_conv2d() && layer->conv2d().has_activation() &&
               is_set(layer->conv2d().activation())) {
      replaced += replace(activation, layer->mutable_conv2d()->mutable_activation()) ? 1 : 0;
    } else if (layer->has_activation()) {
      replaced += replace(activation, layer->mutable_activation()) ? 1 : 0;
    }
  }
  return replaced;
}

std::vector<std::string> split_activation_list(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth <= 0) {
      items.push_back(trimmed(item));
      item.clear();
      continue;
    }
    item += c;
  }
  items.push_back(trimmed(item));
  return items;
}

}  // namespace gradstream::client
