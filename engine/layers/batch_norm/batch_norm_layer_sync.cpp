// BatchNormLayer with synchronised statistics: the forward that normalizes
// with the ranks' merged statistics, and the correction that makes this
// rank's diff_src the global batch's (the formulas: batch_norm_layer.hpp).
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/layers/batch_norm/batch_norm_layer.hpp"

namespace gradstream::engine {

namespace {

using Tag = dnnl::memory::format_tag;

// [1, C, 1, ...]: one value per channel, in the layout of `src` (plain,
// channels-last or channel-blocked), which oneDNN's jit binary kernel wants
// of a broadcast operand; another layout would fall back to its reference
// kernel. A layout not listed gets the plain one: right, only slower.
dnnl::memory::desc per_channel(const dnnl::memory::desc& src) {
  const dnnl::memory::dims dims = src.dims();
  dnnl::memory::dims channel(dims.size(), 1);
  channel[1] = dims[1];
  static const std::vector<std::vector<Tag>> kTags = {
      {Tag::ab},
      {Tag::abc, Tag::acb, Tag::aBc16b, Tag::aBc8b, Tag::aBc4b},
      {Tag::abcd, Tag::acdb, Tag::aBcd16b, Tag::aBcd8b, Tag::aBcd4b},
      {Tag::abcde, Tag::acdeb, Tag::aBcde16b, Tag::aBcde8b, Tag::aBcde4b}};
  const size_t rank = dims.size();
  if (rank >= 2 && rank - 2 < kTags.size()) {
    for (const Tag tag : kTags[rank - 2]) {
      if (dnnl::memory::desc(dims, dnnl::memory::data_type::f32, tag) == src) {
        return {channel, dnnl::memory::data_type::f32, tag};
      }
    }
  }
  return plain_desc(channel);
}

}  // namespace

void BatchNormLayer::build_synced_forward(std::unordered_map<int, dnnl::memory> args) {
  // The same call with the statistics as inputs: mean_ and variance_ then hold
  // the merged ones. Its workspace (the ReLU mask) is the one backward reads.
  const dnnl::batch_normalization_forward::desc desc(
      dnnl::prop_kind::forward_training, src_.desc(), state_.epsilon,
      flags(true) | dnnl::normalization_flags::use_global_stats);
  const dnnl::batch_normalization_forward::primitive_desc pd(desc, eng_);
  synced_forward_ = PrimitiveCall(dnnl::batch_normalization_forward(pd), std::move(args));
}

void BatchNormLayer::forward_synced(const dnnl::stream& stream) {
  forward_.execute(stream);  // this rank's statistics into mean_ and variance_
  global_count_ = synced_->merge(src_.elements() / src_.channels(),
                                 static_cast<float*>(mean_.get_data_handle()),
                                 static_cast<float*>(variance_.get_data_handle()));
  synced_forward_.execute(stream);
  update_running_statistics(global_count_);
}

void BatchNormLayer::bind_synced_backward(const Tensor& diff_src) {
  const dnnl::memory::desc channel_desc = per_channel(src_.desc());
  // Channel c is element c in each of those layouts; the padding of a
  // blocked one stays zero, as oneDNN expects of padded channels.
  correction_scale_ = dnnl::memory(channel_desc, eng_);
  correction_shift_ = dnnl::memory(channel_desc, eng_);
  std::memset(correction_scale_.get_data_handle(), 0, channel_desc.get_size());
  std::memset(correction_shift_.get_data_handle(), 0, channel_desc.get_size());
  // diff_src = x * s, then + t (per channel), then + what diff_src held
  // (oneDNN's backward writes it first): a sum post-op, which keeps the jit
  // kernel on blocked layouts (a full-tensor binary post-op would not).
  dnnl::post_ops ops;
  ops.append_binary(dnnl::algorithm::binary_add, channel_desc);
  ops.append_sum(1.0F);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const dnnl::binary::desc desc(dnnl::algorithm::binary_mul, src_.desc(), channel_desc,
                                diff_src.desc());
  const dnnl::binary::primitive_desc pd(desc, attr, eng_);
  correct_ = PrimitiveCall(
      dnnl::binary(pd), {{DNNL_ARG_SRC_0, src_.memory()},
                         {DNNL_ARG_SRC_1, correction_scale_},
                         {DNNL_ARG_DST, diff_src.memory()},
                         {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, correction_shift_}});
}

void BatchNormLayer::backward_synced(const dnnl::stream& stream) {
  const float* local_shift = static_cast<const float*>(diff_shift_.get_data_handle());
  const float* local_scale = static_cast<const float*>(diff_scale_.get_data_handle());
  const double* sums = synced_->sum_gradients(local_shift, local_scale);
  const int64_t channels = src_.channels();
  const double local_n = static_cast<double>(src_.elements() / channels);
  const double global_n = static_cast<double>(global_count_);
  const float* scale = static_cast<const float*>(scale_.get_data_handle());
  const float* mean = static_cast<const float*>(mean_.get_data_handle());
  const float* variance = static_cast<const float*>(variance_.get_data_handle());
  float* s = static_cast<float*>(correction_scale_.get_data_handle());
  float* t = static_cast<float*>(correction_shift_.get_data_handle());
  for (int64_t c = 0; c < channels; ++c) {
    const double inv_std = 1.0 / std::sqrt(static_cast<double>(variance[c]) + state_.epsilon);
    const double k = scale[c] * inv_std;
    const double shift_term = local_shift[c] / local_n - sums[c] / global_n;
    const double scale_term = local_scale[c] / local_n - sums[channels + c] / global_n;
    const double slope = k * inv_std * scale_term;
    s[c] = static_cast<float>(slope);
    t[c] = static_cast<float>(k * shift_term - slope * mean[c]);
  }
  correct_.execute(stream);
}

}  // namespace gradstream::engine
