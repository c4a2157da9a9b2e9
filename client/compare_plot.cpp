// draw_compare_plot: checks that the interpreter can import gradstream.plot,
// then runs `python3 -m gradstream.plot compare` with our connection settings.
#include "client/compare_plot.hpp"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <sstream>

#include "client/child_process.hpp"

namespace gradstream::client {

namespace {

constexpr const char* kPlotModule = "gradstream.plot";

std::string python_interpreter() {
  const char* env = std::getenv(kPythonEnvVar);
  return env != nullptr && *env != '\0' ? env : kDefaultPython;
}

// The last non-empty line of a traceback: "ModuleNotFoundError: No module named 'gradstream'".
std::string last_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  std::string last;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  return last;
}

// The settings the CLI connected with, in the variables the Python client
// reads (the token stays out of the process list). An empty value means
// "none" to it, so settings the CLI does not have override the caller's.
std::map<std::string, std::string> connection_environment(const ConnectionOptions& connection) {
  return {
      {kServerEnvVar, connection.server},       {kTokenEnvVar, connection.token},
      {kTlsCaEnvVar, connection.tls.ca_path},   {kTlsCertEnvVar, connection.tls.cert_path},
      {kTlsKeyEnvVar, connection.tls.key_path}, {kTlsServerNameEnvVar, connection.tls.server_name}};
}

}  // namespace

std::string plot_path_error(const std::string& path) {
  if (path.empty()) return "--plot needs a file name";
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code error;
  if (!parent.empty() && !std::filesystem::is_directory(parent, error)) {
    return "--plot " + path + ": directory " + parent.string() + " does not exist";
  }
  return "";
}

int draw_compare_plot(const ConnectionOptions& connection, const std::vector<ComparisonRow>& rows,
                      const std::string& path, std::ostream& err) {
  const std::string python = python_interpreter();
  const ChildResult probe =
      run_child({python, "-c", std::string("import ") + kPlotModule}, {}, /*capture_err=*/true);
  if (!probe.started || probe.exit_code != 0) {
    const std::string why =
        probe.started ? last_line(probe.captured_err) : "cannot run it: " + probe.start_error;
    err << "gradstream: --plot needs the gradstream Python package: pip install client/python "
           "(with matplotlib), or set "
        << kPythonEnvVar << " to an interpreter that has it (" << python << ": " << why << ")\n";
    err.flush();
    return kExitPlotUnavailable;
  }

  std::vector<std::string> argv = {python, "-m", kPlotModule, "--timeout",
                                   std::to_string(connection.timeout_seconds)};
  if (connection.tls.system_roots) argv.push_back("--tls");
  argv.insert(argv.end(), {"compare", "--output", path});
  // The names given to --activations, not the plotter's own guess from the reports.
  // "--label=" keeps a formula starting with '-' from reading as an option.
  for (const auto& row : rows) argv.push_back("--label=" + row.activation);
  for (const auto& row : rows) argv.push_back(row.job_id);
  err.flush();
  const ChildResult plot = run_child(argv, connection_environment(connection), false);
  if (!plot.started) {
    err << "gradstream: --plot: cannot run " << python << ": " << plot.start_error << "\n";
    return kExitPlotUnavailable;
  }
  return plot.exit_code;
}

}  // namespace gradstream::client
