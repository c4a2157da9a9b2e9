// The spec's bounds beyond its fields' ranges: how big it is, its names and
// strings, and how big the events it makes the trainer send can get. They keep
// every Job (which embeds the spec), ListJobs page and event of a valid spec
// below the server's message limit, and every name safe as a Prometheus label
// value and in logs. Limits are in engine/base/input_limits.hpp.
#pragma once

#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// invalid_argument "spec: N bytes ..." when the spec serializes to more than
// kMaxSpecBytes; checked first, before anything walks the spec.
Status validate_spec_size(const v1::TrainingSpec& spec);

// name, model.layers[i].name (each layer's name, given or generated, unique
// within the model), data.builtin, data.dataset_id and data.files' paths.
// Checked first: cheap, and a huge name is named as such.
Status validate_spec_strings(const v1::TrainingSpec& spec);

// reporting.send_gradient_tensors only for a model of at most
// kMaxSentGradientValues parameters: a gradient event carries them all.
Status validate_event_size(const v1::TrainingSpec& spec);

}  // namespace gradstream::engine
