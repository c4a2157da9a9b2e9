// Batch normalization with synchronised statistics (distributed.sync_batch_norm):
// ranks as threads of this process, each with its own Model and a Pipeline for
// its slice of the batch, joined by Gloo on loopback. Together their outputs,
// input gradients and summed parameter gradients must be the whole batch's:
// checked against the double-precision formula and its finite differences,
// for images in oneDNN's blocked layouts, uneven slices, a fused ReLU, no
// scale or shift, and a rank without rows. Every rank ends with the same
// running statistics, the whole batch's. Without synchronising, the same
// slices give other outputs (the check can fail).
#include <gloo/rendezvous/hash_store.h>
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "engine/distributed/gloo_collective.hpp"
#include "engine/train/row_slice.hpp"
#include "tests/unit/layers/batch_norm/batch_norm_reference.hpp"

namespace gradstream::engine {
namespace {

using testing::kBackward;
using testing::kForward;
using testing::layer_spec;

struct Problem {
  std::vector<std::string> layers;  // JSON layer specs
  Shape sample;                     // [C] or [C, H, W]
  int64_t batch = 0;
  std::vector<float> scale;  // empty: the layer's own (or none)
  std::vector<float> shift;
};

// What the ranks produced, assembled in global row order.
struct Assembled {
  std::vector<float> dst;
  std::vector<float> diff_src;
  std::vector<std::vector<float>> grads;    // per parameter, summed over the ranks
  std::vector<std::vector<float>> running;  // per rank: running mean then variance
};

std::unique_ptr<Model> build_model(const Problem& p, const dnnl::engine& eng) {
  v1::TrainingSpec spec;
  spec.set_seed(7);
  spec.set_loss(v1::MSE);
  for (int64_t d : p.sample) spec.mutable_model()->add_input_shape(static_cast<uint32_t>(d));
  for (const std::string& layer : p.layers) *spec.mutable_model()->add_layers() = layer_spec(layer);
  auto built = Model::build(spec, eng, LayoutHint{p.batch, true});
  EXPECT_TRUE(built.ok()) << built.status().message();
  return std::move(built).value();
}

// Runs forward and backward of `p` on `ranks` ranks, each on its rows of
// `x` and `diff_dst`; `synced` false normalizes each slice on its own.
Assembled run_ranks(const Problem& p, int ranks, const std::vector<float>& x,
                    const std::vector<float>& diff_dst, bool synced = true) {
  const int64_t in_row = element_count(p.sample);
  gloo::rendezvous::HashStore store;
  std::vector<std::vector<float>> dst(ranks), diff_src(ranks), running(ranks);
  std::vector<std::vector<std::vector<float>>> grads(ranks);
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      auto collective = GlooCollective::connect(store, r, ranks);
      ASSERT_TRUE(collective.ok()) << collective.status().message();
      const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
      dnnl::stream stream(eng);
      std::unique_ptr<Model> model = build_model(p, eng);
      const std::vector<Parameter*> parameters = model->parameters();
      if (!p.scale.empty()) parameters.at(0)->write_value(p.scale.data());
      if (!p.shift.empty()) parameters.at(1)->write_value(p.shift.data());
      const RowSlice rows = row_slice(p.batch, r, ranks);
      if (rows.count == 0) {  // as the trainer does for a rank without rows
        for (const auto& node : model->nodes()) node->sync_without_rows(**collective, false);
        for (auto it = model->nodes().rbegin(); it != model->nodes().rend(); ++it) {
          (*it)->sync_without_rows(**collective, true);
        }
      } else {
        Pipeline pipeline(*model, rows.count, true, eng, /*input_gradient=*/true, rows.first,
                          synced ? collective->get() : nullptr);
        pipeline.set_input(x.data() + rows.first * in_row);
        pipeline.forward(stream);
        stream.wait();
        const int64_t out_row = model->output_units();
        const float* out = pipeline.output_data();
        dst[r].assign(out, out + rows.count * out_row);
        std::copy_n(diff_dst.data() + rows.first * out_row, rows.count * out_row,
                    pipeline.diff_output_data());
        pipeline.backward(stream);
        stream.wait();
        const float* in = pipeline.diff_input().data();
        diff_src[r].assign(in, in + rows.count * in_row);
      }
      for (const Parameter* parameter : parameters) grads[r].push_back(parameter->grad_values());
      if (rows.count == 0) {  // no backward ran: nothing to add
        for (auto& g : grads[r]) std::fill(g.begin(), g.end(), 0.0F);
      }
      for (const Parameter* t : model->tensors()) {
        if (t->name() != "running_mean" && t->name() != "running_var") continue;
        const std::vector<float> v = t->value_values();
        running[r].insert(running[r].end(), v.begin(), v.end());
      }
    });
  }
  for (auto& t : threads) t.join();
  Assembled out;
  for (int r = 0; r < ranks; ++r) {
    out.dst.insert(out.dst.end(), dst[r].begin(), dst[r].end());
    out.diff_src.insert(out.diff_src.end(), diff_src[r].begin(), diff_src[r].end());
    if (out.grads.empty()) out.grads.resize(grads[r].size());
    for (size_t i = 0; i < grads[r].size(); ++i) {
      if (out.grads[i].empty()) out.grads[i].assign(grads[r][i].size(), 0.0F);
      for (size_t k = 0; k < grads[r][i].size(); ++k) out.grads[i][k] += grads[r][i][k];
    }
  }
  out.running = running;
  return out;
}

