// gradstream-step-bench: Google Benchmark timings of the stages of one training
// step of a spec (default examples/fashion-mnist-mlp.json): batch gather,
// forward, loss, backward, optimizer. Shows where a step's time goes.
//   build/bin/gradstream-step-bench [--benchmark_filter=...]   (GRADSTREAM_STEP_SPEC=path)
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "engine/batcher.hpp"
#include "engine/data_loader.hpp"
#include "engine/loss.hpp"
#include "engine/model.hpp"
#include "engine/optimizer.hpp"
#include "engine/pipeline.hpp"
#include "engine/spec_defaults.hpp"
#include "engine/spec_io.hpp"

namespace {

using namespace gradstream::engine;  // NOLINT: a benchmark main, not a header

// Everything one step touches, built once like the trainer builds it.
struct StepFixture {
  StepFixture() : eng(dnnl::engine::kind::cpu, 0), stream(eng) {
    const char* path = std::getenv("GRADSTREAM_STEP_SPEC");
    auto parsed = read_spec_file(path != nullptr ? path
                                                 : GRADSTREAM_SOURCE_DIR "/examples/fashion-mnist-mlp.json");
    if (!parsed.ok()) std::abort();
    spec = with_defaults(*parsed);
    omp_set_num_threads(static_cast<int>(spec.threads()));
    auto loaded = load_data(spec.data(), spec.seed());
    if (!loaded.ok()) std::abort();
    data = std::move(loaded).value();
    model = std::move(Model::build(spec, data.train.sample_size(), eng)).value();
    pipeline = std::make_unique<Pipeline>(*model, spec.batch_size(), true, eng);
    loss = make_loss(spec.loss(), spec.batch_size(), model->output_units());
    optimizer = std::move(make_optimizer(spec.optimizer(), model->parameters())).value();
    batcher = std::make_unique<Batcher>(data.train, spec.batch_size(), true, spec.seed(), false);
    batcher->start_epoch(1);
    next_batch();
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
};

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
}

void BM_OptimizerStep(benchmark::State& state) {
  StepFixture& f = fixture();
  for (auto _ : state) f.optimizer->step(1e-6F);
}

void BM_WholeStep(benchmark::State& state) {
  StepFixture& f = fixture();
  for (auto _ : state) {
    f.next_batch();
    f.pipeline->forward(f.stream);
    f.loss->compute(f.pipeline->output(), f.batch.labels, f.pipeline->diff_output_data(), f.stream);
    f.pipeline->backward(f.stream);
    f.optimizer->step(1e-4F);
  }
  state.SetItemsProcessed(state.iterations() * f.spec.batch_size());
}

BENCHMARK(BM_Gather)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Forward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Loss)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Backward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OptimizerStep)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WholeStep)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
