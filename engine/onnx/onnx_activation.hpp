// Activations as ONNX operators (opset kOnnxOpset): each catalog entry as its
// own operator where ONNX has one (Relu, LeakyRelu, Elu, Selu, Sigmoid, Tanh,
// Softplus, HardSwish, PRelu, Softmax, LogSoftmax), the others (swish, silu,
// mish, both GELUs) decomposed into standard operators, and formula
// activations node by node from their expression graph.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "engine/base/status.hpp"
#include "engine/core/shape.hpp"
#include "engine/onnx/model_tensors.hpp"
#include "engine/onnx/onnx_graph.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine::onnx_export {

// The catalog names this file exports (activation_catalog.cpp must not have
// one it lacks: onnx_activation_test checks).
std::span<const std::string_view> exported_catalog_names();

// `spec` applied to `x`, samples of shape `sample` (batch first in the graph);
// its learned values (PReLU slopes, formula parameters) are the next tensors.
// An output activation (softmax, log_softmax) with `fused_into_loss` adds
// nothing: the model's final softmax is the exporter's. The output's name.
Result<std::string> add_activation(OnnxGraph& graph, const v1::ActivationSpec& spec,
                                   const std::string& x, const Shape& sample, ModelTensors& tensors,
                                   bool fused_into_loss);

}  // namespace gradstream::engine::onnx_export
