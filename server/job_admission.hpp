// CreateJob's checks beyond validate_spec that depend on this server: its
// message limit (what a job stores must fit in the messages that return it),
// the idempotency key, and an uploaded data set's header against the model.
// Each returns OK or an engine Status naming the field and both numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"
#include "gradstream/v1/trainer.pb.h"

namespace gradstream::server {

// An idempotency key is stored with its job and may be logged: printable
// ASCII (no spaces), at most this long.
inline constexpr size_t kMaxIdempotencyKeyLength = 256;

// What one stored thing (a job's spec, one gradient event's tensors) may take
// of the message limit: a quarter, so a Job (its spec and a few KiB) is sent
// whole and a ListJobs page (at most half the limit) holds at least one.
inline constexpr int64_t kStoredShareOfMessage = 4;

// The bytes one stored thing may take under `max_message_bytes`, at most
// engine::kMaxSpecBytes.
size_t stored_bytes_limit(int64_t max_message_bytes);

// invalid_argument when the spec (as sent) or the gradient tensors one event
// would carry pass stored_bytes_limit: a job this server could store but not
// return. validate_spec has checked the absolute bounds already.
engine::Status check_message_budget(const v1::TrainingSpec& spec, int64_t max_message_bytes);

engine::Status check_idempotency_key(const std::string& key);

// An uploaded data set `id` with `header` against the spec: the model's input
// must hold as many values as a sample, and its output must fit the header's
// class count under the loss (engine::check_classes_fit); invalid_argument
// naming data.dataset_id and both numbers.
engine::Status check_dataset_fits(const v1::TrainingSpec& spec, const std::string& id,
                                  const v1::DatasetHeader& header);

}  // namespace gradstream::server
