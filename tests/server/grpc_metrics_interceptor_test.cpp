// The gRPC metrics' method label: our services' methods by name, anything a
// client could invent as "unknown", so the label set stays bounded.
#include "server/grpc_metrics_interceptor.hpp"

#include <gtest/gtest.h>

namespace gradstream::server {
namespace {

TEST(MethodLabelTest, OurServicesMethodsAreNamed) {
  EXPECT_EQ(method_label("/gradstream.v1.Trainer/CreateJob"), "CreateJob");
  EXPECT_EQ(method_label("/gradstream.v1.Coordinator/Heartbeat"), "Heartbeat");
  EXPECT_EQ(method_label("/gradstream.v1.Coordinator/ReportJob"), "ReportJob");
  EXPECT_EQ(method_label("/grpc.health.v1.Health/Check"), "Check");
}

TEST(MethodLabelTest, InventedNamesAreUnknown) {
  EXPECT_EQ(method_label("/gradstream.v1.Coordinator/CreateJob"), "unknown");
  EXPECT_EQ(method_label("/gradstream.v1.Trainer/Join"), "unknown");
  EXPECT_EQ(method_label("/evil.Service/Join"), "unknown");
  EXPECT_EQ(method_label("no-slash"), "unknown");
}

}  // namespace
}  // namespace gradstream::server
