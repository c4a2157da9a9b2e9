// The gradstream command line: flags and subcommands (CLI11) dispatched to commands.hpp.
#pragma once

namespace gradstream::client {

// Parses argv, runs the chosen subcommand and returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace gradstream::client
