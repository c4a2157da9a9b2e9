// Job printing: JSON lines for scripts, aligned text for people.
#include "client/job_format.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "client/printf_text.hpp"

namespace gradstream::client {

namespace {

std::string timestamp_text(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return google::protobuf::util::TimeUtil::ToString(time);
}

}  // namespace

std::string to_json_line(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  std::string out;
  const auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) return "{}";  // our messages hold no Any, so this does not happen
  return out;
}

std::string job_state_name(gradstream::v1::JobState state) {
  return gradstream::v1::JobState_Name(state);
}

bool parse_job_state(const std::string& name, gradstream::v1::JobState* state) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return gradstream::v1::JobState_Parse(upper, state);
}

std::string job_table_header() {
  return printf_text("%-36s %-10s %7s %9s %9s  %s", "ID", "STATE", "EPOCHS", "STEPS", "TEST_ACC",
                     "NAME");
}

std::string job_table_row(const gradstream::v1::Job& job) {
  const std::string accuracy =
      job.has_test() ? printf_text("%.4f", job.final_test_accuracy()) : "-";
  const std::string epochs =
      std::to_string(job.epochs()) + "/" + std::to_string(job.spec().epochs());
  return printf_text("%-36s %-10s %7s %9llu %9s  %s", job.id().c_str(),
                     job_state_name(job.state()).c_str(), epochs.c_str(),
                     static_cast<unsigned long long>(job.steps()), accuracy.c_str(),
                     job.spec().name().c_str());
}

std::string run_text(const gradstream::v1::RunRecord& run) {
  return run.cpu_model() + ", oneDNN " + run.onednn_version() + " " + run.isa() + ", " +
         std::to_string(run.threads()) + (run.threads() == 1 ? " thread" : " threads") + ", seed " +
         std::to_string(run.seed());
}

std::string job_details(const gradstream::v1::Job& job) {
  std::string out;
  auto line = [&out](const char* key, const std::string& value) {
    out += key;
    out += ": ";
    out += value;
    out += "\n";
  };
  line("id", job.id());
  line("name", job.spec().name().empty() ? "-" : job.spec().name());
  line("state", job_state_name(job.state()));
  if (!job.tenant().empty()) line("tenant", job.tenant());
  if (!job.reason().empty()) line("reason", job.reason());
  if (!job.waiting().empty()) line("waiting for", job.waiting());
  line("created", timestamp_text(job.created()));
  line("started", timestamp_text(job.started()));
  line("finished", timestamp_text(job.finished()));
  if (job.has_run()) line("run", run_text(job.run()));  // set once the job has started
  if (!job.worker().empty()) line("worker", job.worker());
  if (job.resumes() > 0) {
    line("resumed", std::to_string(job.resumes()) + (job.resumes() == 1 ? " time" : " times") +
                        ", last from step " + std::to_string(job.resumed_from_step()));
  }
  line("epochs", std::to_string(job.epochs()) + "/" + std::to_string(job.spec().epochs()));
  line("steps", std::to_string(job.steps()));
  if (job.has_test()) line("test accuracy", printf_text("%.4f", job.final_test_accuracy()));
  line("last sequence", std::to_string(job.last_sequence()));
  return out;
}

}  // namespace gradstream::client
