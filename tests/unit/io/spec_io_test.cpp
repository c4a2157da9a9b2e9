// spec_io: JSON and text-proto specs parse to the same message, and every kind
// of bad input is an error naming where it came from.
#include "engine/io/spec_io.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace gradstream::engine {
namespace {

using google::protobuf::util::MessageDifferencer;

const std::string kExamplePath =
    std::string(GRADSTREAM_SOURCE_DIR) + "/examples/fashion-mnist-mlp.json";

// examples/fashion-mnist-mlp.json, written as text proto.
constexpr const char* kExampleText = R"pb(
  name: "fashion-mnist-mlp"
  model {
    input_shape: 784
    layers {
      dense {
        units: 256
        activation { name: "relu" }
      }
    }
    layers {
      dense {
        units: 128
        activation { name: "relu" }
      }
    }
    layers { dense { units: 10 } }
  }
  loss: SOFTMAX_CROSS_ENTROPY
  optimizer {
    adam {}
    learning_rate: 0.001
    schedule { cosine {} }
  }
  data { builtin: "fashion-mnist" preprocess: SCALE }
  epochs: 15
  batch_size: 128
  seed: 42
  threads: 2
  reporting { step_every: 100 }
)pb";

v1::TrainingSpec example() {
  auto spec = read_spec_file(kExamplePath);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? spec.value() : v1::TrainingSpec{};
}

TEST(SpecIoTest, ParsesExampleJsonFile) {
  auto parsed = read_spec_file(kExamplePath);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const v1::TrainingSpec& spec = parsed.value();

  EXPECT_EQ(spec.name(), "fashion-mnist-mlp");
  ASSERT_EQ(spec.model().input_shape_size(), 1);
  EXPECT_EQ(spec.model().input_shape(0), 784u);
  ASSERT_EQ(spec.model().layers_size(), 3);
  EXPECT_EQ(spec.model().layers(0).dense().units(), 256u);
  EXPECT_EQ(spec.model().layers(1).dense().units(), 128u);
  EXPECT_EQ(spec.model().layers(2).dense().units(), 10u);
  EXPECT_EQ(spec.model().layers(0).dense().activation().name(), "relu");
  EXPECT_EQ(spec.model().layers(1).dense().activation().name(), "relu");
  EXPECT_FALSE(spec.model().layers(2).dense().has_activation());
  EXPECT_EQ(spec.loss(), v1::SOFTMAX_CROSS_ENTROPY);
  EXPECT_TRUE(spec.optimizer().has_adam());
  EXPECT_FLOAT_EQ(spec.optimizer().learning_rate(), 0.001f);
  EXPECT_EQ(spec.data().builtin(), "fashion-mnist");
  EXPECT_EQ(spec.data().preprocess(), v1::SCALE);
  EXPECT_EQ(spec.epochs(), 15u);
  EXPECT_EQ(spec.batch_size(), 128u);
  EXPECT_EQ(spec.seed(), 42u);
  EXPECT_EQ(spec.threads(), 2u);
  EXPECT_EQ(spec.reporting().step_every(), 100u);
}

TEST(SpecIoTest, TextProtoParsesEqualToJson) {
  auto text = parse_spec_text(kExampleText, "spec");
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_TRUE(MessageDifferencer::Equals(text.value(), example()));
}

TEST(SpecIoTest, JsonAcceptsProtoFieldNames) {
  auto spec = parse_spec_json(R"({"batch_size": 64, "model": {"input_shape": [28, 28]}})", "spec");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->batch_size(), 64u);
  EXPECT_EQ(spec->model().input_shape_size(), 2);
}

TEST(SpecIoTest, MalformedJsonNamesOrigin) {
  auto spec = parse_spec_json(R"({"epochs": 3,)", "examples/x.json");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message().rfind("examples/x.json: invalid JSON spec: ", 0), 0u)
      << spec.status().message();
}