// The whole batch's dst, diff_src and parameter gradients against `reference`
// (double) and its central differences of L = sum(diff_dst * reference).
void expect_whole_batch(const Assembled& got, const testing::LayerReference& reference,
                        const std::vector<float>& x, const std::vector<float>& diff_dst,
                        const std::vector<std::vector<double>>& params) {
  const std::vector<double> xd = testing::to_double(x);
  const std::vector<double> expected = reference(xd, params);
  ASSERT_EQ(got.dst.size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    EXPECT_TRUE(testing::IsClose(got.dst[k], expected[k], kForward)) << "dst[" << k << "]";
  }
  auto loss = [&](const std::vector<double>& at_x, const std::vector<std::vector<double>>& at_p) {
    const std::vector<double> y = reference(at_x, at_p);
    double sum = 0;
    for (size_t k = 0; k < y.size(); ++k) sum += diff_dst[k] * y[k];
    return sum;
  };
  const std::vector<double> numeric = testing::numerical_gradient(
      [&](const std::vector<double>& at) { return loss(at, params); }, xd);
  ASSERT_EQ(got.diff_src.size(), numeric.size());
  for (size_t k = 0; k < numeric.size(); ++k) {
    EXPECT_TRUE(testing::IsClose(got.diff_src[k], numeric[k], kBackward))
        << "diff_src[" << k << "]";
  }
  ASSERT_EQ(got.grads.size(), params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const std::vector<double> numeric_p = testing::numerical_gradient(
        [&](const std::vector<double>& at) {
          std::vector<std::vector<double>> changed = params;
          changed[i] = at;
          return loss(xd, changed);
        },
        params[i]);
    for (size_t k = 0; k < numeric_p.size(); ++k) {
      EXPECT_TRUE(testing::IsClose(got.grads[i][k], numeric_p[k], kBackward))
          << "parameter " << i << " gradient[" << k << "]";
    }
  }
}

// Every rank's running statistics: the same bits, and the whole batch's
// after one step from mean 0 and variance 1 (momentum 0.1, the variance unbiased).
void expect_running_statistics(const Assembled& got, const std::vector<float>& x, int64_t batch,
                               int64_t channels, int64_t positions) {
  for (size_t r = 1; r < got.running.size(); ++r) {
    ASSERT_EQ(got.running[r].size(), got.running[0].size());
    EXPECT_EQ(std::memcmp(got.running[r].data(), got.running[0].data(),
                          got.running[0].size() * sizeof(float)),
              0)
        << "rank " << r << "'s running statistics differ from rank 0's";
  }
  ASSERT_EQ(got.running[0].size(), static_cast<size_t>(2 * channels));
  const double n = static_cast<double>(batch * positions);
  for (int64_t c = 0; c < channels; ++c) {
    double mean = 0;
    double squares = 0;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t p = 0; p < positions; ++p) mean += x[(b * channels + c) * positions + p];
    mean /= n;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t p = 0; p < positions; ++p) {
        const double d = x[(b * channels + c) * positions + p] - mean;
        squares += d * d;
      }
    EXPECT_NEAR(got.running[0][c], 0.1 * mean, 1e-6) << "running mean of channel " << c;
    EXPECT_NEAR(got.running[0][channels + c], 0.9 + 0.1 * squares / (n - 1), 1e-5)
        << "running variance of channel " << c;
  }
}

std::vector<std::vector<double>> as_double(const Problem& p) {
  std::vector<std::vector<double>> out;
  if (!p.scale.empty()) out.push_back(testing::to_double(p.scale));
  if (!p.shift.empty()) out.push_back(testing::to_double(p.shift));
  return out;
}

