// `gradstream compare ... --plot out.png`: the figure drawn by the Python
// package's gradstream.plot.compare (`python3 -m gradstream.plot compare`), so
// the CLI and Python users see the same picture from one implementation.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "client/comparison_table.hpp"
#include "client/connection.hpp"

namespace gradstream::client {

// The interpreter that has the gradstream package: $GRADSTREAM_PYTHON, else
// python3 from PATH.
inline constexpr const char* kPythonEnvVar = "GRADSTREAM_PYTHON";
inline constexpr const char* kDefaultPython = "python3";

// The interpreter cannot import gradstream.plot (or cannot be run at all).
inline constexpr int kExitPlotUnavailable = 69;  // sysexits.h EX_UNAVAILABLE

// "--plot: DIR does not exist" when the PNG's directory is missing, else "":
// checked before any job is submitted, not after minutes of training.
std::string plot_path_error(const std::string& path);

// Draws `rows` (finished jobs, labelled by their activation) into the PNG at
// `path` with the connection's server, TLS and token. 0 when drawn;
// kExitPlotUnavailable with "--plot needs the gradstream Python package" on
// `err`; else the plotter's exit code (the gRPC code of a failed call, 73 an
// unwritable PNG), its message on `err`.
int draw_compare_plot(const ConnectionOptions& connection, const std::vector<ComparisonRow>& rows,
                      const std::string& path, std::ostream& err);

}  // namespace gradstream::client
