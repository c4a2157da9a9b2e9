// Running another program from the CLI (the Python interpreter behind
// `compare --plot`): its environment given on top of ours, its stdout sent to
// our stderr (our stdout is the command's table, which scripts parse).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace gradstream::client {

struct ChildResult {
  // false: the program could not be started (`start_error` says why).
  bool started = false;
  std::string start_error;
  // The exit status, or 128 + signal for a program killed by one (as shells say).
  int exit_code = 0;
  // What it wrote to stderr, when asked to capture it; else it went to ours.
  std::string captured_err;
};

// Runs argv[0] (looked up in PATH when it has no '/') with `argv`, our
// environment with `env` set over it, and waits for it to end.
ChildResult run_child(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env, bool capture_err);

}  // namespace gradstream::client