TEST(SyncedBatchNormTest, ThreeRanksOfUnevenImageSlicesComputeTheWholeBatch) {
  // 10 images of 3 x 2 x 2 over 3 ranks: 4, 3 and 3 rows (blocked layouts on AVX-512).
  const Problem p{{R"({"batchNorm": {}})", R"({"flatten": {}})"},
                  {3, 2, 2},
                  10,
                  {0.5F, -1.5F, 2.0F},
                  {0.1F, 0.0F, -0.3F}};
  const std::vector<float> x = testing::uniform_values(120, -1, 1, 1);
  const std::vector<float> diff_dst = testing::uniform_values(120, -1, 1, 2);
  const Assembled got = run_ranks(p, 3, x, diff_dst);
  expect_whole_batch(got, testing::training_reference(10, 3, 4, true, true), x, diff_dst,
                     as_double(p));
  expect_running_statistics(got, x, 10, 3, 4);
}

TEST(SyncedBatchNormTest, WithoutSynchronisingTheSlicesNormalizeApart) {
  // The check above can fail: each rank's own statistics give other outputs.
  const Problem p{{R"({"batchNorm": {}})", R"({"flatten": {}})"}, {3, 2, 2}, 10, {}, {}};
  const std::vector<float> x = testing::uniform_values(120, -1, 1, 1);
  const Assembled apart =
      run_ranks(p, 3, x, testing::uniform_values(120, -1, 1, 2), /*synced=*/false);
  const std::vector<double> whole = testing::training_reference(10, 3, 4, true, true)(
      testing::to_double(x), {{1, 1, 1}, {0, 0, 0}});
  double worst = 0;
  for (size_t k = 0; k < whole.size(); ++k)
    worst = std::max(worst, std::abs(apart.dst[k] - whole[k]));
  EXPECT_GT(worst, 0.05);
}

TEST(SyncedBatchNormTest, AFusedReluMasksOnlyWhatItZeroed) {
  // [5] features, 7 rows over 2 ranks (4 and 3), the ReLU fused into oneDNN's
  // norm-ReLU: its mask applies to dy, not to the mean terms the ranks share.
  const Problem p{{R"({"batchNorm": {}})", R"({"activation": {"name": "relu"}})"},
                  {5},
                  7,
                  {0.5F, -1.5F, 2.0F, 1.0F, 0.75F},
                  {0.1F, 0.0F, -0.3F, 0.2F, 0.05F}};
  const std::vector<float> x = testing::uniform_values(35, -1, 1, 7);
  const std::vector<float> diff_dst = testing::uniform_values(35, -1, 1, 8);
  const auto bn = testing::training_reference(7, 5, 1, true, true);
  for (double y : bn(testing::to_double(x), as_double(p))) {
    ASSERT_GT(std::abs(y), 1e-3) << "a normalised value on relu's kink: pick other values";
  }
  const Assembled got = run_ranks(p, 2, x, diff_dst);
  expect_whole_batch(
      got,
      [&](const std::vector<double>& xs, const std::vector<std::vector<double>>& params) {
        std::vector<double> y = bn(xs, params);
        for (double& v : y) v = v > 0 ? v : 0;
        return y;
      },
      x, diff_dst, as_double(p));
}

TEST(SyncedBatchNormTest, WithoutScaleOrShift) {
  const Problem p{{R"({"batchNorm": {"noScale": true, "noShift": true}})"}, {5}, 6, {}, {}};
  const std::vector<float> x = testing::uniform_values(30, -1, 1, 3);
  const std::vector<float> diff_dst = testing::uniform_values(30, -1, 1, 4);
  const Assembled got = run_ranks(p, 2, x, diff_dst);
  expect_whole_batch(got, testing::training_reference(6, 5, 1, false, false), x, diff_dst, {});
  expect_running_statistics(got, x, 6, 5, 1);
}

TEST(SyncedBatchNormTest, ARankWithoutRowsStillTakesPart) {
  // 2 images over 3 ranks: rank 2 has none, yet its peers' collectives complete.
  const Problem p{{R"({"batchNorm": {}})", R"({"flatten": {}})"},
                  {3, 2, 2},
                  2,
                  {0.5F, -1.5F, 2.0F},
                  {0.1F, 0.0F, -0.3F}};
  const std::vector<float> x = testing::uniform_values(24, -1, 1, 5);
  const std::vector<float> diff_dst = testing::uniform_values(24, -1, 1, 6);
  const Assembled got = run_ranks(p, 3, x, diff_dst);
  expect_whole_batch(got, testing::training_reference(2, 3, 4, true, true), x, diff_dst,
                     as_double(p));
  // The rank without rows keeps the same running statistics as the others.
  expect_running_statistics(got, x, 2, 3, 4);
}

}  // namespace
}  // namespace gradstream::engine
