// Tensor and layout helpers.
#include "engine/core/tensor.hpp"

#include <cstring>
#include <stdexcept>

namespace gradstream::engine {

dnnl::memory::desc plain_desc(const Shape& dims) {
  dnnl::memory::dims strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return {dims, dnnl::memory::data_type::f32, strides};
}

bool is_plain(const dnnl::memory::desc& md) {
  // The C descriptor's dims: memory::desc::dims() would allocate.
  const dnnl_memory_desc_t& c = md.data;
  return md == plain_desc(Shape(c.dims, c.dims + c.ndims));
}

int64_t stored_floats(const dnnl::memory::desc& md) {
  return static_cast<int64_t>(md.get_size() / sizeof(float));
}

Tensor::Tensor(dnnl::memory memory) : memory_(std::move(memory)) {
  const dnnl::memory::desc md = memory_.get_desc();
  shape_ = md.dims();
  stored_ = stored_floats(md);
  plain_ = is_plain(md);
}

Tensor Tensor::allocate(const dnnl::memory::desc& md, const dnnl::engine& eng) {
  Tensor t(dnnl::memory(md, eng));
  std::memset(t.data(), 0, md.get_size());
  return t;
}

int64_t Tensor::positions() const {
  int64_t count = 1;
  for (size_t i = 2; i < shape_.size(); ++i) count *= shape_[i];
  return count;
}

Tensor Tensor::reshaped(const Shape& dims) const {
  if (!plain_ || element_count(dims) != elements()) {
    throw std::logic_error("Tensor::reshaped: " + shape_text(shape_) + " to " + shape_text(dims));
  }
  if (dims == shape_) return *this;
  return Tensor(dnnl::memory(plain_desc(dims), memory_.get_engine(), memory_.get_data_handle()));
}

}  // namespace gradstream::engine
