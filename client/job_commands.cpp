// submit, list, get, cancel: unary calls on the Trainer service.
#include "client/commands.hpp"
#include "client/exit_codes.hpp"
#include "client/job_format.hpp"
#include "client/status_report.hpp"
#include "engine/io/spec_io.hpp"

namespace gradstream::client {

namespace {

// Pages ListJobs asks for at once (the server caps it at 1000).
constexpr uint32_t kListPageSize = 500;

}  // namespace

int run_submit(Connection& connection, const SubmitOptions& options, Terminal& terminal) {
  auto spec = engine::read_spec_file(options.spec_path);
  if (!spec.ok()) {
    terminal.err << "gradstream: " << spec.status().message() << "\n";
    return kExitUsage;
  }
  gradstream::v1::CreateJobRequest request;
  *request.mutable_spec() = std::move(spec).value();
  request.set_idempotency_key(options.idempotency_key);
  gradstream::v1::Job job;
  const grpc::Status status =
      connection.stub().CreateJob(connection.unary_context().get(), request, &job);
  if (!status.ok()) return report_failure(connection.explain(status), terminal.err);
  terminal.out << (options.json ? to_json_line(job) : job.id()) << "\n";
  terminal.out.flush();
  if (!options.watch) return kExitOk;

  WatchOptions watch;
  watch.job_id = job.id();
  watch.step_every = options.step_every;
  watch.json = options.json;
  return run_watch(connection, watch, terminal);
}

int run_list(Connection& connection, const ListOptions& options, Terminal& terminal) {
  gradstream::v1::ListJobsRequest request;
  request.set_page_size(kListPageSize);
  if (!options.state.empty()) {
    gradstream::v1::JobState state{};
    if (!parse_job_state(options.state, &state)) {
      terminal.err << "gradstream: --state " << options.state
                   << " is not one of QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED\n";
      return kExitUsage;
    }
    request.set_state(state);
  }
  bool header_printed = options.json;  // the header waits for a first answer
  do {
    gradstream::v1::ListJobsResponse response;
    const grpc::Status status =
        connection.stub().ListJobs(connection.unary_context().get(), request, &response);
    if (!status.ok()) return report_failure(connection.explain(status), terminal.err);
    if (!header_printed) terminal.out << job_table_header() << "\n";
    header_printed = true;
    for (const auto& job : response.jobs()) {
      terminal.out << (options.json ? to_json_line(job) : job_table_row(job)) << "\n";
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  terminal.out.flush();
  return kExitOk;
}

int run_get(Connection& connection, const GetOptions& options, Terminal& terminal) {
  gradstream::v1::GetJobRequest request;
  request.set_job_id(options.job_id);
  gradstream::v1::Job job;
  const grpc::Status status =
      connection.stub().GetJob(connection.unary_context().get(), request, &job);
  if (!status.ok()) return report_failure(connection.explain(status), terminal.err);
  if (options.json) {
    terminal.out << to_json_line(job) << "\n";
  } else {
    terminal.out << job_details(job);
  }
  terminal.out.flush();
  return kExitOk;
}

int run_cancel(Connection& connection, const std::string& job_id, Terminal& terminal) {
  gradstream::v1::CancelJobRequest request;
  request.set_job_id(job_id);
  gradstream::v1::Job job;
  const grpc::Status status =
      connection.stub().CancelJob(connection.unary_context().get(), request, &job);
  if (!status.ok()) return report_failure(connection.explain(status), terminal.err);
  terminal.out << job.id() << " " << job_state_name(job.state()) << "\n";
  terminal.out.flush();
  return kExitOk;
}

}  // namespace gradstream::client
