// validate_spec: the example spec and valid variations pass; each bad spec,
// one mutation of the good one, fails with invalid_argument naming the field.
// count_parameters against hand-computed counts.
#include "engine/spec/spec_validator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"

namespace gradstream::engine {
namespace {

using Mutation = std::function<void(v1::TrainingSpec&)>;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

v1::TrainingSpec example() {
  auto spec =
      read_spec_file(std::string(GRADSTREAM_SOURCE_DIR) + "/examples/fashion-mnist-mlp.json");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? spec.value() : v1::TrainingSpec{};
}

v1::DenseSpec& dense(v1::TrainingSpec& spec, int index) {
  return *spec.mutable_model()->mutable_layers(index)->mutable_dense();
}

v1::ActivationSpec& dense_activation(v1::TrainingSpec& spec, int index) {
  return *dense(spec, index).mutable_activation();
}

// Inserts a new layer at `index` (shifting the rest) and returns it.
v1::LayerSpec& insert_layer(v1::TrainingSpec& spec, int index) {
  auto* layers = spec.mutable_model()->mutable_layers();
  layers->Add();
  for (int i = layers->size() - 1; i > index; --i) layers->SwapElements(i, i - 1);
  return *layers->Mutable(index);
}

// ----- valid specs ---------------------------------------------------------

TEST(SpecValidatorTest, ExampleSpecIsValid) {
  const Status status = validate_spec(example());
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(SpecValidatorTest, AcceptsUnsetDefaults) {
  // Only what has no default: loss, optimizer, threads, reporting all unset.
  v1::TrainingSpec spec;
  spec.mutable_model()->add_input_shape(4);
  spec.mutable_model()->add_layers()->mutable_dense()->set_units(3);
  spec.mutable_data()->set_builtin("fashion-mnist");
  spec.set_epochs(1);
  spec.set_batch_size(1);
  const Status status = validate_spec(spec);
  EXPECT_TRUE(status.ok()) << status.message();
}

struct ValidCase {
  const char* name;
  Mutation mutate;
};

class SpecValidatorAccepts : public ::testing::TestWithParam<ValidCase> {};

TEST_P(SpecValidatorAccepts, Variation) {
  v1::TrainingSpec spec = example();
  GetParam().mutate(spec);
  const Status status = validate_spec(spec);
  EXPECT_TRUE(status.ok()) << status.message();
}

const ValidCase kValidCases[] = {
    {"softmax_as_last_dense_activation",
     [](auto& s) { dense_activation(s, 2).set_name("softmax"); }},
    {"log_softmax_as_last_layer",
     [](auto& s) {
       s.mutable_model()->add_layers()->mutable_activation()->set_name("log_softmax");
     }},
    {"leaky_relu_alpha_in_range",
     [](auto& s) {
       dense_activation(s, 0).set_name("leaky_relu");
       dense_activation(s, 0).set_alpha(0.2f);
     }},
    {"prelu_and_flatten_and_dropout",
     [](auto& s) {
       s.mutable_model()->set_input_shape(0, 28);
       s.mutable_model()->add_input_shape(28);
       insert_layer(s, 0).mutable_flatten();
       dense_activation(s, 1).set_name("prelu");
       insert_layer(s, 2).mutable_dropout()->set_rate(0.5f);
     }},
    {"bce_with_one_unit",
     [](auto& s) {
       s.set_loss(v1::BCE_WITH_LOGITS);
       dense(s, 2).set_units(1);
     }},
    {"mse_with_one_unit",
     [](auto& s) {
       s.set_loss(v1::MSE);
       dense(s, 2).set_units(1);
     }},
    {"initial_values_of_the_right_size",
     [](auto& s) {
       dense(s, 2).mutable_initial_weights()->Resize(128 * 10, 0.0f);
       dense(s, 2).mutable_initial_bias()->Resize(10, 0.0f);
     }},
    {"csv_files_without_labels",
     [](auto& s) { s.mutable_data()->mutable_files()->set_train_features("train.CSV"); }},
    {"validation_fraction_half", [](auto& s) { s.mutable_data()->set_validation_fraction(0.5f); }},
    {"distributed_workers_max_with_a_row_each",
     [](auto& s) {
       s.mutable_distributed()->set_workers(kMaxWorkers);
       s.set_batch_size(kMaxWorkers);
     }},
    {"distributed_sync_batch_norm_with_one_worker",
     [](auto& s) {
       s.mutable_distributed()->set_workers(1);
       s.mutable_distributed()->set_sync_batch_norm(true);
     }},
    {"distributed_sync_batch_norm_with_two_workers",
     [](auto& s) {
       s.mutable_distributed()->set_workers(2);
       s.mutable_distributed()->set_sync_batch_norm(true);
     }},
    {"threads_zero_and_max",
     [](auto& s) {
       s.set_threads(0);
       s.set_batch_size(kMaxBatchSize);
       s.set_epochs(kMaxEpochs);
     }},
};

INSTANTIATE_TEST_SUITE_P(SpecValidator, SpecValidatorAccepts, ::testing::ValuesIn(kValidCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ----- invalid specs -------------------------------------------------------

struct BadCase {
  const char* name;
  Mutation mutate;
  const char* prefix;  // the message starts with it: "<field path>: "
};

class SpecValidatorRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(SpecValidatorRejects, NamesTheField) {
  v1::TrainingSpec spec = example();
  GetParam().mutate(spec);
  const Status status = validate_spec(spec);
  RecordProperty("message", status.message());  // readable in --gtest_output=xml
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind(GetParam().prefix, 0), 0u)
      << "expected prefix \"" << GetParam().prefix << "\", got: " << status.message();
}

const BadCase kBadCases[] = {
    // model.input_shape
    {"no_input_shape", [](auto& s) { s.mutable_model()->clear_input_shape(); },
     "model.input_shape: "},
    {"zero_input_dim", [](auto& s) { s.mutable_model()->set_input_shape(0, 0); },
     "model.input_shape[0]: 0 is out of range [1, 16777216]"},
    {"too_many_input_features",
     [](auto& s) {
       s.mutable_model()->set_input_shape(0, 4096);
       s.mutable_model()->add_input_shape(4097);
     },
     "model.input_shape: "},
    {"unknown_model_init",
     [](auto& s) { s.mutable_model()->set_init(static_cast<v1::Initializer>(99)); },
     "model.init: "},
    // model.layers
    {"no_layers", [](auto& s) { s.mutable_model()->clear_layers(); }, "model.layers: "},
    {"too_many_layers",
     [](auto& s) {
       for (int i = 0; i < kMaxLayers; ++i) {
         s.mutable_model()->add_layers()->mutable_activation()->set_name("identity");
       }
     },
     "model.layers: "},
    {"layer_kind_unset", [](auto& s) { insert_layer(s, 1); },
     "model.layers[1]: layer kind must be set (dense, activation, dropout, flatten, reshape, "
     "conv2d, max_pool2d, avg_pool2d, global_avg_pool, batch_norm)"},
    {"zero_units", [](auto& s) { dense(s, 0).set_units(0); },
     "model.layers[0].dense.units: 0 is out of range [1, 65536]"},
    {"too_many_units", [](auto& s) { dense(s, 1).set_units(kMaxUnits + 1); },
     "model.layers[1].dense.units: "},
    {"unknown_activation", [](auto& s) { dense_activation(s, 1).set_name("foo"); },
     "model.layers[1].dense.activation.name: unknown activation \"foo\""},
    {"empty_activation_name", [](auto& s) { dense_activation(s, 0).clear_name(); },
     "model.layers[0].dense.activation.name: "},
    {"unknown_activation_layer",
     [](auto& s) { insert_layer(s, 1).mutable_activation()->set_name("swishy"); },
     "model.layers[1].activation.name: "},
    {"leaky_relu_alpha_out_of_range",
     [](auto& s) {
       dense_activation(s, 0).set_name("leaky_relu");
       dense_activation(s, 0).set_alpha(3.5f);
     },
     "model.layers[0].dense.activation.alpha: 3.5 is out of range [0, 1]"},
    {"alpha_on_relu", [](auto& s) { dense_activation(s, 0).set_alpha(0.1f); },
     "model.layers[0].dense.activation.alpha: relu takes no alpha"},
    {"nan_swish_beta",
     [](auto& s) {
       dense_activation(s, 1).set_name("swish");
       dense_activation(s, 1).set_beta(kNaN);
     },
     "model.layers[1].dense.activation.beta: "},
    {"softmax_in_the_middle", [](auto& s) { dense_activation(s, 0).set_name("softmax"); },
     "model.layers[0].dense.activation.name: "},
    {"softmax_layer_in_the_middle",
     [](auto& s) { insert_layer(s, 2).mutable_activation()->set_name("softmax"); },
     "model.layers[2].activation.name: "},
    {"softmax_before_dropout",
     [](auto& s) {
       dense_activation(s, 2).set_name("log_softmax");
       s.mutable_model()->add_layers()->mutable_dropout()->set_rate(0.1f);
     },
     "model.layers[2].dense.activation.name: "},
    {"dense_init_unknown", [](auto& s) { dense(s, 1).set_init(static_cast<v1::Initializer>(-3)); },
     "model.layers[1].dense.init: "},
    {"initial_weights_size_mismatch",
     [](auto& s) { dense(s, 2).mutable_initial_weights()->Resize(10 * 256, 0.0f); },
     "model.layers[2].dense.initial_weights: has 2560 values, expected 1280"},
    {"initial_bias_size_mismatch",
     [](auto& s) { dense(s, 2).mutable_initial_bias()->Resize(9, 0.0f); },
     "model.layers[2].dense.initial_bias: "},
    {"initial_bias_with_no_bias",
     [](auto& s) {
       dense(s, 2).set_no_bias(true);
       dense(s, 2).mutable_initial_bias()->Resize(10, 0.0f);
     },
     "model.layers[2].dense.initial_bias: "},
    {"dropout_one", [](auto& s) { insert_layer(s, 1).mutable_dropout()->set_rate(1.0f); },
     "model.layers[1].dropout.rate: 1 is out of range [0, 1)"},
    {"dropout_nan", [](auto& s) { insert_layer(s, 2).mutable_dropout()->set_rate(kNaN); },
     "model.layers[2].dropout.rate: "},
    {"too_many_parameters", [](auto& s) { s.mutable_model()->set_input_shape(0, 1 << 24); },
     "model: "},
    // loss
    {"unknown_loss", [](auto& s) { s.set_loss(static_cast<v1::Loss>(42)); },
     "loss: unknown value 42"},
    {"cross_entropy_one_output", [](auto& s) { dense(s, 2).set_units(1); },
     "model.layers[2].dense.units: "},
    {"unspecified_loss_one_output",
     [](auto& s) {
       s.clear_loss();
       dense(s, 2).set_units(1);
     },
     "model.layers[2].dense.units: "},
    // optimizer: one case that shows validate_spec runs validate_optimizer; the
    // optimizer's own cases are in tests/unit/optim/optimizer_validator_test.cpp.
    {"adam_beta1_one", [](auto& s) { s.mutable_optimizer()->mutable_adam()->set_beta1(1.0f); },
     "optimizer.adam.beta1: 1 is out of range [0, 1)"},
    // data
    {"missing_data_source", [](auto& s) { s.mutable_data()->clear_source(); },
     "data: a source must be set (builtin, files or dataset_id)"},
    {"empty_builtin", [](auto& s) { s.mutable_data()->set_builtin(""); }, "data.builtin: "},
    {"empty_dataset_id", [](auto& s) { s.mutable_data()->set_dataset_id(""); },
     "data.dataset_id: "},
    {"files_without_features", [](auto& s) { s.mutable_data()->mutable_files(); },
     "data.files.train_features: "},
    {"idx_files_without_labels",
     [](auto& s) {
       s.mutable_data()->mutable_files()->set_train_features("train-images.idx3-ubyte");
     },
     "data.files.train_labels: "},
    {"npy_format_csv_name_without_labels",
     [](auto& s) {
       s.mutable_data()->mutable_files()->set_format(v1::NPY);
       s.mutable_data()->mutable_files()->set_train_features("x.csv");
     },
     "data.files.train_labels: "},
    {"test_features_without_labels",
     [](auto& s) {
       auto& files = *s.mutable_data()->mutable_files();
       files.set_train_features("x.npy");
       files.set_train_labels("y.npy");
       files.set_test_features("tx.npy");
     },
     "data.files.test_labels: "},
    {"validation_fraction_too_big",
     [](auto& s) { s.mutable_data()->set_validation_fraction(0.6f); },
     "data.validation_fraction: 0.6 is out of range [0, 0.5]"},
    {"validation_fraction_nan", [](auto& s) { s.mutable_data()->set_validation_fraction(kNaN); },
     "data.validation_fraction: "},
    {"unknown_preprocess",
     [](auto& s) { s.mutable_data()->set_preprocess(static_cast<v1::Preprocess>(9)); },
     "data.preprocess: "},
    // run
    {"zero_epochs", [](auto& s) { s.set_epochs(0); }, "epochs: 0 is out of range [1, 10000]"},
    {"too_many_epochs", [](auto& s) { s.set_epochs(kMaxEpochs + 1); }, "epochs: "},
    {"zero_batch", [](auto& s) { s.set_batch_size(0); },
     "batch_size: 0 is out of range [1, 65536]"},
    {"too_many_threads", [](auto& s) { s.set_threads(kMaxThreads + 1); }, "threads: "},
    // distributed
    {"too_many_workers", [](auto& s) { s.mutable_distributed()->set_workers(kMaxWorkers + 1); },
     "distributed.workers: 65 is out of range [0, 64]"},
    {"batch_smaller_than_workers",
     [](auto& s) {
       s.set_batch_size(3);
       s.mutable_distributed()->set_workers(4);
     },
     "distributed.workers: 4 workers need batch_size >= 4 (each rank trains on its share of "
     "every batch), got 3"},
    // reporting
    {"too_many_histogram_bins",
     [](auto& s) { s.mutable_reporting()->set_histogram_bins(kMaxHistogramBins + 1); },
     "reporting.histogram_bins: "},
    {"max_tensor_elements_too_big",
     [](auto& s) { s.mutable_reporting()->set_max_tensor_elements(kMaxTensorElements + 1); },
     "reporting.max_tensor_elements: "},
    {"diagnostics_every_too_big",
     [](auto& s) { s.mutable_reporting()->set_diagnostics_every(kMaxDiagnosticsEvery + 1); },
     "reporting.diagnostics_every: 1000001 is out of range [0, 1000000]"},
};

INSTANTIATE_TEST_SUITE_P(SpecValidator, SpecValidatorRejects, ::testing::ValuesIn(kBadCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SpecValidatorTest, ReportsTheFirstProblemInFieldOrder) {
  v1::TrainingSpec spec = example();
  spec.set_epochs(0);
  dense(spec, 1).set_units(0);
  const Status status = validate_spec(spec);
  EXPECT_EQ(status.message().rfind("model.layers[1].dense.units: ", 0), 0u) << status.message();
}

TEST(SpecValidatorTest, ParameterLimitMessageSaysCountAndLimit) {
  v1::TrainingSpec spec = example();
  spec.mutable_model()->set_input_shape(0, 1 << 24);
  const Status status = validate_spec(spec);
  // 2^24 * 256 + 256  +  256 * 128 + 128  +  128 * 10 + 10
  EXPECT_EQ(status.message(), "model: 4295001738 parameters is more than the limit 268435456");
}

// ----- count_parameters ----------------------------------------------------

TEST(SpecValidatorTest, CountsExampleParameters) {
  // 784*256 + 256  +  256*128 + 128  +  128*10 + 10
  EXPECT_EQ(count_parameters(example()), 200960 + 32896 + 1290);
}

TEST(SpecValidatorTest, CountsPreluSlopesAndSkipsMissingBias) {
  v1::TrainingSpec spec;
  spec.mutable_model()->add_input_shape(2);
  spec.mutable_model()->add_input_shape(3);  // 6 features
  spec.mutable_model()->add_layers()->mutable_flatten();
  v1::DenseSpec& hidden = *spec.mutable_model()->add_layers()->mutable_dense();
  hidden.set_units(4);
  hidden.set_no_bias(true);
  hidden.mutable_activation()->set_name("prelu");
  spec.mutable_model()->add_layers()->mutable_dense()->set_units(5);
  spec.mutable_model()->add_layers()->mutable_activation()->set_name("prelu");
  // 6*4 weights + 4 slopes  +  4*5 weights + 5 biases  +  5 slopes
  EXPECT_EQ(count_parameters(spec), 24 + 4 + 20 + 5 + 5);
}

TEST(SpecValidatorTest, CountSaturatesInsteadOfOverflowing) {
  v1::TrainingSpec spec;
  for (int i = 0; i < 4; ++i) spec.mutable_model()->add_input_shape(4000000000u);
  spec.mutable_model()->add_layers()->mutable_dense()->set_units(65536);
  EXPECT_EQ(count_parameters(spec), std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace gradstream::engine
