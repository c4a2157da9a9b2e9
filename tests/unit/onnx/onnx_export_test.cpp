// export_onnx: a small network's graph passes ONNX's full check, starts with
// the model file's preprocessing, ends in the probabilities Predict gives, and
// carries the spec, job id and version as metadata.
#include "engine/onnx/onnx_export.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "tests/unit/onnx/onnx_test_model.hpp"

namespace gradstream::engine {
namespace {

using testing::onnx_full_check;
using testing::onnx_test_model_file;
using testing::onnx_test_spec;

const char* kSmallMlp = R"({"inputShape": [4], "layers": [
    {"dense": {"units": 5, "activation": {"name": "relu"}}},
    {"dropout": {"rate": 0.5}},
    {"dense": {"units": 3}}, {"activation": {"name": "softmax"}}]})";

std::vector<std::string> op_types(const onnx::ModelProto& model) {
  std::vector<std::string> out;
  for (const onnx::NodeProto& node : model.graph().node()) out.push_back(node.op_type());
  return out;
}

onnx::ModelProto parsed(Result<std::string> bytes) {
  onnx::ModelProto model;
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  if (bytes.ok()) EXPECT_TRUE(model.ParseFromString(*bytes));
  return model;
}

TEST(OnnxExportTest, SmallNetworkPassesTheFullCheck) {
  const v1::TrainingSpec spec = onnx_test_spec(kSmallMlp);
  const onnx::ModelProto model =
      parsed(export_onnx(onnx_test_model_file(spec, InputPreprocessing::scale()), "job-1"));
  EXPECT_EQ(onnx_full_check(model), "");
  EXPECT_EQ(model.ir_version(), 8);
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).domain(), "");
  EXPECT_EQ(model.opset_import(0).version(), 17);
  // SCALE, two Gemms with the relu between, dropout gone, the spec's softmax
  // folded into the loss and Predict's softmax at the end, named.
  EXPECT_EQ(op_types(model),
            (std::vector<std::string>{"Div", "Gemm", "Relu", "Gemm", "Softmax", "Identity"}));
  ASSERT_EQ(model.graph().input_size(), 1);
  EXPECT_EQ(model.graph().input(0).name(), "input");
  const auto& in_dims = model.graph().input(0).type().tensor_type().shape().dim();
  ASSERT_EQ(in_dims.size(), 2);
  EXPECT_EQ(in_dims[0].dim_param(), "batch");
  EXPECT_EQ(in_dims[1].dim_value(), 4);
  ASSERT_EQ(model.graph().output_size(), 1);
  EXPECT_EQ(model.graph().output(0).name(), "probabilities");
  EXPECT_EQ(model.graph().output(0).type().tensor_type().shape().dim(1).dim_value(), 3);
}

TEST(OnnxExportTest, MetadataCarriesSpecJobIdAndVersion) {
  const v1::TrainingSpec spec = onnx_test_spec(kSmallMlp);
  const onnx::ModelProto model = parsed(export_onnx(onnx_test_model_file(spec), "job-42"));
  std::map<std::string, std::string> metadata;
  for (const auto& entry : model.metadata_props()) metadata[entry.key()] = entry.value();
  EXPECT_EQ(metadata["job_id"], "job-42");
  EXPECT_EQ(metadata["gradstream_version"], gradstream_version());
  EXPECT_FALSE(gradstream_version().empty());
  auto spec_back = parse_spec_json(metadata["spec"], "metadata");
  ASSERT_TRUE(spec_back.ok()) << spec_back.status().message();
  EXPECT_EQ(spec_back->SerializeAsString(), spec.SerializeAsString());
  EXPECT_EQ(model.producer_name(), "gradstream");
}

TEST(OnnxExportTest, StandardizeBecomesSubThenMulWithTheStoredConstants) {
  const v1::TrainingSpec spec = onnx_test_spec(kSmallMlp);
  InputPreprocessing standardize;
  standardize.kind = v1::STANDARDIZE;
  standardize.mean = {1.0, 2.0, -3.0, 0.5};
  standardize.inv_std = {0.5, 0.25, 2.0, 1e6};
  const onnx::ModelProto model =
      parsed(export_onnx(onnx_test_model_file(spec, standardize), "job"));
  EXPECT_EQ(onnx_full_check(model), "");
  const std::vector<std::string> ops = op_types(model);
  ASSERT_GE(ops.size(), 2u);
  EXPECT_EQ(ops[0], "Sub");
  EXPECT_EQ(ops[1], "Mul");
  const onnx::NodeProto& sub = model.graph().node(0);
  EXPECT_EQ(sub.input(0), "input");
  for (const onnx::TensorProto& t : model.graph().initializer()) {
    if (t.name() != sub.input(1)) continue;
    ASSERT_EQ(t.raw_data().size(), 4 * sizeof(float));
    std::vector<float> mean(4);
    std::memcpy(mean.data(), t.raw_data().data(), t.raw_data().size());
    EXPECT_EQ(mean, (std::vector<float>{1.0F, 2.0F, -3.0F, 0.5F}));
  }
}

TEST(OnnxExportTest, NonClassifierOutputsAreTheNetworksOwn) {
  v1::TrainingSpec spec = onnx_test_spec(R"({"inputShape": [4], "layers": [
      {"dense": {"units": 2, "activation": {"name": "tanh"}}}]})");
  spec.set_loss(v1::MSE);
  const onnx::ModelProto model = parsed(export_onnx(onnx_test_model_file(spec), "job"));
  EXPECT_EQ(onnx_full_check(model), "");
  EXPECT_EQ(op_types(model), (std::vector<std::string>{"Gemm", "Tanh", "Identity"}));
  EXPECT_EQ(model.graph().output(0).name(), "outputs");
}

TEST(OnnxExportTest, DamagedModelFilesAreDataLoss) {
  auto garbage = export_onnx("not a model file", "job");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kDataLoss);

  const v1::TrainingSpec spec = onnx_test_spec(kSmallMlp);
  v1::ModelFile file;
  ASSERT_TRUE(file.ParseFromString(onnx_test_model_file(spec)));
  file.mutable_tensors(1)->add_values(1.0F);  // dense_0/bias: 6 values for 5 units
  auto wrong = export_onnx(file.SerializeAsString(), "job");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(wrong.status().message().find("dense_0/bias"), std::string::npos)
      << wrong.status().message();
}

}  // namespace
}  // namespace gradstream::engine
