// LayoutConversion: a tensor in the layout a primitive wants. When the tensor
// already has it, the conversion is the tensor itself and costs nothing; else it
// owns a buffer in the wanted layout and a reorder, built once, that fills it.
// Layers convert what they consume (src in forward, diff_dst in backward), so a
// reorder runs only where a consumer wants another layout than its producer wrote.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/core/primitive_call.hpp"
#include "engine/core/tensor.hpp"

namespace gradstream::engine {

class LayoutConversion {
 public:
  LayoutConversion() = default;
  LayoutConversion(const Tensor& from, const dnnl::memory::desc& wanted, const dnnl::engine& eng);

  const Tensor& tensor() const { return to_; }
  bool reorders() const { return !reorder_.empty(); }
  // Fills tensor() from the source; nothing when no reorder is needed.
  void run(const dnnl::stream& stream) const {
    if (!reorder_.empty()) reorder_.execute(stream);
  }

 private:
  Tensor to_;
  PrimitiveCall reorder_;
};

// A plain tensor seen with other dims (a flatten or a reshape): the same
// buffer, so nothing moves. The source's buffer can be swapped between steps
// (the pipeline points its input at each batch), so `sync` re-reads it; call
// it before each use (a view never made syncs nothing).
class PlainView {
 public:
  PlainView() = default;
  PlainView(const Tensor& source, const Shape& dims);

  const Tensor& tensor() const { return view_; }
  void sync() const {
    if (view_ && view_.data() != source_.data()) view_.memory().set_data_handle(source_.data());
  }

 private:
  Tensor source_;
  Tensor view_;
};

}  // namespace gradstream::engine
