// output_units and check_classes_fit: the class count a model's output can
// take under each loss, with both numbers in the message.
#include "engine/spec/label_fit.hpp"

#include <gtest/gtest.h>

namespace gradstream::engine {
namespace {

v1::TrainingSpec spec_with_output(uint32_t units, v1::Loss loss) {
  v1::TrainingSpec spec;
  spec.mutable_model()->add_input_shape(2);
  spec.mutable_model()->add_input_shape(3);
  spec.mutable_model()->add_layers()->mutable_flatten();
  spec.mutable_model()->add_layers()->mutable_dense()->set_units(units);
  spec.set_loss(loss);
  return spec;
}

TEST(LabelFitTest, OutputUnitsOfTheLastLayer) {
  EXPECT_EQ(output_units(spec_with_output(7, v1::LOSS_UNSPECIFIED)), 7);
}

TEST(LabelFitTest, OutputUnitsOfAnInvalidModelAreZero) {
  v1::TrainingSpec spec = spec_with_output(7, v1::LOSS_UNSPECIFIED);
  spec.mutable_model()->clear_layers();  // [2, 3] out: not one dimension
  EXPECT_EQ(output_units(spec), 0);
}

TEST(LabelFitTest, CrossEntropyNeedsAUnitPerClass) {
  const v1::TrainingSpec spec = spec_with_output(3, v1::LOSS_UNSPECIFIED);
  EXPECT_TRUE(check_classes_fit(spec, 3, 3).ok());
  EXPECT_TRUE(check_classes_fit(spec, 2, 3).ok());
  const Status status = check_classes_fit(spec, 10, 3);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "model.layers: the output has 3 units but the data has 10 classes");
}

TEST(LabelFitTest, BinaryCrossEntropyOnOneLogitNeedsTwoClasses) {
  const v1::TrainingSpec spec = spec_with_output(1, v1::BCE_WITH_LOGITS);
  EXPECT_TRUE(check_classes_fit(spec, 2, 1).ok());
  EXPECT_EQ(check_classes_fit(spec, 3, 1).message(),
            "loss: BCE_WITH_LOGITS with one output unit needs labels 0 and 1, the data has 3 "
            "classes");
}

TEST(LabelFitTest, OneHotTargetsNeedAUnitPerClass) {
  const v1::TrainingSpec spec = spec_with_output(4, v1::MSE);
  EXPECT_TRUE(check_classes_fit(spec, 4, 4).ok());
  EXPECT_EQ(check_classes_fit(spec, 5, 4).message(),
            "model.layers: the output has 4 units, too few for one-hot targets of 5 classes");
}

}  // namespace
}  // namespace gradstream::engine
