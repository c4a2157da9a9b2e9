// gradstream-step-bench: Google Benchmark timings of the stages of one training
// step of a spec (default examples/fashion-mnist-mlp.json): batch gather,
// forward, loss, backward, optimizer. Shows where a step's time goes.
// Forward and Backward also report their dense layers' rate (flops: multiply-adds
// x 2 per second) and FmaPeak the rate this machine's cores reach at all, so the
// two read as a share of the hardware's peak. The output's context names the run
// (CPU model, oneDNN version and ISA, threads, seed).
//   build/bin/gradstream-step-bench [--benchmark_filter=...]   (GRADSTREAM_STEP_SPEC=path)
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <omp.h>

#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/data/batcher.hpp"
#include "engine/data/data_loader.hpp"
#include "engine/losses/loss.hpp"
#include "engine/model/model.hpp"
#include "engine/optim/optimizer.hpp"
#include "engine/core/parameter.hpp"
#include "engine/core/run_record.hpp"
#include "engine/model/pipeline.hpp"
#include "engine/spec/spec_defaults.hpp"
#include "engine/io/spec_io.hpp"

namespace {

using namespace gradstream::engine;  // NOLINT: a benchmark main, not a header

// The spec whose step is timed, defaults explicit.
gradstream::v1::TrainingSpec step_spec() {
  const char* path = std::getenv("GRADSTREAM_STEP_SPEC");
  auto parsed = read_spec_file(
      path != nullptr ? path : GRADSTREAM_SOURCE_DIR "/examples/fashion-mnist-mlp.json");
  if (!parsed.ok()) {
    std::fprintf(stderr, "gradstream-step-bench: %s\n", parsed.status().message().c_str());
    std::abort();
  }
  return with_defaults(*parsed);
}

// Everything one step touches, built once like the trainer builds it.
struct StepFixture {
  StepFixture() : eng(dnnl::engine::kind::cpu, 0), stream(eng) {
    spec = step_spec();
    omp_set_num_threads(static_cast<int>(spec.threads()));
    auto loaded = load_data(spec.data(), spec.seed());
    if (!loaded.ok()) std::abort();
    data = std::move(loaded).value();
    model = std::move(Model::build(spec, eng, LayoutHint{spec.batch_size(), true})).value();
    pipeline = std::make_unique<Pipeline>(*model, spec.batch_size(), true, eng);
    loss = make_loss(spec.loss(), spec.batch_size(), model->output_units());
    optimizer = std::move(make_optimizer(spec.optimizer(), model->parameters())).value();
    batcher = std::make_unique<Batcher>(data.train, spec.batch_size(), true, spec.seed(), false);
    batcher->start_epoch(1);
    next_batch();
    // Dense weights are [units, inputs]: 2 flops per weight and sample for the
    // forward and for the weight gradient, and for the input gradient of every
    // layer but the first (nothing below it needs one).
    bool first = true;
    for (const Parameter* p : model->parameters()) {
      if (p->name() != "weights" || p->shape().size() != 2) continue;
      const double flops = 2.0 * static_cast<double>(spec.batch_size()) * static_cast<double>(p->size());
      forward_flops += flops;
      backward_flops += first ? flops : 2 * flops;
      first = false;
    }
  }

  void next_batch() {
    auto view = batcher->next();
    if (!view || view->size != spec.batch_size()) {
      batcher->start_epoch(++epoch);
      view = batcher->next();
    }
    batch = *view;
    pipeline->set_input(batch.features);
  }

  dnnl::engine eng;
  dnnl::stream stream;
  gradstream::v1::TrainingSpec spec;
  DataSplits data;
  std::unique_ptr<Model> model;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<Loss> loss;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<Batcher> batcher;
  BatchView batch{};
  uint32_t epoch = 1;
  double forward_flops = 0;   // per step, dense layers only
  double backward_flops = 0;
};

benchmark::Counter flop_rate(double flops_per_iteration) {
  return benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate,
                            benchmark::Counter::kIs1000);
}

