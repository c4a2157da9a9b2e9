// A DataSpec with only the fields the data loader's tests vary.
#pragma once

#include "gradstream/v1/spec.pb.h"

namespace gradstream::test_support {

inline v1::DataSpec spec_with(float validation_fraction, v1::Preprocess preprocess) {
  v1::DataSpec spec;
  spec.set_validation_fraction(validation_fraction);
  spec.set_preprocess(preprocess);
  return spec;
}

}  // namespace gradstream::test_support
