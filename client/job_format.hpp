// How jobs and other messages are printed: protobuf JSON on one line, or
// human-readable lines.
#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "gradstream/v1/trainer.pb.h"

namespace gradstream::client {

// Protobuf's JSON mapping on a single line (no whitespace), lowerCamel names.
std::string to_json_line(const google::protobuf::Message& message);

// "QUEUED", "RUNNING", ...
std::string job_state_name(gradstream::v1::JobState state);

// Parses a state name, case-insensitively ("running" or "RUNNING"); false if unknown.
bool parse_job_state(const std::string& name, gradstream::v1::JobState* state);

// Header and one row per job for `gradstream list`.
std::string job_table_header();
std::string job_table_row(const gradstream::v1::Job& job);

// "AMD EPYC, oneDNN 2.6.3 avx512_core_bf16, 2 threads, seed 42": where and how
// a job ran (Job.run).
std::string run_text(const gradstream::v1::RunRecord& run);

// "key: value" lines for `gradstream get`, the run among them once the job has started.
std::string job_details(const gradstream::v1::Job& job);

}  // namespace gradstream::client
