// Layers as ONNX operators, one entry per layer kind of the registry
// (layers/layer_registry.cpp; onnx_layers_test checks none is missing):
// dense as Gemm, conv2d as Conv, max/avg pooling as MaxPool/AveragePool,
// global average pooling as GlobalAveragePool + Flatten, batch_norm as
// BatchNormalization with the running statistics (inference form), flatten
// and reshape as Flatten/Reshape, dropout as nothing, activations as
// onnx_activation says.
#pragma once

#include <string>

#include "engine/base/status.hpp"
#include "engine/core/shape.hpp"
#include "engine/onnx/model_tensors.hpp"
#include "engine/onnx/onnx_graph.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine::onnx_export {

// One entry of model.layers being exported, its shapes as validation
// inferred them (one sample, without the batch dimension).
struct LayerExport {
  OnnxGraph& graph;
  const v1::LayerSpec& spec;
  const std::string& path;  // "model.layers[2]", for errors
  const Shape& input;
  const Shape& output;
  ModelTensors& tensors;  // its tensors are the next ones
  bool fused_into_loss;   // an output activation is left to the exporter
};

// The layer applied to the value `x` ([N, input...]); the output's name.
Result<std::string> add_layer(LayerExport& layer, const std::string& x);

// Whether add_layer knows the kind.
bool exports_layer_kind(v1::LayerSpec::KindCase kind);

}  // namespace gradstream::engine::onnx_export
