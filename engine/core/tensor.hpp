// Tensor: a oneDNN memory and the logical shape it holds. The memory may be in
// any layout a primitive chose (blocked, with padding); `plain` tells whether it
// is the canonical dense row-major one, which the edges (data, losses, reports,
// model files) read.
#pragma once

#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>

#include "engine/core/shape.hpp"

namespace gradstream::engine {

// Dense row-major f32 descriptor for `dims`.
dnnl::memory::desc plain_desc(const Shape& dims);

// Whether `md` is the plain layout of its own dims.
bool is_plain(const dnnl::memory::desc& md);

// Floats a memory of `md` occupies, padding of blocked layouts included.
int64_t stored_floats(const dnnl::memory::desc& md);

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(dnnl::memory memory);
  // A new buffer in layout `md`, zeroed (padding must start at zero).
  static Tensor allocate(const dnnl::memory::desc& md, const dnnl::engine& eng);

  explicit operator bool() const { return static_cast<bool>(memory_); }
  const Shape& shape() const { return shape_; }
  const dnnl::memory& memory() const { return memory_; }
  dnnl::memory::desc desc() const { return memory_.get_desc(); }
  bool plain() const { return plain_; }
  float* data() const { return static_cast<float*>(memory_.get_data_handle()); }
  int64_t elements() const { return element_count(shape_); }
  int64_t stored() const { return stored_; }
  // The batch dimension and what follows it: channels (or units), then positions.
  int64_t batch() const { return shape_.empty() ? 0 : shape_[0]; }
  int64_t channels() const { return shape_.size() < 2 ? 1 : shape_[1]; }
  int64_t positions() const;

  // The same buffer seen with other dims of the same element count. Plain only:
  // reshaping a plain tensor moves no data.
  Tensor reshaped(const Shape& dims) const;

 private:
  dnnl::memory memory_;
  Shape shape_;
  int64_t stored_ = 0;
  bool plain_ = true;
};

}  // namespace gradstream::engine
