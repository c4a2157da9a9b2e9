// gradstream-bench: trains a spec and prints, as its last line, one JSON object
// with the training throughput (median over epochs, training loop only) and the
// final test accuracy, for side-by-side runs against peers (bench/peers/), and
// the record of the run (CPU, oneDNN version and ISA, threads, seed) that the
// figures depend on. With --ranks N the spec trains data-parallel on N ranks in
// this process (a thread and 1 OpenMP thread each, Gloo over loopback), rank
// 0 reporting; the line then also holds the allreduce's seconds and bytes per
// step and the straggler time, averaged over rank 0's step reports.
#include <gloo/rendezvous/hash_store.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/json_text.hpp"
#include "engine/base/parallel.hpp"
#include "engine/core/run_record.hpp"
#include "engine/data/data_loader.hpp"
#include "engine/distributed/gloo_collective.hpp"
#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_defaults.hpp"
#include "engine/spec/spec_validator.hpp"
#include "engine/train/trainer.hpp"

namespace {

using gradstream::engine::TrainingObserver;
namespace v1 = gradstream::v1;

class EpochCollector : public TrainingObserver {
 public:
  void on_epoch(const v1::EpochReport& report) override {
    epochs.push_back(report);
    std::fprintf(stderr,
                 "epoch %u: loss %.4f train acc %.4f test acc %.4f  %.2fs  %.0f samples/s\n",
                 report.epoch(), report.train_loss(), report.train_accuracy(),
                 report.test_accuracy(), report.seconds(), report.samples_per_second());
  }
  void on_step(const v1::StepReport& report) override {
    ++step_reports;
    allreduce_seconds += report.allreduce_seconds();
    straggler_seconds += report.straggler_seconds();
    allreduce_bytes = report.allreduce_bytes();
  }
  void on_warning(const v1::Warning& warning) override {
    ++warnings;
    std::fprintf(stderr, "warning [%s] %s\n", warning.kind().c_str(), warning.message().c_str());
  }
  std::vector<v1::EpochReport> epochs;
  size_t warnings = 0;
  // Sums over step reports (each an average over its window of steps).
  size_t step_reports = 0;
  double allreduce_seconds = 0.0;
  double straggler_seconds = 0.0;
  uint64_t allreduce_bytes = 0;
};

// Every rank but 0 only trains; its reports are dropped.
class Silent : public TrainingObserver {};

// Trains `spec` on `ranks` threads joined by Gloo over loopback, each with a
// copy of `data`; rank 0 reports to `collector`. Returns rank 0's done report.
v1::DoneReport train_ranks(const v1::TrainingSpec& spec, const gradstream::engine::DataSplits& data,
                           int ranks, EpochCollector& collector) {
  using namespace gradstream::engine;  // NOLINT: local to this function
  gloo::rendezvous::HashStore store;
  std::vector<v1::DoneReport> done(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      v1::DoneReport& out = done[static_cast<size_t>(r)];
      out.set_outcome(v1::DoneReport::FAILED);
      auto collective = GlooCollective::connect(store, r, ranks);
      if (!collective.ok()) return out.set_reason(collective.status().message());
      auto trainer = Trainer::create(spec, data, std::move(collective).value());
      if (!trainer.ok()) return out.set_reason(trainer.status().message());
      Silent silent;
      std::atomic<bool> cancel{false};
      out = (*trainer)->run(r == 0 ? static_cast<TrainingObserver&>(collector) : silent, cancel);
    });
  }
  for (auto& t : threads) t.join();
  for (const v1::DoneReport& d : done) {
    if (d.outcome() != v1::DoneReport::SUCCEEDED) return d;
  }
  return done[0];
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// {"cpu_model": "...", "onednn_version": "...", "isa": "...", "threads": N, "seed": N}
std::string run_json(const v1::RunRecord& run) {
  using gradstream::engine::json_quoted;
  return "{\"cpu_model\": " + json_quoted(run.cpu_model()) +
         ", \"onednn_version\": " + json_quoted(run.onednn_version()) +
         ", \"isa\": " + json_quoted(run.isa()) +
         ", \"threads\": " + std::to_string(run.threads()) +
         ", \"seed\": " + std::to_string(run.seed()) + "}";
}

