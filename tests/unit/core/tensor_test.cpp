// Tensor, plain_desc and the layout helpers: what counts as plain, how many
// floats a blocked layout stores, reshaping a plain tensor without moving
// data, and LayoutConversion reordering only when the layouts differ.
#include "engine/core/tensor.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "engine/core/layout_conversion.hpp"
#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

class TensorTest : public ::testing::Test {
 protected:
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
};

TEST_F(TensorTest, PlainDescIsRowMajor) {
  EXPECT_TRUE(plain_desc({2, 3, 4}) == dnnl::memory::desc({2, 3, 4}, dt::f32, tag::abc));
  EXPECT_TRUE(is_plain(plain_desc({5})));
  EXPECT_TRUE(is_plain(dnnl::memory::desc({2, 3}, dt::f32, tag::ab)));
  EXPECT_FALSE(is_plain(dnnl::memory::desc({2, 3}, dt::f32, tag::ba)));
  EXPECT_FALSE(is_plain(dnnl::memory::desc({2, 32, 4, 4}, dt::f32, tag::nChw16c)));
}

TEST_F(TensorTest, KnowsItsShapeAndWhatItStores) {
  const Tensor t = Tensor::allocate(dnnl::memory::desc({2, 3, 4, 4}, dt::f32, tag::nChw16c), eng_);
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4, 4}));
  EXPECT_EQ(t.batch(), 2);
  EXPECT_EQ(t.channels(), 3);
  EXPECT_EQ(t.positions(), 16);
  EXPECT_EQ(t.elements(), 96);
  EXPECT_EQ(t.stored(), 2 * 16 * 16);  // channels padded to a block of 16
  EXPECT_FALSE(t.plain());
  for (int64_t i = 0; i < t.stored(); ++i) ASSERT_EQ(t.data()[i], 0.0F) << "allocate zeroes";
}

TEST_F(TensorTest, ReshapingAPlainTensorSharesItsBuffer) {
  const Tensor t = testing::plain_tensor(eng_, {2, 6}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  const Tensor r = t.reshaped({2, 2, 3});
  EXPECT_EQ(r.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(r.data(), t.data());
  EXPECT_THROW(t.reshaped({5, 2}), std::logic_error);  // 10 values, not 12
  const Tensor blocked = Tensor::allocate(dnnl::memory::desc({2, 6}, dt::f32, tag::ba), eng_);
  EXPECT_THROW(blocked.reshaped({12}), std::logic_error);
}

TEST_F(TensorTest, ConversionIsFreeWhenTheLayoutAlreadyFits) {
  const Tensor t = testing::plain_tensor(eng_, {2, 3}, {1, 2, 3, 4, 5, 6});
  const LayoutConversion same(t, plain_desc({2, 3}), eng_);
  EXPECT_FALSE(same.reorders());
  EXPECT_EQ(same.tensor().data(), t.data());
}

TEST_F(TensorTest, ConversionReordersIntoTheWantedLayout) {
  const Tensor t = testing::plain_tensor(eng_, {2, 3}, {1, 2, 3, 4, 5, 6});
  const LayoutConversion transposed(t, dnnl::memory::desc({2, 3}, dt::f32, tag::ba), eng_);
  ASSERT_TRUE(transposed.reorders());
  transposed.run(stream_);
  stream_.wait();
  // ba stores column by column: 1 4 2 5 3 6.
  const float* stored = transposed.tensor().data();
  EXPECT_EQ(std::vector<float>(stored, stored + 6), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(testing::read(transposed.tensor()), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST_F(TensorTest, PlainViewFollowsItsSourcesBuffer) {
  // A pipeline points its input at each batch in turn; a view of it must follow.
  std::vector<float> a = {1, 2, 3, 4};
  std::vector<float> b = {5, 6, 7, 8};
  const Tensor input(dnnl::memory(plain_desc({1, 4}), eng_, a.data()));
  const PlainView view(input, {1, 2, 2});
  view.sync();
  EXPECT_EQ(view.tensor().data(), a.data());
  input.memory().set_data_handle(b.data());
  view.sync();
  EXPECT_EQ(view.tensor().data(), b.data());
  EXPECT_EQ(view.tensor().shape(), (Shape{1, 2, 2}));
}

}  // namespace
}  // namespace gradstream::engine
