// Window2D: the geometry of a 2-D window sliding over [C, H, W] samples
// (convolution, pooling): kernel, stride, dilation and padding on each side,
// checked against the input, with the output size it gives.
//   extent = (kernel - 1) * dilation + 1
//   out    = (in + pad_begin + pad_end - extent) / stride + 1      (explicit, VALID)
//   SAME:  out = ceil(in / stride), padded evenly, the odd pixel at the end
#pragma once

#include <google/protobuf/repeated_field.h>

#include <array>
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "engine/base/status.hpp"
#include "engine/core/shape.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

inline constexpr uint32_t kMaxWindow = 255;  // kernel, stride, dilation, padding

struct Window2D {
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> dilation{1, 1};  // 1: no holes
  std::array<int64_t, 2> pad_begin{0, 0};
  std::array<int64_t, 2> pad_end{0, 0};
  std::array<int64_t, 2> output{1, 1};  // [H', W']

  int64_t extent(int axis) const { return (kernel[axis] - 1) * dilation[axis] + 1; }
  // As oneDNN's descriptors take them (its dilation counts the holes: d - 1).
  dnnl::memory::dims kernel_dims() const { return {kernel[0], kernel[1]}; }
  dnnl::memory::dims strides() const { return {stride[0], stride[1]}; }
  dnnl::memory::dims holes() const { return {dilation[0] - 1, dilation[1] - 1}; }
  dnnl::memory::dims padding_begin() const { return {pad_begin[0], pad_begin[1]}; }
  dnnl::memory::dims padding_end() const { return {pad_end[0], pad_end[1]}; }
};

// The window fields of a spec message, and where they are.
struct WindowFields {
  const std::string& path;  // "model.layers[0].conv2d"
  const google::protobuf::RepeatedField<uint32_t>& kernel;
  const google::protobuf::RepeatedField<uint32_t>& stride;
  const google::protobuf::RepeatedField<uint32_t>& padding;
  v1::PaddingMode padding_mode;
  const google::protobuf::RepeatedField<uint32_t>* dilation;  // null: no dilation field
  bool stride_defaults_to_kernel;                             // pooling's default
};

// Checks the fields against an input of spatial size [h, w] and returns the
// window; errors name the field, e.g. "model.layers[0].conv2d.kernel: [5, 5]
// spans 5 x 5, larger than the input [3, 3] padded by [0, 0]".
Result<Window2D> make_window(const WindowFields& fields, int64_t h, int64_t w);

// The [C, H, W] an image layer reads from `input`: itself, or [1, H, W] for
// [H, W]; invalid_argument naming `path` for any other rank.
Result<Shape> image_shape(const std::string& path, const Shape& input);

}  // namespace gradstream::engine
