// to_grpc_status: every engine code maps to its gRPC code; long messages are cut.
#include "server/grpc_status.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gradstream::server {
namespace {

TEST(GrpcStatusTest, MapsEveryCode) {
  using engine::StatusCode;
  const std::pair<StatusCode, grpc::StatusCode> cases[] = {
      {StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
      {StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
      {StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
      {StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
      {StatusCode::kInternal, grpc::StatusCode::INTERNAL},
  };
  for (const auto& [in, out] : cases) {
    const grpc::Status s = to_grpc_status(engine::Status(in, "epochs: 0 is out of range"));
    EXPECT_EQ(s.error_code(), out);
    EXPECT_EQ(s.error_message(), "epochs: 0 is out of range");
  }
  EXPECT_TRUE(to_grpc_status(engine::ok_status()).ok());
}

TEST(GrpcStatusTest, CapsLongMessages) {
  const grpc::Status s = to_grpc_status(engine::invalid_argument(std::string(5000, 'x')));
  EXPECT_EQ(s.error_message().size(), kMaxStatusMessageBytes);
  EXPECT_EQ(s.error_message().substr(kMaxStatusMessageBytes - 3), "...");
}

}  // namespace
}  // namespace gradstream::server
