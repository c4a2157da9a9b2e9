// Allocation of trainable parameters in plain layout.
#include "engine/core/parameter.hpp"

#include <cstring>

namespace gradstream::engine {

namespace {
dnnl::memory::format_tag plain_tag(size_t rank) {
  using tag = dnnl::memory::format_tag;
  switch (rank) {
    case 1: return tag::a;
    case 2: return tag::ab;
    case 3: return tag::abc;
    default: return tag::abcd;
  }
}
}  // namespace

Parameter make_parameter(const dnnl::engine& eng, std::string layer, std::string name,
                         std::vector<int64_t> shape, bool decay) {
  Parameter p;
  p.layer = std::move(layer);
  p.name = std::move(name);
  p.shape = std::move(shape);
  p.decay = decay;
  dnnl::memory::desc md(dnnl::memory::dims(p.shape.begin(), p.shape.end()),
                        dnnl::memory::data_type::f32, plain_tag(p.shape.size()));
  p.value = dnnl::memory(md, eng);
  p.grad = dnnl::memory(md, eng);
  std::memset(p.data(), 0, sizeof(float) * p.size());
  std::memset(p.grad_data(), 0, sizeof(float) * p.size());
  return p;
}

}  // namespace gradstream::engine
