// usable_cores: the CPU affinity mask, which containers and taskset narrow.
#include "engine/base/parallel.hpp"

#include <sched.h>

namespace gradstream::engine {

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  const int count = CPU_COUNT(&set);
  return count > 0 ? count : 1;
}

}  // namespace gradstream::engine
