// Parameter storage, layouts and row-major access.
#include "engine/core/parameter.hpp"

#include <cstring>
#include <stdexcept>

#include "engine/core/tensor.hpp"

namespace gradstream::engine {

Parameter::Parameter(const dnnl::engine& eng, std::string layer, std::string name, Shape shape,
                     bool decay)
    : eng_(eng),
      layer_(std::move(layer)),
      name_(std::move(name)),
      shape_(std::move(shape)),
      decay_(decay),
      size_(element_count(shape_)),
      stored_(size_),
      stream_(eng_) {
  value_ = Tensor::allocate(plain_desc(shape_), eng_).memory();
  grad_ = Tensor::allocate(plain_desc(shape_), eng_).memory();
}

void Parameter::set_layout(const dnnl::memory::desc& layout) {
  if (layout == value_.get_desc()) return;
  if (layout.dims() != shape_) {
    throw std::logic_error("Parameter::set_layout: " + layer_ + "/" + name_ + " has shape " +
                           shape_text(shape_) + ", the layout " + shape_text(layout.dims()));
  }
  std::vector<float> values(static_cast<size_t>(size_));
  read_value(values.data());
  value_ = Tensor::allocate(layout, eng_).memory();
  grad_ = Tensor::allocate(layout, eng_).memory();
  stored_ = stored_floats(layout);
  plain_ = is_plain(layout);
  value_to_plain_ = PrimitiveCall();
  grad_to_plain_ = PrimitiveCall();
  if (!plain_) {
    plain_value_ = dnnl::memory(plain_desc(shape_), eng_);
    plain_grad_ = dnnl::memory(plain_desc(shape_), eng_);
    value_to_plain_ = PrimitiveCall(dnnl::reorder(value_, plain_value_),
                                    {{DNNL_ARG_FROM, value_}, {DNNL_ARG_TO, plain_value_}});
    grad_to_plain_ = PrimitiveCall(dnnl::reorder(grad_, plain_grad_),
                                   {{DNNL_ARG_FROM, grad_}, {DNNL_ARG_TO, plain_grad_}});
  }
  write_value(values.data());
}

void Parameter::copy(const dnnl::memory& from, const dnnl::memory& to) const {
  dnnl::reorder(from, to).execute(stream_, const_cast<dnnl::memory&>(from),
                                  const_cast<dnnl::memory&>(to));
  stream_.wait();
}

dnnl::memory Parameter::plain_memory(const float* data) const {
  return {plain_desc(shape_), eng_, const_cast<float*>(data)};
}

dnnl::memory Parameter::stored_memory(const float* data) const {
  return {value_.get_desc(), eng_, const_cast<float*>(data)};
}

void Parameter::read_like_value(const float* stored, float* out) const {
  if (plain_) {
    std::memcpy(out, stored, sizeof(float) * static_cast<size_t>(size_));
    return;
  }
  copy(stored_memory(stored), plain_memory(out));
}

void Parameter::write_like_value(const float* in, float* stored) const {
  if (plain_) {
    std::memcpy(stored, in, sizeof(float) * static_cast<size_t>(size_));
    return;
  }
  copy(plain_memory(in), stored_memory(stored));
}

void Parameter::read_value(float* out) const { read_like_value(stored_value(), out); }

void Parameter::write_value(const float* in) { write_like_value(in, stored_value()); }

// The gradient has the value's layout (set_layout gives both the same).
void Parameter::read_grad(float* out) const { read_like_value(stored_grad(), out); }

std::vector<float> Parameter::value_values() const {
  std::vector<float> out(static_cast<size_t>(size_));
  read_value(out.data());
  return out;
}

std::vector<float> Parameter::grad_values() const {
  std::vector<float> out(static_cast<size_t>(size_));
  read_grad(out.data());
  return out;
}

const float* Parameter::plain_value() {
  if (plain_) return stored_value();
  value_to_plain_.execute(stream_);
  stream_.wait();
  return static_cast<const float*>(plain_value_.get_data_handle());
}

const float* Parameter::plain_grad() {
  if (plain_) return stored_grad();
  grad_to_plain_.execute(stream_);
  stream_.wait();
  return static_cast<const float*>(plain_grad_.get_data_handle());
}

}  // namespace gradstream::engine
