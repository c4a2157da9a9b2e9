// Fuzzes formula activations as a spec's activation.formula is checked:
// Formula::compile parses the text, differentiates it in x and each learnable
// parameter, builds the three programs and runs them over the probe grid.
// The names are two constants and two learnable parameters, so every kind of
// name the grammar knows can appear.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/formula/formula.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using gradstream::engine::formula::Formula;
  using gradstream::engine::formula::FormulaNames;
  static const FormulaNames names{{{"alpha", 1.6732632423543772}, {"lambda", 1.0507009873554805}},
                                  {"a", "b"}};
  static constexpr std::array<float, 2> kParameterValues{0.25f, 1.0f};
  Formula::compile(std::string_view(reinterpret_cast<const char*>(data), size), names,
                   kParameterValues);
  return 0;
}