int fail(const gradstream::engine::Status& status) {
  std::cerr << "gradstream-bench: " << status.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train a spec and report throughput as JSON"};
  std::string spec_path;
  int epochs = 0;
  int threads = 0;
  int batch = 0;
  bool no_prefetch = false;
  bool no_diagnostics = false;
  int diagnostics_every = 0;
  int ranks = 1;
  bool sync_batch_norm = false;
  app.add_option("spec", spec_path, "training spec (JSON or text proto)")->required();
  app.add_option("--epochs", epochs, "override the spec's epochs")->check(CLI::Range(1, 10000));
  app.add_option("--threads", threads, "override the spec's threads")->check(CLI::Range(1, 256));
  app.add_option("--batch", batch, "override the spec's batch size")->check(CLI::Range(1, 65536));
  app.add_flag("--no-prefetch", no_prefetch, "gather batches on the training thread");
  app.add_flag("--no-diagnostics", no_diagnostics, "train without diagnostics (warnings)");
  app.add_option("--diagnostics-every", diagnostics_every, "override reporting.diagnostics_every")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--ranks", ranks, "data-parallel ranks in this process (threads, Gloo loopback)")
      ->check(CLI::Range(1, 64));
  app.add_flag("--sync-batch-norm", sync_batch_norm,
               "with --ranks: batch-norm statistics over the global batch");
  CLI11_PARSE(app, argc, argv);

  auto spec = gradstream::engine::read_spec_file(spec_path);
  if (!spec.ok()) return fail(spec.status());
  if (epochs > 0) spec->set_epochs(static_cast<uint32_t>(epochs));
  if (threads > 0) spec->set_threads(static_cast<uint32_t>(threads));
  if (batch > 0) spec->set_batch_size(static_cast<uint32_t>(batch));
  if (no_prefetch) spec->mutable_data()->set_no_prefetch(true);
  if (no_diagnostics) spec->mutable_reporting()->set_no_diagnostics(true);
  if (diagnostics_every > 0) {
    spec->mutable_reporting()->set_diagnostics_every(static_cast<uint32_t>(diagnostics_every));
  }
  spec->mutable_distributed()->set_workers(static_cast<uint32_t>(ranks));
  if (sync_batch_norm) spec->mutable_distributed()->set_sync_batch_norm(true);
  if (auto s = gradstream::engine::validate_spec(*spec); !s.ok()) return fail(s);

  auto data = gradstream::engine::load_data(spec->data(), spec->seed());
  if (!data.ok()) return fail(data.status());
  // Rank 0's trainer stands for the run: its spec and prefetch choice.
  std::unique_ptr<gradstream::engine::Trainer> trainer;
  if (ranks == 1) {
    auto made = gradstream::engine::Trainer::create(*spec, std::move(data).value());
    if (!made.ok()) return fail(made.status());
    trainer = std::move(made).value();
  }
  const v1::TrainingSpec used = gradstream::engine::with_defaults(*spec);
  const v1::RunRecord run = gradstream::engine::describe_run(used.threads(), used.seed());
  std::fprintf(stderr, "gradstream-bench: %s, oneDNN %s, isa %s, threads %u, seed %llu\n",
               run.cpu_model().c_str(), run.onednn_version().c_str(), run.isa().c_str(),
               run.threads(), static_cast<unsigned long long>(run.seed()));

  EpochCollector collector;
  std::atomic<bool> cancel{false};
  const v1::DoneReport done = trainer ? trainer->run(collector, cancel)
                                      : train_ranks(*spec, data.value(), ranks, collector);
  if (done.outcome() != v1::DoneReport::SUCCEEDED) {
    std::cerr << "gradstream-bench: training failed: " << done.reason() << "\n";
    return 1;
  }
  // Each step report averages its window; their mean is the run's per-step figure.
  auto per_report = [&](double sum) {
    return collector.step_reports > 0 ? sum / static_cast<double>(collector.step_reports) : 0.0;
  };
  // Each rank decides as a one-process trainer does (Trainer::create).
  const bool prefetch = trainer
                            ? trainer->prefetch_thread()
                            : !used.data().no_prefetch() && static_cast<int>(used.threads()) <
                                                                gradstream::engine::usable_cores();
  std::vector<double> rates;
  double train_seconds = 0.0;
  std::string seconds;
  for (const auto& e : collector.epochs) {
    rates.push_back(e.samples_per_second());
    train_seconds += e.seconds();
    seconds += (seconds.empty() ? "" : ", ") + std::to_string(e.seconds());
  }
  std::printf(
      "{\"samples_per_s\": %.1f, \"epoch_seconds\": [%s], \"test_accuracy\": %.4f, "
      "\"final_train_loss\": %.5f, \"epochs\": %u, \"threads\": %u, \"batch\": %u, "
      "\"prefetch_thread\": %s, \"train_seconds\": %.4f, \"diagnostics_every\": %u, "
      "\"warnings\": %zu, \"ranks\": %d, \"steps\": %llu, \"step_seconds\": %.6f, "
      "\"allreduce_seconds_per_step\": %.6f, \"straggler_seconds_per_step\": %.6f, "
      "\"allreduce_bytes_per_step\": %llu, \"run\": %s}\n",
      median(rates), seconds.c_str(), done.final_test_accuracy(), done.final_train_loss(),
      used.epochs(), used.threads(), used.batch_size(), prefetch ? "true" : "false", train_seconds,
      used.reporting().no_diagnostics() ? 0U : used.reporting().diagnostics_every(),
      collector.warnings, ranks, static_cast<unsigned long long>(done.steps()),
      done.steps() > 0 ? train_seconds / static_cast<double>(done.steps()) : 0.0,
      per_report(collector.allreduce_seconds), per_report(collector.straggler_seconds),
      static_cast<unsigned long long>(collector.allreduce_bytes), run_json(run).c_str());
  return 0;
}
