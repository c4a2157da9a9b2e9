// ChannelMaxima: global max pooling for images, row folds otherwise.
#include "engine/train/channel_maxima.hpp"

#include <algorithm>
#include <limits>

namespace gradstream::engine {

ChannelMaxima::ChannelMaxima(const Layer& layer, const dnnl::engine& eng)
    : layer_(layer),
      batch_(layer.dst().batch()),
      channels_(layer.dst().channels()),
      maxima_(static_cast<size_t>(channels_)) {
  const Tensor& dst = layer.dst();
  if (dst.shape().size() != 4) return;
  const Shape& dims = dst.shape();
  const dnnl::memory::desc pooled_md({dims[0], dims[1], 1, 1}, dnnl::memory::data_type::f32,
                                     dnnl::memory::format_tag::any);
  const dnnl::pooling_v2_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, dst.desc(), pooled_md,
      {dims[2], dims[3]}, {dims[2], dims[3]}, {0, 0}, {0, 0}, {0, 0});
  const dnnl::pooling_v2_forward::primitive_desc pd(desc, eng);
  pooled_ = dnnl::memory(pd.dst_desc(), eng);
  pool_ = PrimitiveCall(dnnl::pooling_v2_forward(pd),
                        {{DNNL_ARG_SRC, dst.memory()}, {DNNL_ARG_DST, pooled_}});
  // [N, C, 1, 1]: samples apart by the outer stride; channels plain or in one
  // inner block (nChw16c and kin).
  const dnnl_blocking_desc_t& blocking = pd.dst_desc().data.format_desc.blocking;
  sample_stride_ = blocking.strides[0];
  const bool channel_blocked = blocking.inner_nblks == 1 && blocking.inner_idxs[0] == 1;
  const int64_t block = channel_blocked ? blocking.inner_blks[0] : 1;
  for (int64_t c = 0; c < channels_; ++c) {
    channel_offset_.push_back(channel_blocked ? (c / block) * blocking.strides[1] + c % block
                                              : c * blocking.strides[1]);
  }
}

void ChannelMaxima::observe(Diagnostics& diagnostics, const dnnl::stream& stream) {
  const Tensor& dst = layer_.dst();
  if (pool_.empty()) {  // [N, units] (or another rank) in plain order
    diagnostics.observe_relu_output(layer_.name(), layer_.plain_dst(stream), batch_, channels_,
                                    dst.positions());
    return;
  }
  pool_.execute(stream);
  const float* pooled = static_cast<const float*>(pooled_.get_data_handle());
  std::fill(maxima_.begin(), maxima_.end(), -std::numeric_limits<float>::infinity());
  for (int64_t n = 0; n < batch_; ++n) {
    const float* sample = pooled + n * sample_stride_;
    for (int64_t c = 0; c < channels_; ++c) {
      maxima_[c] = std::max(maxima_[c], sample[channel_offset_[c]]);
    }
  }
  diagnostics.observe_channel_maxima(layer_.name(), maxima_.data(), channels_);
}

}  // namespace gradstream::engine
