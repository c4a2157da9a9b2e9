// LayerHarness and check_layer_gradients: the one gradient check every layer
// test uses, in the spirit of Caffe's GradientChecker. A layer is built the way
// the engine builds it (its spec through the layer registry into a Model, the
// parameters in the layouts oneDNN picks, a Pipeline for one batch size), then
//   - its forward output is compared with a double-precision reference, and
//   - diff_src and every parameter's gradient with central finite differences
//     of L = sum(diff_dst * reference(src, parameters)),
// every value read back in row-major order (so blocked layouts are covered).
#pragma once

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/tensor.hpp"
#include "engine/model/model.hpp"
#include "engine/model/pipeline.hpp"
#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine::testing {

class LayerHarness {
 public:
  // One or more entries of model.layers over samples of `sample`, MSE loss (no
  // softmax is folded into it). With `training`, backward reaches the input.
  LayerHarness(std::vector<v1::LayerSpec> layers, Shape sample, int64_t batch, bool training = true,
               uint64_t seed = 7)
      : batch_(batch), sample_(std::move(sample)) {
    v1::TrainingSpec spec;
    spec.set_seed(seed);
    spec.set_loss(v1::MSE);
    for (int64_t d : sample_) spec.mutable_model()->add_input_shape(static_cast<uint32_t>(d));
    for (v1::LayerSpec& layer : layers) *spec.mutable_model()->add_layers() = std::move(layer);
    auto built = Model::build(spec, eng_, LayoutHint{batch, training});
    EXPECT_TRUE(built.ok()) << built.status().message();
    model_ = std::move(built).value();
    pipeline_ = std::make_unique<Pipeline>(*model_, batch, training, eng_, training);
  }

  Model& model() { return *model_; }
  Pipeline& pipeline() { return *pipeline_; }
  const dnnl::engine& engine() const { return eng_; }
  const Layer& layer(size_t i = 0) const { return *pipeline_->layers().at(i); }
  Parameter& parameter(size_t i) { return *model_->parameters().at(i); }
  int64_t input_size() const { return batch_ * element_count(sample_); }
  int64_t output_size() const { return batch_ * model_->output_units(); }

  std::vector<float> forward(const std::vector<float>& src) {
    EXPECT_EQ(static_cast<int64_t>(src.size()), input_size());
    src_ = src;
    pipeline_->set_input(src_.data());
    pipeline_->forward(stream_);
    stream_.wait();
    const float* out = pipeline_->output_data();
    return {out, out + output_size()};
  }

  // After forward: back-propagates diff_dst; returns diff_src (row-major).
  std::vector<float> backward(const std::vector<float>& diff_dst) {
    EXPECT_EQ(static_cast<int64_t>(diff_dst.size()), output_size());
    std::copy(diff_dst.begin(), diff_dst.end(), pipeline_->diff_output_data());
    pipeline_->backward(stream_);
    stream_.wait();
    const float* in = pipeline_->diff_input().data();
    return {in, in + input_size()};
  }

 private:
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
  int64_t batch_;
  Shape sample_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<float> src_;
};

// dst = f(src, parameters), row-major, in double. `parameters` are the
// harness's parameters' values in model-file order.
using LayerReference = std::function<std::vector<double>(
    const std::vector<double>& src, const std::vector<std::vector<double>>& parameters)>;

struct GradientCheck {
  Tolerance forward{1e-5, 1e-6};
  Tolerance backward{1e-5, 1e-6};
  double step = 1e-4;  // absolute finite-difference step
  // Inputs whose derivative is a convention (a kink within the step): skipped.
  std::function<bool(size_t index, double x)> skip_src = nullptr;
};

// Runs forward and backward on `src` and `diff_dst` and checks dst, diff_src
// and every parameter gradient as described at the top of this file; returns
// diff_src for further checks.
inline std::vector<float> check_layer_gradients(LayerHarness& h, const LayerReference& reference,
                                                const std::vector<float>& src,
                                                const std::vector<float>& diff_dst,
                                                const GradientCheck& check = {}) {
  std::vector<std::vector<double>> params;
  for (Parameter* p : h.model().parameters()) params.push_back(to_double(p->value_values()));
  const std::vector<double> x = to_double(src);

  const std::vector<float> dst = h.forward(src);
  const std::vector<double> expected = reference(x, params);
  EXPECT_EQ(dst.size(), expected.size());
  for (size_t k = 0; k < std::min(dst.size(), expected.size()); ++k) {
    EXPECT_TRUE(IsClose(dst[k], expected[k], check.forward)) << "dst[" << k << "]";
  }

  const std::vector<float> diff_src = h.backward(diff_dst);
  auto loss = [&](const std::vector<double>& at_x, const std::vector<std::vector<double>>& at_p) {
    const std::vector<double> y = reference(at_x, at_p);
    double sum = 0;
    for (size_t k = 0; k < y.size(); ++k) sum += diff_dst[k] * y[k];
    return sum;
  };
  const std::vector<double> numeric_src = numerical_gradient(
      [&](const std::vector<double>& at) { return loss(at, params); }, x, check.step);
  for (size_t k = 0; k < diff_src.size(); ++k) {
    if (check.skip_src && check.skip_src(k, x[k])) continue;
    EXPECT_TRUE(IsClose(diff_src[k], numeric_src[k], check.backward))
        << "diff_src[" << k << "] at x = " << x[k];
  }
  const std::vector<Parameter*> parameters = h.model().parameters();
  for (size_t i = 0; i < parameters.size(); ++i) {
    const std::vector<float> grad = parameters[i]->grad_values();
    const std::vector<double> numeric = numerical_gradient(
        [&](const std::vector<double>& at) {
          std::vector<std::vector<double>> changed = params;
          changed[i] = at;
          return loss(x, changed);
        },
        params[i], check.step);
    for (size_t k = 0; k < grad.size(); ++k) {
      EXPECT_TRUE(IsClose(grad[k], numeric[k], check.backward))
          << parameters[i]->layer() << "/" << parameters[i]->name() << " gradient[" << k << "]";
    }
  }
  return diff_src;
}

// A LayerSpec from its JSON form, e.g. R"({"dense": {"units": 4}})".
inline v1::LayerSpec layer_spec(const std::string& json) {
  v1::LayerSpec spec;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &spec);
  EXPECT_TRUE(status.ok()) << json << ": " << status.ToString();
  return spec;
}

}  // namespace gradstream::engine::testing
