// compare --plot without Python: a stand-in interpreter ($GRADSTREAM_PYTHON, a
// shell script) records the command line and GRADSTREAM_* environment it was
// given, or fails the import probe, or fails the plot with a gRPC code.
#include "client/compare_plot.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gradstream::client {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ComparePlotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gradstream-compare-plot-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    unsetenv(kPythonEnvVar);
    fs::remove_all(dir_);
  }

  // $GRADSTREAM_PYTHON: a script that answers the import probe (-c) with
  // `probe`, and the plot run (-m) by logging its arguments, one a line, and
  // its connection variables (not the caller's other GRADSTREAM_*, such as
  // scripts/test.sh's GRADSTREAM_SANITIZE), then running `plot`.
  void fake_python(const std::string& probe, const std::string& plot) {
    const fs::path script = dir_ / "python";
    std::ofstream(script) << "#!/bin/sh\n"
                          << "if [ \"$1\" = -c ]; then " << probe << "; fi\n"
                          << "printf '%s\\n' \"$@\" > '" << (dir_ / "argv").string() << "'\n"
                          << "env | grep -E '^GRADSTREAM_(SERVER|TOKEN|TLS_[A-Z_]+)=' | sort > '"
                          << (dir_ / "env").string() << "'\n"
                          << plot << "\n";
    fs::permissions(script, fs::perms::owner_all);
    ASSERT_EQ(setenv(kPythonEnvVar, script.c_str(), 1), 0);
  }

  static std::vector<ComparisonRow> two_rows() {
    ComparisonRow sigmoid;
    sigmoid.activation = "sigmoid";
    sigmoid.job_id = "job-a";
    ComparisonRow formula;
    formula.activation = "-x*tanh(x)";
    formula.job_id = "job-b";
    return {sigmoid, formula};
  }

  fs::path dir_;
};

TEST_F(ComparePlotTest, PassesTheJobsLabelsAndConnectionOn) {
  fake_python("exit 0", "exit 0");
  ConnectionOptions connection;
  connection.server = "trainer.example:443";
  connection.timeout_seconds = 12.5;
  connection.token = "secret-token";
  connection.tls.system_roots = true;
  connection.tls.ca_path = "/etc/ca.pem";
  connection.tls.server_name = "gradstream.internal";
  std::ostringstream err;
  EXPECT_EQ(draw_compare_plot(connection, two_rows(), "out.png", err), 0) << err.str();
  EXPECT_EQ(read_file(dir_ / "argv"),
            "-m\ngradstream.plot\n--timeout\n12.500000\n--tls\ncompare\n--output\nout.png\n"
            "--label=sigmoid\n--label=-x*tanh(x)\njob-a\njob-b\n");
  // The token travels in the environment, never on the command line; settings
  // the CLI does not have are set empty, so the caller's do not leak in.
  EXPECT_EQ(read_file(dir_ / "env"),
            "GRADSTREAM_SERVER=trainer.example:443\nGRADSTREAM_TLS_CA=/etc/ca.pem\n"
            "GRADSTREAM_TLS_CERT=\nGRADSTREAM_TLS_KEY=\n"
            "GRADSTREAM_TLS_SERVER_NAME=gradstream.internal\nGRADSTREAM_TOKEN=secret-token\n");
}

TEST_F(ComparePlotTest, WithoutThePackageSaysWhatToInstall) {
  fake_python(
      "echo 'Traceback (most recent call last):' >&2; "
      "echo \"ModuleNotFoundError: No module named 'gradstream'\" >&2; exit 1",
      "exit 0");
  std::ostringstream err;
  EXPECT_EQ(draw_compare_plot(ConnectionOptions{}, two_rows(), "out.png", err), 69);
  EXPECT_NE(err.str().find("--plot needs the gradstream Python package: pip install client/python"),
            std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("ModuleNotFoundError: No module named 'gradstream')\n"),
            std::string::npos)
      << err.str();
  EXPECT_FALSE(fs::exists(dir_ / "argv"));  // the plot never ran
}

TEST_F(ComparePlotTest, AnInterpreterThatCannotRunIsUnavailableToo) {
  ASSERT_EQ(setenv(kPythonEnvVar, (dir_ / "missing-python").c_str(), 1), 0);
  std::ostringstream err;
  EXPECT_EQ(draw_compare_plot(ConnectionOptions{}, two_rows(), "out.png", err), 69);
  EXPECT_NE(err.str().find("missing-python: cannot run it: No such file or directory"),
            std::string::npos)
      << err.str();
}

TEST_F(ComparePlotTest, ThePlottersExitCodeIsReturned) {
  fake_python("exit 0", "exit 16");
  std::ostringstream err;
  EXPECT_EQ(draw_compare_plot(ConnectionOptions{}, two_rows(), "out.png", err), 16);
}

TEST_F(ComparePlotTest, APlotPathNeedsAnExistingDirectory) {
  EXPECT_EQ(plot_path_error("out.png"), "");
  EXPECT_EQ(plot_path_error((dir_ / "out.png").string()), "");
  EXPECT_EQ(plot_path_error((dir_ / "no" / "out.png").string()),
            "--plot " + (dir_ / "no" / "out.png").string() + ": directory " +
                (dir_ / "no").string() + " does not exist");
  EXPECT_EQ(plot_path_error(""), "--plot needs a file name");
}

}  // namespace
}  // namespace gradstream::client
