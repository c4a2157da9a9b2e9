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

struct WatchOptions {
  std::string job_id;
  uint64_t from_sequence = 0;
  uint32_t step_every = 0;
  bool json = false;
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
  std::string name;
};

struct ExportOptions {
  std::string job_id;
  std::string output_path;  // empty: stdout
};

struct PredictOptions {
  std::string job_id;
  std::vector<uint32_t> shape;  // with input_path: optional, must match the file's values
  std::vector<float> inputs;
  std::string input_path;       // CSV feature rows (client/feature_csv.hpp) instead of inputs
  bool json = false;            // the response as one JSON line instead of one row per line
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

// RPCs this server may not offer yet: called, and UNIMPLEMENTED reported as
// "<cmd> is not supported by this server yet" (exit 2).
int run_upload(Connection& connection, const UploadOptions& options, Terminal& terminal);
int run_export(Connection& connection, const ExportOptions& options, Terminal& terminal);
int run_predict(Connection& connection, const PredictOptions& options, Terminal& terminal);

}  // namespace gradstream::client
