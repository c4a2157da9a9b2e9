// DropoutLayer: mask generation and binary_mul forward/backward.
#include "engine/layers/dropout/dropout_layer.hpp"

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

DropoutLayer::DropoutLayer(std::string name, const Tensor& src, float rate,
                           const LayerOptions& options, const dnnl::engine& eng)
    : Layer(std::move(name)),
      eng_(eng),
      rate_(rate),
      seed_(options.seed),
      training_(options.training) {
  if (!training_) {
    dst_ = src;  // evaluation: identity, no copy
    return;
  }
  const dnnl::memory::desc md = src.desc();
  mask_ = Tensor::allocate(md, eng);
  const int64_t rows = md.dims()[0];
  first_index_ = static_cast<uint64_t>(options.first_row * (mask_.stored() / rows));
  dst_ = Tensor::allocate(md, eng);
  forward_ = PrimitiveCall(dnnl::binary(mul_pd(md, eng)), {{DNNL_ARG_SRC_0, src.memory()},
                                                           {DNNL_ARG_SRC_1, mask_.memory()},
                                                           {DNNL_ARG_DST, dst_.memory()}});
}

Tensor DropoutLayer::bind_backward(const Tensor& diff_dst, bool needs_diff_src) {
  if (!needs_diff_src || !training_) return {};
  const dnnl::memory::desc md = mask_.desc();
  diff_dst_ = LayoutConversion(diff_dst, md, eng_);
  const Tensor diff_src = Tensor::allocate(md, eng_);
  backward_ =
      PrimitiveCall(dnnl::binary(mul_pd(md, eng_)), {{DNNL_ARG_SRC_0, diff_dst_.tensor().memory()},
                                                     {DNNL_ARG_SRC_1, mask_.memory()},
                                                     {DNNL_ARG_DST, diff_src.memory()}});
  return diff_src;
}

void DropoutLayer::fill_mask() {
  float* mask = mask_.data();
  const int64_t count = mask_.stored();  // padding too: it multiplies zeros
  const float keep_scale = 1.0F / (1.0F - rate_);
  // Keep when the top 24 bits of the hash fall at or above rate * 2^24.
  const auto threshold = static_cast<uint64_t>(static_cast<double>(rate_) * (1ULL << 24));
  const uint64_t base = mix(seed_ ^ mix(++calls_)) + first_index_;
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
  if (backward_.empty()) return;
  diff_dst_.run(stream);
  backward_.execute(stream);
}

}  // namespace gradstream::engine
