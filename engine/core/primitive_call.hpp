// A oneDNN primitive bound to its arguments once, at build time, so the step
// loop executes it without building argument maps or allocating.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <vector>

namespace gradstream::engine {

class PrimitiveCall {
 public:
  PrimitiveCall() = default;
  PrimitiveCall(dnnl::primitive primitive, std::unordered_map<int, dnnl::memory> args);

  void execute(const dnnl::stream& stream) const;
  bool empty() const { return !primitive_; }

 private:
  dnnl::primitive primitive_;
  std::unordered_map<int, dnnl::memory> memories_;  // keeps the handles in args_ alive
  std::vector<dnnl_exec_arg_t> args_;
};

}  // namespace gradstream::engine
