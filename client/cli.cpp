// CLI11 wiring: global options, one subcommand per RPC, dispatch.
#include "client/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <utility>

#include "client/commands.hpp"
#include "client/exit_codes.hpp"
#include "client/tls_options.hpp"

namespace gradstream::client {

namespace {

std::string default_server() {
  const char* env = std::getenv(kServerEnvVar);
  return env != nullptr && *env != '\0' ? env : kDefaultServer;
}

std::string default_token() {
  const char* env = std::getenv(kTokenEnvVar);
  return env != nullptr ? env : "";
}

}  // namespace

int run_cli(int argc, char** argv) {
  ConnectionOptions connection_options;
  connection_options.server = default_server();
  connection_options.tls = tls_options_from_environment();
  connection_options.token = default_token();

  CLI::App app{"gradstream: submit and watch neural-network training jobs"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  app.add_option("--server", connection_options.server,
                 std::string("Server host:port (default: $") + kServerEnvVar + ", else " +
                     kDefaultServer + ")");
  app.add_option("--timeout", connection_options.timeout_seconds,
                 "Deadline of unary calls, in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  TlsOptions& tls = connection_options.tls;
  app.add_flag("--tls", tls.system_roots, "TLS, the server verified against the system's roots");
  app.add_option("--tls-ca", tls.ca_path,
                 std::string("TLS, the server verified against this PEM CA bundle (default: $") +
                     kTlsCaEnvVar + ")");
  app.add_option(
      "--tls-cert", tls.cert_path,
      std::string("PEM client certificate for mutual TLS (default: $") + kTlsCertEnvVar + ")");
  app.add_option("--tls-key", tls.key_path,
                 std::string("PEM key of --tls-cert (default: $") + kTlsKeyEnvVar + ")");
  app.add_option("--tls-server-name", tls.server_name,
                 std::string("The name the server's certificate must carry, if not --server's "
                             "host (default: $") +
                     kTlsServerNameEnvVar + ")");
  app.add_option("--token", connection_options.token,
                 std::string("Bearer token for a server with --auth-tokens (default: $") +
                     kTokenEnvVar + "; the variable keeps it out of the process list)");

  std::function<int(Connection&, Terminal&)> command;

  SubmitOptions submit;
  auto* submit_cmd = app.add_subcommand("submit", "Create a job from a JSON or text-proto spec");
  submit_cmd->add_option("spec", submit.spec_path, "Spec file (.json, .txtpb, .textproto, .pbtxt)")
      ->required();
  submit_cmd->add_flag("--watch", submit.watch, "Then follow the job like `watch`");
  submit_cmd->add_flag("--json", submit.json, "Print the job (and events) as JSON lines");
  submit_cmd->add_option("--idempotency-key", submit.idempotency_key,
                         "The same key returns the same job");
  submit_cmd->add_option("--step-every", submit.step_every,
                         "With --watch: every Nth step event (0: all)");
  submit_cmd->callback(
      [&] { command = [&](Connection& c, Terminal& t) { return run_submit(c, submit, t); }; });

  WatchOptions watch;
  auto* watch_cmd = app.add_subcommand("watch", "Follow a job's events until it ends");
  watch_cmd->add_option("job", watch.job_id, "Job id")->required();
  watch_cmd->add_option("--from", watch.from_sequence, "First event sequence number (0: all)");
  watch_cmd->add_option("--step-every", watch.step_every, "Every Nth step event (0: all)");
  watch_cmd->add_flag("--json", watch.json, "One JSON object per event per line");
  watch_cmd
      ->add_option("--reconnect-seconds", watch.reconnect_seconds,
                   "Keep reconnecting this long to a server that went away (0: never)")
      ->capture_default_str();
  watch_cmd->callback(
      [&] { command = [&](Connection& c, Terminal& t) { return run_watch(c, watch, t); }; });

  ListOptions list;
  auto* list_cmd = app.add_subcommand("list", "List jobs");
  list_cmd->add_option("--state", list.state,
                       "Only jobs in this state (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)");
  list_cmd->add_flag("--json", list.json, "One JSON job per line");
  list_cmd->callback(
      [&] { command = [&](Connection& c, Terminal& t) { return run_list(c, list, t); }; });

  GetOptions get;
  auto* get_cmd = app.add_subcommand("get", "Show one job");
  get_cmd->add_option("job", get.job_id, "Job id")->required();
  get_cmd->add_flag("--json", get.json, "The job as JSON on one line");
  get_cmd->callback(
      [&] { command = [&](Connection& c, Terminal& t) { return run_get(c, get, t); }; });

  std::string cancel_id;
  auto* cancel_cmd = app.add_subcommand("cancel", "Cancel a job");
  cancel_cmd->add_option("job", cancel_id, "Job id")->required();
  cancel_cmd->callback(
      [&] { command = [&](Connection& c, Terminal& t) { return run_cancel(c, cancel_id, t); }; });

  UploadOptions upload;
  auto* upload_cmd =
      app.add_subcommand("upload", "Upload a dataset (IDX, CSV or NPY), print its id");
  upload_cmd->add_option("files", upload.files, "Features file, then its labels file (IDX, NPY)")
      ->required();
  upload_cmd->add_option("--labels", upload.labels_path, "Labels file (IDX, NPY)");
  upload_cmd->add_option("--label-column", upload.label_column,
                         "CSV: the label's column, 0-based; negative counts from the end");
  upload_cmd->add_flag("--csv-header", upload.csv_header, "CSV: the first row is a header");
  upload_cmd->add_option("--name", upload.name, "Dataset name (default: the file's name)");
  upload_cmd->add_option("--num-classes", upload.num_classes,
                         "Labels lie in [0, N) (default: largest label + 1)");
  upload_cmd->add_flag("--json", upload.json, "Print the Dataset as JSON");
  upload_cmd->callback([&] {
    command = [&](Connection& c, Terminal& t) { return run_upload_dataset(c, upload, t); };
  });

  ExportOptions export_options;
  auto* export_cmd = app.add_subcommand("export", "Export a trained model");
  export_cmd->add_option("job", export_options.job_id, "Job id")->required();
  export_cmd->add_option("-o,--output", export_options.output_path, "File (default: stdout)");
  export_cmd
      ->add_option("--format", export_options.format,
                   "native (a gradstream model file) or onnx (raw rows in, probabilities out)")
      ->check(CLI::IsMember({"native", "onnx"}));
  export_cmd->callback([&] {
    command = [&](Connection& c, Terminal& t) { return run_export(c, export_options, t); };
  });

  PredictOptions predict;
  auto* predict_cmd = app.add_subcommand(
      "predict", "Run a trained model on raw inputs (the job's preprocessing applies)");
  predict_cmd->add_option("job", predict.job_id, "Job id")->required();
  predict_cmd->add_option("--shape", predict.shape, "[count, features...]")->delimiter(',');
  predict_cmd->add_option("--inputs", predict.inputs, "Raw input values, row-major")
      ->delimiter(',');
  predict_cmd
      ->add_option("--input", predict.input_path,
                   "CSV file (one sample per line) or .npy array (one sample per first-axis entry)")
      ->excludes("--inputs");
  predict_cmd->add_flag("--json", predict.json, "The response as one JSON line");
  predict_cmd->callback(
      [&] { command = [&](Connection& c, Terminal& t) { return run_predict(c, predict, t); }; });

  CompareOptions compare;
  auto* compare_cmd =
      app.add_subcommand("compare", "Train one spec once per hidden activation, side by side");
  compare_cmd->add_option("spec", compare.spec_path, "Spec file (.json, .txtpb, ...)")->required();
  compare_cmd
      ->add_option("--activations", compare.activation_list,
                   "Catalog names or formulas of x, comma-separated (commas inside a formula's "
                   "parentheses stay): e.g. relu,tanh,x*sigmoid(x),relu(x)+0.1*cos(x)")
      ->required();
  auto* compare_json = compare_cmd->add_flag("--json", compare.json, "One JSON array of rows");
  compare_cmd->add_flag("--csv", compare.csv, "CSV: a header, then one line per activation")
      ->excludes(compare_json);
  compare_cmd->add_option(
      "--plot", compare.plot_path,
      "Then draw the jobs side by side into this PNG (the Python package's "
      "gradstream.plot.compare; interpreter: $GRADSTREAM_PYTHON, else python3)");
  compare_cmd->callback(
      [&] { command = [&](Connection& c, Terminal& t) { return run_compare(c, compare, t); }; });

  HealthOptions health;
  auto* health_cmd = app.add_subcommand("health", "grpc.health.v1 check; exit 0 when SERVING");
  health_cmd->add_option("--service", health.service, "Service to ask about")
      ->capture_default_str();
  health_cmd->callback(
      [&] { command = [&](Connection& c, Terminal& t) { return run_health(c, health, t); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!command) return kExitUsage;

  std::string tls_error;
  auto credentials = channel_credentials(connection_options.tls, &tls_error);
  if (!credentials) {
    std::cerr << "gradstream: " << tls_error << "\n";
    return kExitUsage;
  }
  Connection connection(connection_options, std::move(credentials));
  Terminal terminal{std::cout, std::cerr, isatty(STDOUT_FILENO) == 1};
  return command(connection, terminal);
}

}  // namespace gradstream::client
