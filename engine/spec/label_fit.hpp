// Whether a data set's classes fit a model's output under the spec's loss: the
// one rule the trainer applies when a job's data is loaded, and the server at
// CreateJob when an uploaded data set's header already gives the class count.
#pragma once

#include <cstdint>

#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// Units of the network's output for a spec whose model passes validate_spec
// (its output is one dimension); 0 for one that does not.
int64_t output_units(const v1::TrainingSpec& spec);

// invalid_argument naming both numbers when labels in [0, num_classes) cannot
// be trained against `units` outputs: softmax cross-entropy (also
// LOSS_UNSPECIFIED) needs a unit per class, one-hot MSE/BCE targets too, and
// BCE on a single logit labels 0 and 1.
Status check_classes_fit(const v1::TrainingSpec& spec, int64_t num_classes, int64_t units);

}  // namespace gradstream::engine
