// The shared field checks: which floats a Range holds at its open and closed
// ends (never NaN), how a Range and an out-of-range value are printed, counts
// with inclusive bounds, enums given a number the proto does not define,
// required strings, and first_error's order. Every message is written out as
// field_checks.hpp documents it: "<field path>: <what is wrong>".
#include "engine/base/field_checks.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

constexpr Range kClosed{0.0f, 1.0f, false, false};   // [0, 1]
constexpr Range kOpen{0.0f, 1.0f, true, true};       // (0, 1)
constexpr Range kOpenHigh{0.0f, 1.0f, false, true};  // [0, 1)
constexpr Range kOpenLow{0.0f, 10.0f, true, false};  // (0, 10]

// The float next to x, towards `to`.
float next(float x, float to) { return std::nextafter(x, to); }

// ----- contains --------------------------------------------------------------

TEST(FieldChecksTest, ClosedRangeHoldsBothEndsAndNothingBeyond) {
  EXPECT_TRUE(contains(kClosed, 0.0f));
  EXPECT_TRUE(contains(kClosed, 0.5f));
  EXPECT_TRUE(contains(kClosed, 1.0f));
  EXPECT_FALSE(contains(kClosed, next(0.0f, -1.0f)));
  EXPECT_FALSE(contains(kClosed, next(1.0f, 2.0f)));
}

TEST(FieldChecksTest, OpenRangeHoldsWhatLiesStrictlyBetweenItsEnds) {
  EXPECT_FALSE(contains(kOpen, 0.0f));
  EXPECT_FALSE(contains(kOpen, 1.0f));
  EXPECT_TRUE(contains(kOpen, next(0.0f, 1.0f)));
  EXPECT_TRUE(contains(kOpen, next(1.0f, 0.0f)));
}

TEST(FieldChecksTest, HalfOpenRangesHoldOnlyTheirClosedEnd) {
  EXPECT_TRUE(contains(kOpenHigh, 0.0f));
  EXPECT_FALSE(contains(kOpenHigh, 1.0f));
  EXPECT_TRUE(contains(kOpenHigh, next(1.0f, 0.0f)));
  EXPECT_FALSE(contains(kOpenLow, 0.0f));
  EXPECT_TRUE(contains(kOpenLow, 10.0f));
  EXPECT_FALSE(contains(kOpenLow, next(10.0f, 11.0f)));
}

TEST(FieldChecksTest, NoRangeHoldsNaN) {
  for (const Range& r : {kClosed, kOpen, kOpenHigh, kOpenLow}) {
    EXPECT_FALSE(contains(r, kNaN)) << describe(r);
    EXPECT_FALSE(contains(r, -kNaN)) << describe(r);
  }
}

TEST(FieldChecksTest, InfinitiesLieOutsideAFiniteRange) {
  EXPECT_FALSE(contains(kClosed, kInf));
  EXPECT_FALSE(contains(kClosed, -kInf));
}

// ----- describe ----------------------------------------------------------------

TEST(FieldChecksTest, DescribePrintsEachEndWithItsBracket) {
  EXPECT_EQ(describe(kClosed), "[0, 1]");
  EXPECT_EQ(describe(kOpen), "(0, 1)");
  EXPECT_EQ(describe(kOpenHigh), "[0, 1)");
  EXPECT_EQ(describe(kOpenLow), "(0, 10]");
  EXPECT_EQ(describe(Range{0.01f, 10.0f, false, false}), "[0.01, 10]");
  EXPECT_EQ(describe(Range{-1.5f, 1e-8f, true, false}), "(-1.5, 1e-08]");
}

// ----- out_of_range and check_float --------------------------------------------

TEST(FieldChecksTest, OutOfRangeNamesFieldValueAndRange) {
  const Status s = out_of_range("model.layers[1].dense.activation.alpha", 3.5f, kClosed);

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "model.layers[1].dense.activation.alpha: 3.5 is out of range [0, 1]");
}

TEST(FieldChecksTest, OutOfRangeAppendsTheNote) {
  const Status s =
      out_of_range("optimizer.learning_rate", -1.0f, kOpenLow, " (0 selects a default)");

  EXPECT_EQ(s.message(),
            "optimizer.learning_rate: -1 is out of range (0, 10] (0 selects a default)");
}

TEST(FieldChecksTest, CheckFloatPassesInsideAndNamesTheValueOutside) {
  EXPECT_TRUE(check_float("rate", 0.0f, kOpenHigh).ok());
  EXPECT_EQ(check_float("rate", 1.0f, kOpenHigh).message(), "rate: 1 is out of range [0, 1)");
  EXPECT_EQ(check_float("rate", kNaN, kOpenHigh).message(), "rate: nan is out of range [0, 1)");
  EXPECT_EQ(check_float("rate", -kInf, kOpenHigh).message(), "rate: -inf is out of range [0, 1)");
}