TEST(SpecIoTest, JsonSyntaxErrorIsOneLineWithPosition) {
  const char* text = "{\n  \"name\": \"x\",\n  \"batchSize\": 12 13\n}";
  auto spec = parse_spec_json(text, "a.json");
  ASSERT_FALSE(spec.ok());
  const std::string& message = spec.status().message();
  EXPECT_EQ(message.rfind("a.json: invalid JSON spec: ", 0), 0u) << message;
  EXPECT_NE(message.find("(line 3, column 19)"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(SpecIoTest, UnknownJsonFieldRejected) {
  auto spec = parse_spec_json(R"({"epochz": 3})", "spec");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find("epochz"), std::string::npos) << spec.status().message();
}

TEST(SpecIoTest, UnknownJsonEnumValueRejected) {
  auto spec = parse_spec_json(R"({"loss": "HINGE"})", "spec");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message().rfind("spec: invalid JSON spec: ", 0), 0u)
      << spec.status().message();
}

TEST(SpecIoTest, WrongJsonTypeRejected) {
  auto spec = parse_spec_json(R"({"epochs": "many"})", "spec");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
}

TEST(SpecIoTest, TextErrorNamesOriginLineAndColumn) {
  auto spec = parse_spec_text("epochs: 3\nbogus: 1\n", "my.txtpb");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message().rfind("my.txtpb:2:", 0), 0u) << spec.status().message();
  EXPECT_NE(spec.status().message().find("bogus"), std::string::npos) << spec.status().message();
}

TEST(SpecIoTest, UnknownTextEnumValueRejected) {
  auto spec = parse_spec_text("loss: HINGE", "spec");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message().rfind("spec:1:", 0), 0u) << spec.status().message();
}

TEST(SpecIoTest, MissingFileIsNotFound) {
  const test_support::TempDir dir("spec_io");
  const std::string path = dir.file("does_not_exist.json");
  auto spec = read_spec_file(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kNotFound);
  EXPECT_NE(spec.status().message().find(path), std::string::npos) << spec.status().message();
}

TEST(SpecIoTest, FileErrorsNameThePath) {
  const test_support::TempDir dir("spec_io");
  const std::string path = dir.write("broken.json", "{ not json");
  auto spec = read_spec_file(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message().rfind(path + ": invalid JSON spec: ", 0), 0u)
      << spec.status().message();
}

TEST(SpecIoTest, TextExtensionsReadAsTextProto) {
  const test_support::TempDir dir("spec_io");
  for (const char* ext : {".txtpb", ".textproto", ".pbtxt", ".txt", ".PBTXT"}) {
    auto spec = read_spec_file(dir.write(std::string("ext") + ext, kExampleText));
    ASSERT_TRUE(spec.ok()) << ext << ": " << spec.status().message();
    EXPECT_TRUE(MessageDifferencer::Equals(spec.value(), example())) << ext;
  }
}

TEST(SpecIoTest, OtherExtensionsSniffFirstCharacter) {
  std::ifstream in(kExamplePath);
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  const test_support::TempDir dir("spec_io");
  auto from_json = read_spec_file(dir.write("sniff_json.spec", "\n  " + json));
  ASSERT_TRUE(from_json.ok()) << from_json.status().message();
  EXPECT_TRUE(MessageDifferencer::Equals(from_json.value(), example()));

  auto from_text = read_spec_file(dir.write("sniff_text", kExampleText));
  ASSERT_TRUE(from_text.ok()) << from_text.status().message();
  EXPECT_TRUE(MessageDifferencer::Equals(from_text.value(), example()));
}

TEST(SpecIoTest, SpecToJsonRoundTrips) {
  v1::TrainingSpec spec = example();
  spec.mutable_model()->mutable_layers(0)->mutable_dense()->mutable_activation()->set_alpha(0.5f);
  const std::string json = spec_to_json(spec);
  EXPECT_NE(json.find("\"batchSize\": 128"), std::string::npos) << json;

  auto back = parse_spec_json(json, "export");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(MessageDifferencer::Equals(back.value(), spec));
}

}  // namespace
}  // namespace gradstream::engine
