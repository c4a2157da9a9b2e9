// compare: one job per activation from the same spec, watched together,
// then a side-by-side table (client/comparison_table.hpp).
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "client/commands.hpp"
#include "client/compare_plot.hpp"
#include "client/comparison_table.hpp"
#include "client/comparison_verdict.hpp"
#include "client/exit_codes.hpp"
#include "client/spec_variants.hpp"
#include "client/status_report.hpp"
#include "engine/io/spec_io.hpp"

namespace gradstream::client {

namespace {

// One submitted variant and what its watch stream ended with.
struct ComparedJob {
  ComparisonRowBuilder builder;
  grpc::Status stream_status;
};

// A failed RPC with the activation it was for in front of the server's message.
grpc::Status for_activation(const std::string& activation, const grpc::Status& status) {
  return grpc::Status(status.error_code(),
                      "activation \"" + activation + "\": " + status.error_message());
}

// Usage errors of the activation list, or an empty string.
std::string activation_list_error(const std::vector<std::string>& activations) {
  if (activations.empty()) return "--activations needs at least one name";
  std::set<std::string> seen;
  for (const auto& name : activations) {
    if (name.empty()) return "--activations has an empty name";
    if (!seen.insert(name).second) return "--activations names \"" + name + "\" twice";
  }
  return "";
}

// Follows one job to the end of its stream, folding every event into its row.
void watch_into(Connection& connection, ComparedJob& job, std::mutex& err_mutex,
                std::ostream& err) {
  gradstream::v1::WatchJobRequest request;
  request.set_job_id(job.builder.row().job_id);
  auto context = connection.stream_context();
  auto reader = connection.stub().WatchJob(context.get(), request);
  gradstream::v1::TrainingEvent event;
  // As in `watch`: the stream ends after the done report and the final state.
  while (reader->Read(&event)) job.builder.add(event);
  job.stream_status = reader->Finish();

  const ComparisonRow& row = job.builder.row();
  std::lock_guard<std::mutex> lock(err_mutex);
  err << "gradstream: " << row.activation << " (" << row.job_id << ") "
      << (job.builder.saw_done() ? gradstream::v1::JobState_Name(row.state) : "stream ended")
      << "\n";
  err.flush();
}

}  // namespace

int run_compare(Connection& connection, const CompareOptions& given, Terminal& terminal) {
  CompareOptions options = given;
  if (!options.activation_list.empty()) {
    options.activations = split_activation_list(options.activation_list);
  }
  if (const std::string error = activation_list_error(options.activations); !error.empty()) {
    terminal.err << "gradstream: " << error << "\n";
    return kExitUsage;
  }
  if (!options.plot_path.empty()) {
    if (const std::string error = plot_path_error(options.plot_path); !error.empty()) {
      terminal.err << "gradstream: " << error << "\n";
      return kExitUsage;
    }
  }
  auto spec = engine::read_spec_file(options.spec_path);
  if (!spec.ok()) {
    terminal.err << "gradstream: " << spec.status().message() << "\n";
    return kExitUsage;
  }
  std::vector<gradstream::v1::TrainingSpec> variants;
  for (const auto& activation : options.activations) {
    variants.push_back(spec.value());
    if (replace_hidden_activations(activation, &variants.back()) == 0) {
      terminal.err << "gradstream: " << options.spec_path
                   << ": no hidden activation to replace (Dense activations before the last "
                      "Dense layer, or activation layers)\n";
      return kExitUsage;
    }
  }

  // Submit every variant first; if the server rejects one (e.g. an unknown
  // activation name), cancel the ones already running and say which failed.
  std::vector<ComparedJob> jobs;
  jobs.reserve(variants.size());
  for (size_t i = 0; i < variants.size(); ++i) {
    gradstream::v1::CreateJobRequest request;
    *request.mutable_spec() = variants[i];
    gradstream::v1::Job job;
    const grpc::Status status =
        connection.stub().CreateJob(connection.unary_context().get(), request, &job);
    if (!status.ok()) {
      for (const auto& created : jobs) {
        gradstream::v1::CancelJobRequest cancel;
        cancel.set_job_id(created.builder.row().job_id);
        gradstream::v1::Job ignored;
        (void)connection.stub().CancelJob(connection.unary_context().get(), cancel, &ignored);
      }
      return report_failure(for_activation(options.activations[i], connection.explain(status)),
                            terminal.err);
    }
    jobs.push_back({ComparisonRowBuilder(options.activations[i], job.id()), grpc::Status::OK});
  }

  std::mutex err_mutex;
  std::vector<std::thread> watchers;
  for (auto& job : jobs) {
    watchers.emplace_back([&connection, &job, &err_mutex, &terminal] {
      watch_into(connection, job, err_mutex, terminal.err);
    });
  }
  for (auto& watcher : watchers) watcher.join();

  std::vector<ComparisonRow> rows;
  for (const auto& job : jobs) rows.push_back(job.builder.row());
  if (options.json) {
    terminal.out << comparison_json(rows) << "\n";
  } else if (options.csv) {
    terminal.out << comparison_csv(rows);
  } else {
    terminal.out << comparison_text(rows) << comparison_verdict_text(rows);
  }
  terminal.out.flush();

  int exit_code = kExitOk;
  bool every_stream_done = true;
  for (const auto& job : jobs) {
    const ComparisonRow& row = job.builder.row();
    if (!job.builder.saw_done()) {
      every_stream_done = false;
      const grpc::Status status =
          job.stream_status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                "the event stream ended before the job finished")
                                 : job.stream_status;
      const int code =
          report_failure(for_activation(row.activation, connection.explain(status)), terminal.err);
      if (exit_code == kExitOk || exit_code == kExitJobNotSucceeded) exit_code = code;
    } else if (row.state != gradstream::v1::SUCCEEDED && exit_code == kExitOk) {
      exit_code = kExitJobNotSucceeded;
    }
  }
  if (options.plot_path.empty()) return exit_code;
  // A failed or cancelled job still has curves worth seeing; a job whose
  // stream broke off has a history the plotter could not fetch either.
  if (!every_stream_done) {
    terminal.err << "gradstream: --plot skipped: not every job's stream reached its end\n";
    return exit_code;
  }
  const int plot_code =
      draw_compare_plot(connection.options(), rows, options.plot_path, terminal.err);
  return exit_code == kExitOk ? plot_code : exit_code;
}

}  // namespace gradstream::client