TEST(FieldChecksTest, CheckOptionalLooksOnlyAtAPresentValue) {
  EXPECT_TRUE(check_optional("beta1", /*present=*/false, 7.0f, kOpenHigh).ok());
  EXPECT_TRUE(check_optional("beta1", /*present=*/true, 0.9f, kOpenHigh).ok());
  EXPECT_EQ(check_optional("beta1", /*present=*/true, 7.0f, kOpenHigh).message(),
            "beta1: 7 is out of range [0, 1)");
}

// ----- check_count -------------------------------------------------------------

TEST(FieldChecksTest, CheckCountHoldsBothBounds) {
  EXPECT_TRUE(check_count("epochs", 1, 1, 10000).ok());
  EXPECT_TRUE(check_count("epochs", 10000, 1, 10000).ok());
  EXPECT_EQ(check_count("epochs", 0, 1, 10000).message(), "epochs: 0 is out of range [1, 10000]");
  EXPECT_EQ(check_count("epochs", 10001, 1, 10000).message(),
            "epochs: 10001 is out of range [1, 10000]");
}

TEST(FieldChecksTest, CheckCountPrintsTheWholeUnsignedValue) {
  const Status s = check_count("threads", std::numeric_limits<uint64_t>::max(), 0, 256);

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "threads: 18446744073709551615 is out of range [0, 256]");
}

// ----- check_enum --------------------------------------------------------------

TEST(FieldChecksTest, CheckEnumAcceptsEveryDefinedValue) {
  for (int value : {0, 1, 2, 3}) {  // the four values of Loss in spec.proto
    EXPECT_TRUE(check_enum("loss", value, v1::Loss_descriptor()).ok()) << value;
  }
}

TEST(FieldChecksTest, CheckEnumNamesAnUnknownValueAndListsTheKnownNames) {
  const Status s = check_enum("loss", 42, v1::Loss_descriptor());

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  // The names in the order spec.proto declares them.
  EXPECT_EQ(s.message(),
            "loss: unknown value 42 (known: LOSS_UNSPECIFIED, SOFTMAX_CROSS_ENTROPY, MSE, "
            "BCE_WITH_LOGITS)");
}

TEST(FieldChecksTest, CheckEnumRejectsANegativeNumber) {
  EXPECT_EQ(check_enum("model.init", -3, v1::Initializer_descriptor()).message(),
            "model.init: unknown value -3 (known: INITIALIZER_UNSPECIFIED, GLOROT_UNIFORM, "
            "GLOROT_NORMAL, HE_UNIFORM, HE_NORMAL, LECUN_UNIFORM, LECUN_NORMAL)");
}

// ----- non_empty ---------------------------------------------------------------

TEST(FieldChecksTest, NonEmptyRejectsOnlyTheEmptyString) {
  EXPECT_TRUE(non_empty("data.builtin", "fashion-mnist").ok());
  EXPECT_TRUE(non_empty("data.builtin", " ").ok());
  const Status s = non_empty("data.builtin", "");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "data.builtin: must not be empty");
}

// ----- first_error -------------------------------------------------------------

TEST(FieldChecksTest, FirstErrorIsOkWhenEveryCheckPasses) {
  EXPECT_TRUE(first_error({}).ok());
  EXPECT_TRUE(first_error({ok_status(), ok_status()}).ok());
}

TEST(FieldChecksTest, FirstErrorReturnsTheEarliestFailureInListOrder) {
  const Status s =
      first_error({ok_status(), invalid_argument("b: second"), ok_status(), not_found("c: third")});

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "b: second");
}

TEST(FieldChecksTest, FirstErrorKeepsTheFailuresCode) {
  const Status s = first_error({not_found("a: first"), invalid_argument("b: second")});

  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "a: first");
}

TEST(FieldChecksTest, NameAcceptsTheWholeAllowedSetUpToTheLimit) {
  EXPECT_TRUE(check_name("name", "").ok());  // optional names
  EXPECT_TRUE(check_name("name", "AZaz09._-").ok());
  EXPECT_TRUE(check_name("name", std::string(64, 'a')).ok());
  EXPECT_EQ(check_name("name", std::string(65, 'a')).message(),
            "name: 65 characters, at most 64 characters of [A-Za-z0-9._-]");
}

TEST(FieldChecksTest, NameShowsAControlByteAsHex) {
  const Status s = check_name("header.name", std::string("ab\x7f", 3));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "header.name: character 2 (0x7f) is not allowed; a name is at most 64 characters of "
            "[A-Za-z0-9._-]");
}

TEST(FieldChecksTest, LengthCountsBytes) {
  EXPECT_TRUE(check_length("p", "abcd", 4).ok());
  EXPECT_EQ(check_length("p", "abcde", 4).message(), "p: 5 bytes, at most 4");
}

TEST(FieldChecksTest, FiniteNamesTheFirstNonFiniteValue) {
  const float values[] = {1.0f, -2.5f, std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
  EXPECT_TRUE(check_finite("inputs", values, 2).ok());
  const Status s = check_finite("inputs", values, 4);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "inputs[2]: inf is not a finite number");
}

}  // namespace
}  // namespace gradstream::engine
