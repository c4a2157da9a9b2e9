// PrimitiveCall: executes through the C API with a prebuilt argument array.
#include "engine/core/primitive_call.hpp"

namespace gradstream::engine {

PrimitiveCall::PrimitiveCall(dnnl::primitive primitive, std::unordered_map<int, dnnl::memory> args)
    : primitive_(std::move(primitive)), memories_(std::move(args)) {
  args_.reserve(memories_.size());
  for (const auto& [arg, mem] : memories_) args_.push_back({arg, mem.get()});
}

void PrimitiveCall::execute(const dnnl::stream& stream) const {
  dnnl::error::wrap_c_api(dnnl_primitive_execute(primitive_.get(), stream.get(),
                                                 static_cast<int>(args_.size()), args_.data()),
                          "could not execute a primitive");
}

}  // namespace gradstream::engine
