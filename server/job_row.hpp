// Decoding the job store's rows: the blobs SQLite hands back, turned into a
// Job and its events, with the checks that tell a damaged row. Pure functions
// over bytes, so job_store.cpp and the job row fuzzer run the same code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradstream/v1/trainer.pb.h"

namespace gradstream::server {

// A `jobs` row: `job_blob` a v1::Job whose id must be `id`; `events_blob` the
// length-delimited events a row of the store's first version holds (empty in
// later ones). false, `job` and `events` unspecified, when either does not
// parse or the id differs.
bool decode_job_row(const std::string& id, const std::string& job_blob,
                    const std::string& events_blob, v1::Job& job,
                    std::vector<v1::TrainingEvent>& events);

// An `events` row at `sequence`, read after `events_before` others of its job
// (sequences run 1, 2, 3, ... without gaps). false when the blob does not
// parse, carries another sequence, or the sequence leaves a gap.
bool decode_event_row(uint64_t sequence, uint64_t events_before, const std::string& blob,
                      v1::TrainingEvent& event);

}  // namespace gradstream::server
