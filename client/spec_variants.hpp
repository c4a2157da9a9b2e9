// Variants of one spec that differ only in their hidden activations, for
// `gradstream compare`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gradstream/v1/spec.pb.h"

namespace gradstream::client {

// Replaces every hidden activation of `spec` with a fresh one (alpha, beta,
// constants and parameters dropped, so the new activation gets its defaults)
// and returns how many it replaced. `activation` is a catalog name when it is
// a plain name other than x ("relu", "leaky_relu"), else a formula of x
// ("x * sigmoid(x)", "relu(x) + 0.1 * cos(x)", "x"). Seed, data and everything else stay as they
// are.
//
// Hidden means before the model's last Dense layer: the `activation` of every
// Dense layer but the last, and every standalone activation layer. The last
// Dense layer and anything after it form the output and are kept; softmax and
// log_softmax (output-layer activations) are never replaced. A Dense layer
// without an activation stays linear: adding one there could stack two
// activations when a standalone activation layer follows it.
size_t replace_hidden_activations(const std::string& activation,
                                  gradstream::v1::TrainingSpec* spec);

// Splits `--activations` text at the commas outside parentheses, so formulas
// keep theirs: "relu,max(x, 0.1 * x)" is {"relu", "max(x, 0.1 * x)"}. Items
// are trimmed of surrounding spaces.
std::vector<std::string> split_activation_list(const std::string& text);

}  // namespace gradstream::client
