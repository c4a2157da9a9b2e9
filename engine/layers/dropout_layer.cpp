// DropoutLayer: mask generation and binary_mul forward/backward.
#include "engine/layers/dropout_layer.hpp"

namespace gradstream::engine {

namespace {
// splitmix64 finaliser: a well-mixed 64-bit hash of a counter.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

dnnl::binary::primitive_desc mul_pd(const dnnl::memory::desc& md, const dnnl::engine& eng) {
  return {dnnl::binary::desc(dnnl::algorithm::binary_mul, md, md, md), eng};
}
}  // namespace

DropoutLayer::DropoutLayer(std::string name, const dnnl::memory& src, float rate, uint64_t seed,
                           bool training, const dnnl::engine& eng)
    : Layer(std::move(name)), eng_(eng), rate_(rate), seed_(seed), training_(training) {
  if (!training_) {
    dst_ = src;  // evaluation: identity, no copy
    return;
  }
  const dnnl::memory::desc md = src.get_desc();
  mask_ = dnnl::memory(md, eng);
  dst_ = dnnl::memory(md, eng);
  forward_ = PrimitiveCall(dnnl::binary(mul_pd(md, eng)),
                           {{DNNL_ARG_SRC_0, src}, {DNNL_ARG_SRC_1, mask_}, {DNNL_ARG_DST, dst_}});
}

dnnl::memory DropoutLayer::bind_backward(const dnnl::memory& diff_dst, bool needs_diff_src) {
  if (!needs_diff_src || !training_) return {};
  const dnnl::memory::desc md = diff_dst.get_desc();
  dnnl::memory diff_src(md, eng_);
  backward_ = PrimitiveCall(dnnl::binary(mul_pd(md, eng_)),
                            {{DNNL_ARG_SRC_0, diff_dst}, {DNNL_ARG_SRC_1, mask_},
                             {DNNL_ARG_DST, diff_src}});
  return diff_src;
}

void DropoutLayer::fill_mask() {
  float* mask = static_cast<float*>(mask_.get_data_handle());
  const auto& dims = mask_.get_desc().dims();
  const int64_t count = dims[0] * dims[1];
  const float keep_scale = 1.0F / (1.0F - rate_);
  // Keep when the top 24 bits of the hash fall at or above rate * 2^24.
  const auto threshold = static_cast<uint64_t>(static_cast<double>(rate_) * (1ULL << 24));
  const uint64_t base = mix(seed_ ^ mix(++calls_));
  for (int64_t i = 0; i < count; ++i) {
    mask[i] = (mix(base + static_cast<uint64_t>(i)) >> 40) >= threshold ? keep_scale : 0.0F;
  }
}

void DropoutLayer::forward(const dnnl::stream& stream) {
  if (!training_) return;
  fill_mask();
  forward_.execute(stream);
}

void DropoutLayer::backward(const dnnl::stream& stream) {
  if (!backward_.empty()) backward_.execute(stream);
}

}  // namespace gradstream::engine