// Ten independent chains of fused multiply-adds per thread: enough in flight
// to keep both FMA pipes of a core busy, so the rate is the cores' peak for
// that vector width (8 floats with AVX2; 16 with AVX-512, which doubles it
// only on cores with 512-bit FMA units: Zen 4 runs them as two 256-bit halves).
constexpr int kChains = 10;

__attribute__((target("avx2,fma"))) float fma_chains_256(int64_t iterations) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(1.0F + static_cast<float>(i) * 1e-7F);
  const __m256 scale = _mm256_set1_ps(0.9999999F);
  const __m256 shift = _mm256_set1_ps(1e-8F);
  for (int64_t n = 0; n < iterations; ++n) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], scale, shift);
  }
  float sum = 0;
  for (int i = 0; i < kChains; ++i) sum += _mm256_cvtss_f32(acc[i]);
  return sum;
}

__attribute__((target("avx512f"))) float fma_chains_512(int64_t iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(1.0F + static_cast<float>(i) * 1e-7F);
  const __m512 scale = _mm512_set1_ps(0.9999999F);
  const __m512 shift = _mm512_set1_ps(1e-8F);
  for (int64_t n = 0; n < iterations; ++n) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], scale, shift);
  }
  float sum = 0;
  for (int i = 0; i < kChains; ++i) sum += _mm512_cvtss_f32(acc[i]);
  return sum;
}

StepFixture& fixture() {
  static StepFixture f;
  return f;
}

void BM_Gather(benchmark::State& state) {
  StepFixture& f = fixture();
  for (auto _ : state) f.next_batch();
}

void BM_Forward(benchmark::State& state) {
  StepFixture& f = fixture();
  for (auto _ : state) f.pipeline->forward(f.stream);
  state.counters["flops"] = flop_rate(f.forward_flops);
}

void BM_Loss(benchmark::State& state) {
  StepFixture& f = fixture();
  f.pipeline->forward(f.stream);
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.loss->compute(f.pipeline->output(), f.batch.labels,
                                             f.pipeline->diff_output_data(), f.stream));
    benchmark::DoNotOptimize(f.loss->count_correct(f.pipeline->output(), f.batch.labels));
  }
}

void BM_Backward(benchmark::State& state) {
  StepFixture& f = fixture();
  f.pipeline->forward(f.stream);
  f.loss->compute(f.pipeline->output(), f.batch.labels, f.pipeline->diff_output_data(), f.stream);
  for (auto _ : state) f.pipeline->backward(f.stream);
  state.counters["flops"] = flop_rate(f.backward_flops);
}

void BM_OptimizerStep(benchmark::State& state) {
  StepFixture& f = fixture();
  for (auto _ : state) f.optimizer->step(1e-6F);
}

// One training step as the trainer runs it; the counters say where its time
// went (microseconds per step, each stage timed inside the step, so with the
// caches as the step leaves them: the optimizer, for one, runs on moments no
// pass has touched since the last step).
void BM_WholeStep(benchmark::State& state) {
  StepFixture& f = fixture();
  using Clock = std::chrono::steady_clock;
  constexpr int kStages = 5;
  double spent[kStages] = {};
  Clock::time_point marks[kStages + 1];
  for (auto _ : state) {
    marks[0] = Clock::now();
    f.next_batch();
    marks[1] = Clock::now();
    f.pipeline->forward(f.stream);
    marks[2] = Clock::now();
    f.loss->compute(f.pipeline->output(), f.batch.labels, f.pipeline->diff_output_data(), f.stream);
    marks[3] = Clock::now();
    f.pipeline->backward(f.stream);
    marks[4] = Clock::now();
    f.optimizer->step(1e-4F);
    marks[5] = Clock::now();
    for (int i = 0; i < kStages; ++i) {
      spent[i] += std::chrono::duration<double, std::micro>(marks[i + 1] - marks[i]).count();
    }
  }
  state.SetItemsProcessed(state.iterations() * f.spec.batch_size());
  const char* names[kStages] = {"gather_us", "forward_us", "loss_us", "backward_us", "optimizer_us"};
  for (int i = 0; i < kStages; ++i) {
    state.counters[names[i]] = spent[i] / static_cast<double>(state.iterations());
  }
}

