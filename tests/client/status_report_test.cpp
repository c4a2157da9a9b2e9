// The CLI's error line and exit code for a failed RPC.
#include "client/status_report.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace gradstream::client {
namespace {

TEST(StatusReportTest, NamesCodesAsGrpcSpellsThem) {
  EXPECT_EQ(status_code_name(grpc::StatusCode::INVALID_ARGUMENT), "INVALID_ARGUMENT");
  EXPECT_EQ(status_code_name(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(status_code_name(static_cast<grpc::StatusCode>(42)), "CODE_42");
}

TEST(StatusReportTest, PrintsOneLineAndReturnsTheCode) {
  std::ostringstream err;
  const int code =
      report_failure(grpc::Status(grpc::StatusCode::NOT_FOUND, "job \"x\" not found"), err);
  EXPECT_EQ(code, 5);
  EXPECT_EQ(err.str(), "gradstream: NOT_FOUND: job \"x\" not found\n");
}

}  // namespace
}  // namespace gradstream::client
