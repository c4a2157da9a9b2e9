// health: grpc.health.v1.Health/Check for one service, for container
// HEALTHCHECKs and scripts.
#include <grpcpp/grpcpp.h>

#include <chrono>

#include "client/commands.hpp"
#include "client/exit_codes.hpp"
#include "client/health_check.hpp"
#include "client/status_report.hpp"

namespace gradstream::client {

int run_health(Connection& connection, const HealthOptions& options, Terminal& terminal) {
  grpc::GenericStub stub(connection.channel());
  const HealthAnswer answer = check_health(stub, options.service, connection.unary_deadline());
  if (!answer.status.ok()) return report_failure(connection.explain(answer.status), terminal.err);
  terminal.out << serving_status_name(answer.serving_status) << "\n";
  terminal.out.flush();
  if (answer.serving_status == kServingStatusServing) return kExitOk;
  return report_failure(
      grpc::Status(grpc::StatusCode::UNAVAILABLE,
                   "\"" + options.service + "\" is " + serving_status_name(answer.serving_status)),
      terminal.err);
}

}  // namespace gradstream::client