// Each layer's forward and backward on its own (range(0): the layer's index),
// labelled with its name.
void BM_LayerForward(benchmark::State& state) {
  StepFixture& f = fixture();
  Layer& layer = *f.pipeline->layers().at(static_cast<size_t>(state.range(0)));
  for (auto _ : state) layer.forward(f.stream);
  state.SetLabel(layer.name());
}

void BM_LayerBackward(benchmark::State& state) {
  StepFixture& f = fixture();
  f.pipeline->forward(f.stream);
  f.loss->compute(f.pipeline->output(), f.batch.labels, f.pipeline->diff_output_data(), f.stream);
  Layer& layer = *f.pipeline->layers().at(static_cast<size_t>(state.range(0)));
  for (auto _ : state) layer.backward(f.stream);
  state.SetLabel(layer.name());
}

// The row-major copies of every gradient the diagnostics' norms read (a
// reorder for each parameter kept in a blocked layout).
void BM_RowMajorGradients(benchmark::State& state) {
  StepFixture& f = fixture();
  for (auto _ : state) {
    for (Parameter* p : f.model->parameters()) benchmark::DoNotOptimize(p->plain_grad());
  }
}

// state.range(0): the vector width in bits, 256 (AVX2) or 512 (AVX-512).
void BM_FmaPeak(benchmark::State& state) {
  const bool wide = state.range(0) == 512;
  if (wide ? !__builtin_cpu_supports("avx512f")
           : !__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError(wide ? "this CPU has no AVX-512" : "this CPU has no AVX2 FMA");
    return;
  }
  constexpr int64_t kIterations = 1 << 20;
  const int threads = static_cast<int>(fixture().spec.threads());
  for (auto _ : state) {
    float sum = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sum)
    sum += wide ? fma_chains_512(kIterations) : fma_chains_256(kIterations);
    benchmark::DoNotOptimize(sum);
  }
  // Chains x lanes x 2 flops per iteration, on every thread.
  const double lanes = wide ? 16 : 8;
  state.counters["flops"] =
      flop_rate(static_cast<double>(kIterations) * kChains * lanes * 2 * threads);
  state.counters["threads"] = threads;
}

BENCHMARK(BM_Gather)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Forward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Loss)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Backward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OptimizerStep)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WholeStep)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RowMajorGradients)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FmaPeak)->Arg(256)->Arg(512)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The record of the run, in the context printed before the timings.
void add_run_context() {
  const gradstream::v1::TrainingSpec spec = step_spec();
  const gradstream::v1::RunRecord run = describe_run(spec.threads(), spec.seed());
  benchmark::AddCustomContext("cpu_model", run.cpu_model());
  benchmark::AddCustomContext("onednn_version", run.onednn_version());
  benchmark::AddCustomContext("isa", run.isa());
  benchmark::AddCustomContext("threads", std::to_string(run.threads()));
  benchmark::AddCustomContext("seed", std::to_string(run.seed()));
}

}  // namespace

// BENCHMARK_MAIN's steps, with the run's context added before any benchmark runs.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  add_run_context();
  // One forward and one backward benchmark per layer of the spec's network.
  const int64_t layers = static_cast<int64_t>(fixture().pipeline->layers().size());
  benchmark::RegisterBenchmark("BM_LayerForward", BM_LayerForward)
      ->DenseRange(0, layers - 1)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_LayerBackward", BM_LayerBackward)
      ->DenseRange(0, layers - 1)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
