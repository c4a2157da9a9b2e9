// The operations of a formula, shared by the expression graph and the kernels
// (which include nothing else, so they can be compiled for one ISA each).
#pragma once

#include <cstdint>

namespace gradstream::engine::formula {

enum class Op : uint8_t {
  // leaves
  kConstant,  // value
  kInput,     // input variable `index`: 0 is x; parameters are 1, 2, ...
  // one argument
  kNeg,
  kExp,
  kLog,
  kLog1p,
  kSqrt,
  kAbs,
  kSin,
  kCos,
  kTanh,
  kSigmoid,
  kRelu,
  kSoftplus,
  kErf,
  kSign,   // -1, 0 or 1 (abs's derivative)
  kCopy,   // the argument itself (a program output that is an input)
  kPower,  // a ^ value, value a constant
  // two arguments
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMin,
  kMax,
  kLess,  // comparisons give 1 or 0
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kEqual,
  kNotEqual,
  // three arguments
  kWhere,  // where(a != 0, b, c)
  kClip,   // min(max(a, b), c)
};

inline int arity(Op op) {
  if (op == Op::kConstant || op == Op::kInput) return 0;
  if (op < Op::kAdd) return 1;
  if (op < Op::kWhere) return 2;
  return 3;
}

inline bool is_comparison(Op op) { return op >= Op::kLess && op <= Op::kNotEqual; }

}  // namespace gradstream::engine::formula
