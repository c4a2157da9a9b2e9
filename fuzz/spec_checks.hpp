// What CreateJob does with a parsed spec before anything is built from it,
// shared by the JSON and text spec fuzzers.
#pragma once

#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::fuzz {

// validate_spec, count_parameters and, for an accepted spec, with_defaults;
// aborts when the defaulted spec no longer validates (with_defaults must keep
// a valid spec valid). Never trains or builds primitives.
void check_parsed_spec(const engine::Result<v1::TrainingSpec>& parsed);

}  // namespace gradstream::fuzz
