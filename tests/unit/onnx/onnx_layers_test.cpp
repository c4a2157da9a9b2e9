// onnx_layers: every layer kind of the registry has an ONNX form, and a
// network using each of them passes ONNX's full check with the operators the
// kinds promise.
#include "engine/onnx/onnx_layers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/layers/layer_registry.hpp"
#include "engine/onnx/onnx_export.hpp"
#include "tests/unit/onnx/onnx_test_model.hpp"

namespace gradstream::engine::onnx_export {
namespace {

TEST(OnnxLayersTest, EveryRegisteredLayerKindIsExported) {
  for (const LayerKind* kind : layer_kinds())
    EXPECT_TRUE(exports_layer_kind(kind->kind)) << kind->name;
}

TEST(OnnxLayersTest, ImageNetworkWithEveryLayerKindPassesTheFullCheck) {
  const v1::TrainingSpec spec = testing::onnx_test_spec(R"({"inputShape": [64], "layers": [
      {"reshape": {"shape": [8, 8]}},
      {"conv2d": {"filters": 4, "kernel": [3], "paddingMode": "SAME",
                  "activation": {"name": "prelu"}}},
      {"batchNorm": {}},
      {"conv2d": {"filters": 4, "kernel": [3], "groups": 2, "stride": [2], "dilation": [1],
                  "padding": [1], "noBias": true}},
      {"maxPool2d": {"kernel": [2]}},
      {"avgPool2d": {"kernel": [2], "stride": [1], "paddingMode": "SAME",
                     "countIncludePad": true}},
      {"batchNorm": {"noScale": true, "noShift": true, "epsilon": 0.001}},
      {"globalAvgPool": {}},
      {"dropout": {"rate": 0.2}},
      {"reshape": {"shape": [2, 2]}},
      {"flatten": {}},
      {"dense": {"units": 3}}]})");
  auto bytes = export_onnx(testing::onnx_test_model_file(spec), "job");
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(*bytes));
  EXPECT_EQ(testing::onnx_full_check(model), "");
  std::vector<std::string> ops;
  for (const onnx::NodeProto& node : model.graph().node()) ops.push_back(node.op_type());
  // The second Reshape is conv2d reading [8, 8] samples as [1, 8, 8] images.
  EXPECT_EQ(ops, (std::vector<std::string>{"Reshape", "Reshape", "Conv", "PRelu",
                                           "BatchNormalization", "Conv", "MaxPool", "AveragePool",
                                           "BatchNormalization", "GlobalAveragePool", "Flatten",
                                           "Reshape", "Flatten", "Gemm", "Softmax", "Identity"}));
  // The grouped, strided convolution keeps its geometry.
  for (const onnx::NodeProto& node : model.graph().node()) {
    if (node.op_type() != "Conv" || node.input_size() != 2) continue;
    for (const onnx::AttributeProto& a : node.attribute()) {
      if (a.name() == "group") EXPECT_EQ(a.i(), 2);
      if (a.name() == "strides")
        EXPECT_EQ(std::vector<int64_t>(a.ints().begin(), a.ints().end()),
                  (std::vector<int64_t>{2, 2}));
      if (a.name() == "pads")
        EXPECT_EQ(std::vector<int64_t>(a.ints().begin(), a.ints().end()),
                  (std::vector<int64_t>{1, 1, 1, 1}));
    }
  }
}

}  // namespace
}  // namespace gradstream::engine::onnx_export
