// onnx_activation: every catalog activation has an ONNX form, and a network
// using each one (and formula activations with learned parameters,
// comparisons and where) passes ONNX's full check.
#include "engine/onnx/onnx_activation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "engine/layers/activation/activation_catalog.hpp"
#include "engine/onnx/onnx_export.hpp"
#include "tests/unit/onnx/onnx_test_model.hpp"

namespace gradstream::engine::onnx_export {
namespace {

std::string exported_ops(const std::string& model_json) {
  const v1::TrainingSpec spec = testing::onnx_test_spec(model_json);
  auto bytes = export_onnx(testing::onnx_test_model_file(spec), "job");
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  if (!bytes.ok()) return {};
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(*bytes));
  EXPECT_EQ(testing::onnx_full_check(model), "") << model_json;
  std::string ops;
  for (const onnx::NodeProto& node : model.graph().node()) ops += node.op_type() + " ";
  return ops;
}

TEST(OnnxActivationTest, EveryCatalogActivationIsExported) {
  const auto names = exported_catalog_names();
  for (const ActivationInfo& info : activation_catalog())
    EXPECT_NE(std::find(names.begin(), names.end(), info.name), names.end()) << info.name;
}

TEST(OnnxActivationTest, EachCatalogActivationPassesTheFullCheck) {
  for (const ActivationInfo& info : activation_catalog()) {
    if (info.family == ActivationFamily::kOutput) continue;  // below
    const std::string json = R"({"inputShape": [4], "layers": [{"dense": {"units": 6}},
        {"activation": {"name": ")" +
                             std::string(info.name) + R"("}}, {"dense": {"units": 3}}]})";
    SCOPED_TRACE(info.name);
    EXPECT_NE(exported_ops(json), "");
  }
}

TEST(OnnxActivationTest, OperatorsAreOnnxsOwnWhereItHasThem) {
  auto with = [](const char* activation) {
    return exported_ops(R"({"inputShape": [4], "layers": [{"dense": {"units": 6}},
        {"activation": )" +
                        std::string(activation) + R"(}, {"dense": {"units": 3}}]})");
  };
  EXPECT_EQ(with(R"({"name": "leaky_relu", "alpha": 0.2})"),
            "Gemm LeakyRelu Gemm Softmax Identity ");
  EXPECT_EQ(with(R"({"name": "selu"})"), "Gemm Selu Gemm Softmax Identity ");
  EXPECT_EQ(with(R"({"name": "hardswish"})"), "Gemm HardSwish Gemm Softmax Identity ");
  EXPECT_EQ(with(R"({"name": "prelu"})"), "Gemm PRelu Gemm Softmax Identity ");
  EXPECT_EQ(with(R"({"name": "mish"})"), "Gemm Softplus Tanh Mul Gemm Softmax Identity ");
}

TEST(OnnxActivationTest, OutputActivationsWithoutCrossEntropyStay) {
  v1::TrainingSpec spec = testing::onnx_test_spec(R"({"inputShape": [4], "layers": [
      {"dense": {"units": 3, "activation": {"name": "log_softmax"}}}]})");
  spec.set_loss(v1::MSE);
  auto bytes = export_onnx(testing::onnx_test_model_file(spec), "job");
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(*bytes));
  EXPECT_EQ(testing::onnx_full_check(model), "");
  ASSERT_EQ(model.graph().node_size(), 3);
  EXPECT_EQ(model.graph().node(1).op_type(), "LogSoftmax");
}

TEST(OnnxActivationTest, FormulasAreDecomposedIntoStandardOperators) {
  const std::string ops = exported_ops(R"({"inputShape": [4], "layers": [{"dense": {"units": 6}},
      {"activation": {"expression": "where(x > 0, x * sigmoid(b * x), k * (exp(x) - 1)) + min(abs(x), 0.5) ^ 2",
                      "constants": {"k": 0.3}, "parameters": {"b": 1.5}}},
      {"dense": {"units": 3}}]})");
  for (const char* op : {"Greater", "Cast", "Where", "Sigmoid", "Exp", "Min", "Abs"})
    EXPECT_NE(ops.find(std::string(op) + " "), std::string::npos) << op << " in " << ops;
}

}  // namespace
}  // namespace gradstream::engine::onnx_export
