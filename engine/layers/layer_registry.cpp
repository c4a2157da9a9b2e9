// The registry's table: adding a layer kind adds its line here.
#include "engine/layers/layer_registry.hpp"

#include <array>

#include "engine/layers/activation/activation_kind.hpp"
#include "engine/layers/batch_norm/batch_norm_kind.hpp"
#include "engine/layers/conv/conv_kind.hpp"
#include "engine/layers/dense/dense_kind.hpp"
#include "engine/layers/dropout/dropout_kind.hpp"
#include "engine/layers/pool/pool_kind.hpp"
#include "engine/layers/view/flatten_kind.hpp"
#include "engine/layers/view/reshape_kind.hpp"

namespace gradstream::engine {

namespace {

// One line per kind, in the order error messages list them.
// clang-format off
const std::array kKinds = {
    &dense_layer_kind(),
    &activation_layer_kind(),
    &dropout_layer_kind(),
    &flatten_layer_kind(),
    &reshape_layer_kind(),
    &conv2d_layer_kind(),
    &max_pool2d_layer_kind(),
    &avg_pool2d_layer_kind(),
    &global_avg_pool_layer_kind(),
    &batch_norm_layer_kind(),
};
// clang-format on

}  // namespace

std::span<const LayerKind* const> layer_kinds() { return kKinds; }

const LayerKind* find_layer_kind(v1::LayerSpec::KindCase kind) {
  for (const LayerKind* entry : kKinds) {
    if (entry->kind == kind) return entry;
  }
  return nullptr;
}

std::string layer_kind_names() {
  std::string out;
  for (const LayerKind* entry : kKinds) out += (out.empty() ? "" : ", ") + std::string(entry->name);
  return out;
}

std::string layer_name(const v1::LayerSpec& spec, int index) {
  if (!spec.name().empty()) return spec.name();
  const LayerKind* kind = find_layer_kind(spec.kind_case());
  if (kind == nullptr) return "layer_" + std::to_string(index);
  const std::string stem =
      kind->default_name_stem != nullptr ? kind->default_name_stem(spec) : std::string(kind->name);
  return stem + "_" + std::to_string(index);
}

}  // namespace gradstream::engine
