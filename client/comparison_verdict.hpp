// The verdict under `gradstream compare`'s table: which activation did best,
// and for each one that struggled, what the diagnostics say went wrong, with
// the numbers that show it. Text only; the CSV and JSON carry the raw rows.
#pragma once

#include <string>
#include <vector>

#include "client/comparison_table.hpp"

namespace gradstream::client {

// Accuracies this close to the best count as a tie.
inline constexpr double kVerdictTieAccuracy = 0.01;

// Lines (without indentation or newlines):
//   "best: tanh, test accuracy 0.8604 (leaky_relu 0.8591, relu 0.8550 within 0.01)"
//   "sigmoid: test accuracy 0.1000, 0.7604 behind tanh; vanishing gradients (8
//    warnings): first-layer gradient norm 0.0001295, 7725x smaller than tanh's"
// Runs are ranked by test accuracy when every successful run has one, else by
// train accuracy, else by final train loss (lower is better). Runs that did
// not succeed are left to the table, which gives their reasons. Empty when no
// run succeeded.
std::vector<std::string> comparison_verdict(const std::vector<ComparisonRow>& rows);

// The lines above under a "verdict:" heading, indented; "" when there are none.
std::string comparison_verdict_text(const std::vector<ComparisonRow>& rows);

}  // namespace gradstream::client
