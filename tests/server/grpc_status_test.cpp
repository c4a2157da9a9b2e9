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
      {StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
      {StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
      {StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
  };
  for (const auto& [in, out] : cases) {
    const grpc::Status s = to_grpc_status(engine::Status(in, "epochs: 0 is out of range"));
    EXPECT_EQ(s.error_code(), out);
    EXPECT_EQ(s.error_message(), "epochs: 0 is out of range");
  }
  EXPECT_TRUE(to_grpc_status(engine::ok_status()).ok());
}

// The cap, 1024 bytes, is the one grpc_status.hpp states.
TEST(GrpcStatusTest, KeepsAMessageOfExactlyTheCap) {
  const std::string at_cap = std::string(1023, 'x') + "y";

  const grpc::Status s = to_grpc_status(engine::invalid_argument(at_cap));

  EXPECT_EQ(s.error_message(), at_cap);
}

TEST(GrpcStatusTest, CutsALongerMessageToTheCapEndingInDots) {
  // 1025 bytes: the first 1021 are kept and "..." makes 1024.
  std::string message;
  for (int i = 0; i < 1025; ++i) message += static_cast<char>('a' + i % 26);

  const grpc::Status s = to_grpc_status(engine::invalid_argument(message));

  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().size(), 1024u);
  EXPECT_EQ(s.error_message(), message.substr(0, 1021) + "...");
}

TEST(GrpcStatusTest, CapsAVeryLongMessage) {
  const grpc::Status s = to_grpc_status(engine::invalid_argument(std::string(5000, 'x')));
  EXPECT_EQ(s.error_message(), std::string(1021, 'x') + "...");
}

}  // namespace
}  // namespace gradstream::server
