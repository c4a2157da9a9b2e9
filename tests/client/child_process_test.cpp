// run_child: exit codes, signals, captured stderr, the environment given on
// top of ours, and a program that does not exist.
#include "client/child_process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace gradstream::client {
namespace {

ChildResult run_shell(const std::string& script,
                      const std::map<std::string, std::string>& env = {}) {
  return run_child({"sh", "-c", script}, env, /*capture_err=*/true);
}

TEST(ChildProcessTest, ReturnsTheExitCodeAndWhatWentToStderr) {
  const ChildResult result = run_shell("echo to-stdout; echo to-stderr >&2; exit 3");
  ASSERT_TRUE(result.started) << result.start_error;
  EXPECT_EQ(result.exit_code, 3);
  // stdout goes to our stderr, never into the capture or our stdout.
  EXPECT_EQ(result.captured_err, "to-stderr\n");
}

TEST(ChildProcessTest, AKilledProgramExitsAsAShellWouldSay) {
  const ChildResult result = run_shell("kill -TERM $$");
  ASSERT_TRUE(result.started);
  EXPECT_EQ(result.exit_code, 128 + 15);
}

TEST(ChildProcessTest, TheGivenEnvironmentOverridesOursAndKeepsTheRest) {
  ASSERT_EQ(setenv("GRADSTREAM_CHILD_TEST_KEPT", "kept", 1), 0);
  ASSERT_EQ(setenv("GRADSTREAM_CHILD_TEST_REPLACED", "old", 1), 0);
  const ChildResult result = run_shell(
      "printf '%s|%s|%s' \"$GRADSTREAM_CHILD_TEST_KEPT\" \"$GRADSTREAM_CHILD_TEST_REPLACED\" "
      "\"$GRADSTREAM_CHILD_TEST_ADDED\" >&2",
      {{"GRADSTREAM_CHILD_TEST_REPLACED", "new value"}, {"GRADSTREAM_CHILD_TEST_ADDED", ""}});
  unsetenv("GRADSTREAM_CHILD_TEST_KEPT");
  unsetenv("GRADSTREAM_CHILD_TEST_REPLACED");
  ASSERT_TRUE(result.started);
  EXPECT_EQ(result.captured_err, "kept|new value|");
}

TEST(ChildProcessTest, AProgramThatDoesNotExistIsNotStarted) {
  const ChildResult result =
      run_child({"/nonexistent/gradstream-no-such-program"}, {}, /*capture_err=*/true);
  EXPECT_FALSE(result.started);
  EXPECT_EQ(result.start_error, "No such file or directory");
  const ChildResult in_path = run_child({"gradstream-no-such-program-in-path"}, {}, false);
  EXPECT_FALSE(in_path.started);
  EXPECT_EQ(in_path.start_error, "No such file or directory");
}

}  // namespace
}  // namespace gradstream::client
