// Layer::plain_dst: the row-major copy statistics read.
#include "engine/core/layer.hpp"

namespace gradstream::engine {

const float* Layer::plain_dst(const dnnl::stream& stream) const {
  if (dst_.plain()) return dst_.data();
  if (!plain_dst_.tensor()) {
    plain_dst_ = LayoutConversion(dst_, plain_desc(dst_.shape()), dst_.memory().get_engine());
  }
  plain_dst_.run(stream);  // the CPU engine runs primitives synchronously
  return plain_dst_.tensor().data();
}

}  // namespace gradstream::engine
