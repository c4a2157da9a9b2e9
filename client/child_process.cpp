// run_child: posix_spawnp with a pipe for stderr when it is captured.
#include "client/child_process.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace gradstream::client {

namespace {

// Our environment with `overrides` replacing or adding variables, as NAME=VALUE strings.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> result;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const std::string name = text.substr(0, text.find('='));
    if (overrides.count(name) == 0) result.push_back(text);
  }
  for (const auto& [name, value] : overrides) result.push_back(name + "=" + value);
  return result;
}

// argv-style pointers into `strings`, null-terminated; valid while `strings` lives.
std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (auto& text : strings) result.push_back(text.data());
  result.push_back(nullptr);
  return result;
}

// Everything written to `fd` until its writers close it.
std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t count = read(fd, buffer, sizeof buffer);
    if (count > 0) {
      text.append(buffer, static_cast<size_t>(count));
    } else if (count == 0 || errno != EINTR) {
      return text;
    }
  }
}

}  // namespace

ChildResult run_child(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env, bool capture_err) {
  ChildResult result;
  std::vector<std::string> arguments = argv;
  std::vector<std::string> environment = merged_environment(env);
  std::vector<char*> argv_pointers = pointers(arguments);
  std::vector<char*> env_pointers = pointers(environment);

  int err_pipe[2] = {-1, -1};
  if (capture_err && pipe(err_pipe) != 0) {
    result.start_error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  if (capture_err) {
    posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, err_pipe[1]);
  }
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, arguments[0].c_str(), &actions, nullptr,
                                       argv_pointers.data(), env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  if (capture_err) {
    close(err_pipe[1]);
    if (spawn_error == 0) result.captured_err = read_all(err_pipe[0]);
    close(err_pipe[0]);
  }
  if (spawn_error != 0) {
    result.start_error = std::strerror(spawn_error);
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      result.start_error = std::string("waitpid: ") + std::strerror(errno);
      return result;
    }
  }
  result.started = true;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace gradstream::client
