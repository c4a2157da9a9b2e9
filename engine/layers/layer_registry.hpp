// The layer registry: one LayerKind per kind of entry in model.layers.
#pragma once

#include <span>
#include <string>

#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

std::span<const LayerKind* const> layer_kinds();
// nullptr for KIND_NOT_SET and for kinds this build does not know.
const LayerKind* find_layer_kind(v1::LayerSpec::KindCase kind);
// "dense, activation, ..." for error messages.
std::string layer_kind_names();
// The spec's name, else "<stem>_<index>".
std::string layer_name(const v1::LayerSpec& spec, int index);

}  // namespace gradstream::engine
