// Model files for the ONNX exporter's tests: a spec's model with distinct,
// deterministic values in every tensor, serialized with a given preprocessing;
// and ONNX's own full check of an exported model (onnx.checker's full_check
// from Python runs in tests/e2e/onnx_export_test.sh).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/model/model_file.hpp"
#include "engine/onnx/onnx_check.hpp"
#include "engine/spec/spec_defaults.hpp"
#include "onnx/onnx_pb.h"

namespace gradstream::engine::testing {

inline v1::TrainingSpec onnx_test_spec(const std::string& model_json) {
  auto spec = parse_spec_json(
      R"({"model": )" + model_json +
          R"(, "data": {"builtin": "fashion-mnist"}, "epochs": 1, "batchSize": 8, "seed": 3})",
      "onnx test spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return with_defaults(*spec);
}

// The model file of `spec`, every tensor filled with small distinct values
// (variances positive, so batch norm's running_var is valid).
inline std::string onnx_test_model_file(const v1::TrainingSpec& spec,
                                        const InputPreprocessing& preprocessing = {}) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  auto model = Model::build(spec, eng);
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return {};
  int k = 0;
  for (Parameter* p : (*model)->tensors()) {
    std::vector<float> values(static_cast<size_t>(p->size()));
    for (float& v : values) v = 0.5F + 0.25F * static_cast<float>(std::sin(++k * 0.7));
    p->write_value(values.data());
  }
  auto bytes = serialize_model(spec, **model, preprocessing);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : std::string();
}

// ONNX's full check (check_onnx_model): empty when it passes, else the message.
inline std::string onnx_full_check(const onnx::ModelProto& model) {
  return check_onnx_model(model).message();
}

}  // namespace gradstream::engine::testing
