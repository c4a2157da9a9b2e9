// LayerKind: everything the engine knows about one kind of entry in
// model.layers, in one place. The registry (layer_registry.hpp) lists one per
// kind; the spec validator, the model builder and model files go through it,
// so adding a kind is its folder under layers/ plus one registration line.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/core/layer.hpp"
#include "engine/core/parameter.hpp"
#include "engine/core/shape.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// One entry of model.layers as validation sees it.
struct LayerSpecContext {
  const v1::LayerSpec& spec;
  const std::string& path;  // "model.layers[2]": error messages start with it
  const Shape& input;       // one sample, without the batch dimension
  bool last;                // the entry ends the network
};

// One entry of model.layers as the model builder sees it, after validation.
// A kind's build adds its nodes (and their parameters) through it.
class LayerBuildContext {
 public:
  LayerBuildContext(const v1::LayerSpec& spec, std::string name, Shape input, Shape output,
                    const v1::LayerSpec* next, v1::Initializer model_init, uint64_t seed,
                    const dnnl::engine& eng, std::deque<Parameter>& parameters,
                    std::vector<std::unique_ptr<LayerNode>>& nodes)
      : spec(spec),
        name(std::move(name)),
        input(std::move(input)),
        output(std::move(output)),
        next(next),
        model_init(model_init),
        seed(seed),
        eng(eng),
        parameters_(parameters),
        nodes_(nodes) {}

  const v1::LayerSpec& spec;
  const std::string name;
  const Shape input;                // one sample in ...
  const Shape output;               // ... and out, as validate inferred them
  const v1::LayerSpec* const next;  // the following entry, null for the last
  const v1::Initializer model_init;
  const uint64_t seed;  // this layer's initializer seed
  const dnnl::engine& eng;

  // A zeroed parameter in the plain layout, owned by the model.
  Parameter& add_parameter(const std::string& layer, std::string name, Shape shape, bool decay) {
    return parameters_.emplace_back(eng, layer, std::move(name), std::move(shape), decay);
  }
  void add_node(std::unique_ptr<LayerNode> node) { nodes_.push_back(std::move(node)); }

 private:
  std::deque<Parameter>& parameters_;  // deque: nodes keep references as it grows
  std::vector<std::unique_ptr<LayerNode>>& nodes_;
};

struct LayerKind {
  v1::LayerSpec::KindCase kind;
  std::string_view name;  // the spec's field name, e.g. "dense"
  // Checks the entry's fields; returns the shape of its output for ctx.input.
  // Errors are invalid_argument "<ctx.path>.<field>: <what is wrong>".
  Result<Shape> (*validate)(const LayerSpecContext& ctx);
  // Trainable values it holds for `input` (exact for valid entries).
  int64_t (*count_parameters)(const v1::LayerSpec& spec, const Shape& input);
  // Adds its nodes and their parameters, initialised.
  Status (*build)(LayerBuildContext& ctx);
  // Stem of the default layer name ("dense" gives "dense_3"); null uses `name`.
  std::string (*default_name_stem)(const v1::LayerSpec& spec) = nullptr;
  // Drops the initial values a model file does not keep (its tensors hold the
  // trained ones); null when the kind has none.
  void (*clear_initial_values)(v1::LayerSpec& spec) = nullptr;
  // The field that sets the size of its output ("dense.units"), which errors
  // about the network's output name; empty when the output follows the input.
  std::string_view size_field = {};
};

// count_parameters of the kinds that have none.
inline int64_t no_parameters(const v1::LayerSpec& /*spec*/, const Shape& /*input*/) { return 0; }

}  // namespace gradstream::engine
