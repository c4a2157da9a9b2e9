// LayoutConversion and PlainView.
#include "engine/core/layout_conversion.hpp"

namespace gradstream::engine {

LayoutConversion::LayoutConversion(const Tensor& from, const dnnl::memory::desc& wanted,
                                   const dnnl::engine& eng) {
  if (from.desc() == wanted) {
    to_ = from;
    return;
  }
  to_ = Tensor::allocate(wanted, eng);
  reorder_ = PrimitiveCall(dnnl::reorder(from.memory(), to_.memory()),
                           {{DNNL_ARG_FROM, from.memory()}, {DNNL_ARG_TO, to_.memory()}});
}

PlainView::PlainView(const Tensor& source, const Shape& dims)
    : source_(source), view_(source.reshaped(dims)) {}

}  // namespace gradstream::engine
