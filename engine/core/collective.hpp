// Collective: what a data-parallel trainer needs from the ranks it trains
// with. The trainer (and batch normalization with synchronised statistics)
// sees only this interface; engine/distributed implements it over Gloo
// (GlooCollective), so no library below it links Gloo.
#pragma once

#include <cstddef>

#include "engine/base/status.hpp"

namespace gradstream::engine {

class Collective {
 public:
  virtual ~Collective() = default;
  // This process's rank in [0, size()), and the number of ranks.
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Replaces data[0, count) on every rank by its sum over the ranks. Every
  // rank ends with the same bits (the trainer relies on it to keep
  // parameters identical). A failure (a peer gone, a timeout) names this
  // rank and what happened; the collective is unusable after one, and every
  // later call returns that first failure again (a layer that cannot return
  // a Status leaves it to the trainer's next call to report).
  virtual Status allreduce_sum(float* data, size_t count) = 0;
  // The same over doubles, and the element-wise maximum.
  virtual Status allreduce_sum(double* data, size_t count) = 0;
  virtual Status allreduce_max(double* data, size_t count) = 0;
};

}  // namespace gradstream::engine
