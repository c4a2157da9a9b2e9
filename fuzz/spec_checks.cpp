// The checks a parsed spec goes through, as CreateJob runs them.
#include "fuzz/spec_checks.hpp"

#include <cstdio>
#include <cstdlib>

#include "engine/spec/spec_defaults.hpp"
#include "engine/spec/spec_validator.hpp"

namespace gradstream::fuzz {

void check_parsed_spec(const engine::Result<v1::TrainingSpec>& parsed) {
  if (!parsed.ok()) return;
  const v1::TrainingSpec& spec = parsed.value();
  engine::count_parameters(spec);
  if (!engine::validate_spec(spec).ok()) return;
  const v1::TrainingSpec defaulted = engine::with_defaults(spec);
  if (const engine::Status s = engine::validate_spec(defaulted); !s.ok()) {
    std::fprintf(stderr, "with_defaults made a valid spec invalid: %s\n", s.message().c_str());
    std::abort();
  }
  engine::count_parameters(defaulted);
}

}  // namespace gradstream::fuzz
