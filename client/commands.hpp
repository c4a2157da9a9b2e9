// The gradstream subcommands. Each takes its parsed options, talks to the
// server through a Connection, prints to `out` / `err` and returns the exit
// code (see exit_codes.hpp; an RPC failure returns its gRPC status code).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "client/connection.hpp"

namespace gradstream::client {

// How long `watch` keeps reconnecting to a server that went away (a restart,
// a reschedule) without receiving an event, before it gives up.
inline constexpr uint32_t kDefaultReconnectSeconds = 120;

struct WatchOptions {
  std::string job_id;
  uint64_t from_sequence = 0;
  uint32_t step_every = 0;
  bool json = false;
  uint32_t reconnect_seconds = kDefaultReconnectSeconds;  // 0: never reconnect
};

struct SubmitOptions {
  std::string spec_path;
  std::string idempotency_key;
  bool watch = false;
  bool json = false;
  uint32_t step_every = 0;  // for --watch
};

struct ListOptions {
  std::string state;  // empty: every state
  bool json = false;
};

struct GetOptions {
  std::string job_id;
  bool json = false;
};

struct UploadOptions {
  std::vector<std::string> files;  // features, then (IDX, NPY) labels
  std::string labels_path;         // --labels, instead of a second file
  int label_column = 0;            // CSV: 0-based; negative counts from the end
  bool csv_header = false;         // CSV: the first row is a header
  std::string name;                // empty: the features file's name
  uint32_t num_classes = 0;        // 0: largest label + 1
  bool json = false;               // the Dataset as JSON instead of its id
};

struct ExportOptions {
  std::string job_id;
  std::string output_path;        // empty: stdout
  std::string format = "native";  // "native" (a gradstream model file) or "onnx"
};

struct PredictOptions {
  std::string job_id;
  std::vector<uint32_t> shape;  // with input_path: optional, must match the file's values
  std::vector<float> inputs;
  std::string input_path;  // CSV feature rows (client/feature_csv.hpp) instead of inputs
  bool json = false;       // the response as one JSON line instead of one row per line
};

struct CompareOptions {
  std::string spec_path;
  // One job per catalog name or formula, hidden activations replaced; the
  // text of --activations (split by split_activation_list) fills it.
  std::vector<std::string> activations;
  std::string activation_list;
  bool json = false;  // one JSON array of rows
  bool csv = false;   // a header line and one line per row
  // Non-empty: after the table, the figure of the jobs as a PNG there
  // (client/compare_plot.hpp).
  std::string plot_path;
};

struct HealthOptions {
  std::string service = "gradstream.v1.Trainer";  // "" asks about the whole server
};

// Where the output goes and whether it is a terminal (live progress display).
struct Terminal {
  std::ostream& out;
  std::ostream& err;
  bool out_is_tty = false;
};

int run_submit(Connection& connection, const SubmitOptions& options, Terminal& terminal);
int run_watch(Connection& connection, const WatchOptions& options, Terminal& terminal);
int run_list(Connection& connection, const ListOptions& options, Terminal& terminal);
int run_get(Connection& connection, const GetOptions& options, Terminal& terminal);
int run_cancel(Connection& connection, const std::string& job_id, Terminal& terminal);
// Reads a dataset file (IDX, CSV or NPY) and streams it to UploadDataset;
// prints its id. An unreadable file exits kExitUsage with the reader's message.
int run_upload_dataset(Connection& connection, const UploadOptions& options, Terminal& terminal);

// RPCs this server may not offer yet: called, and UNIMPLEMENTED reported as
// "<cmd> is not supported by this server yet" (exit kExitUsage).
int run_export(Connection& connection, const ExportOptions& options, Terminal& terminal);
int run_predict(Connection& connection, const PredictOptions& options, Terminal& terminal);

// One job per activation, watched together, then a side-by-side table
// (client/comparison_table.hpp). Exit 3 if a job did not succeed. With
// plot_path, then the figure (client/compare_plot.hpp), whose exit code is the
// command's when the comparison itself succeeded.
int run_compare(Connection& connection, const CompareOptions& options, Terminal& terminal);
// grpc.health.v1 Check of options.service: prints the serving status; exit 0
// when SERVING, 14 (UNAVAILABLE) otherwise, or the failed call's code.
int run_health(Connection& connection, const HealthOptions& options, Terminal& terminal);

}  // namespace gradstream::client
