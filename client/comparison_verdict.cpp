// comparison_verdict: ranks the successful runs on one figure and explains
// the ones that lag with their diagnostics' counts and figures.
#include "client/comparison_verdict.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "client/printf_text.hpp"

namespace gradstream::client {

namespace {

// What the runs are ranked on.
struct Ranking {
  const char* name;                             // "test accuracy"
  std::optional<double> ComparisonRow::*field;  // the figure
  bool higher_is_better;
};

constexpr Ranking kRankings[] = {
    {"test accuracy", &ComparisonRow::test_accuracy, true},
    {"train accuracy", &ComparisonRow::train_accuracy, true},
    {"train loss", &ComparisonRow::final_train_loss, false},
};

std::string fixed(double value, int digits) { return printf_text("%.*f", digits, value); }

std::string general(double value) { return printf_text("%.4g", value); }

std::string count_of(int n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// "vanishing gradients (8 warnings): first-layer gradient norm 0.0001295, 7725x
// smaller than tanh's" and the like, one clause per warning kind.
std::string explain_warnings(const ComparisonRow& row, const ComparisonRow& best) {
  std::string out;
  for (const auto& [kind, n] : row.warnings) {
    if (!out.empty()) out += "; ";
    const std::string counted = " (" + count_of(n, "warning") + ")";
    if (kind == "vanishing_gradient") {
      out += "vanishing gradients" + counted;
      if (row.first_layer_gradient_norm) {
        out += ": first-layer gradient norm " + general(*row.first_layer_gradient_norm);
        if (&row != &best && best.first_layer_gradient_norm && *row.first_layer_gradient_norm > 0 &&
            *best.first_layer_gradient_norm > *row.first_layer_gradient_norm) {
          out += ", " + general(*best.first_layer_gradient_norm / *row.first_layer_gradient_norm) +
                 "x smaller than " + best.activation + "'s";
        }
      }
    } else if (kind == "dead_relu") {
      out += "dying ReLU" + counted;
      if (row.mean_dead_fraction)
        out += ": " + fixed(*row.mean_dead_fraction, 3) + " of units dead";
    } else if (kind == "dead_units") {
      out += "dead units" + counted;
      if (row.mean_dead_fraction) {
        out += ": " + fixed(*row.mean_dead_fraction, 3) + " of units without slope";
      }
    } else if (kind == "saturation") {
      out += "saturation" + counted;
      if (row.mean_saturated_fraction) {
        out += ": " + fixed(*row.mean_saturated_fraction, 3) + " of outputs in the flat tails";
      }
    } else if (kind == "exploding_gradient") {
      out += "exploding gradients" + counted;
    } else if (kind == "non_finite") {
      out += "non-finite values" + counted;
    } else {
      out += kind + counted;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> comparison_verdict(const std::vector<ComparisonRow>& rows) {
  std::vector<const ComparisonRow*> succeeded;
  for (const ComparisonRow& row : rows) {
    if (row.state == gradstream::v1::SUCCEEDED) succeeded.push_back(&row);
  }
  if (succeeded.empty()) return {};
  const Ranking* ranking = nullptr;
  for (const Ranking& candidate : kRankings) {
    if (std::all_of(succeeded.begin(), succeeded.end(), [&](const ComparisonRow* row) {
          const auto& value = row->*candidate.field;
          return value.has_value() && std::isfinite(*value);
        })) {
      ranking = &candidate;
      break;
    }
  }
  if (ranking == nullptr) return {};
  auto figure = [&](const ComparisonRow& row) { return *(row.*ranking->field); };
  // How far behind the best a run is: positive, whichever way the figure points.
  auto lag = [&](double best, double value) {
    return ranking->higher_is_better ? best - value : value - best;
  };
  const ComparisonRow& best = **std::min_element(
      succeeded.begin(), succeeded.end(), [&](const ComparisonRow* a, const ComparisonRow* b) {
        return lag(figure(*b), figure(*a)) < 0;  // a is better than b
      });

  std::string ties;
  for (const ComparisonRow* row : succeeded) {
    if (row == &best || !ranking->higher_is_better) continue;
    if (lag(figure(best), figure(*row)) <= kVerdictTieAccuracy) {
      ties += (ties.empty() ? "" : ", ") + row->activation + " " + fixed(figure(*row), 4);
    }
  }
  std::vector<std::string> lines;
  lines.push_back(
      "best: " + best.activation + ", " + ranking->name + " " + fixed(figure(best), 4) +
      (ties.empty() ? "" : " (" + ties + " within " + fixed(kVerdictTieAccuracy, 2) + ")"));
  for (const ComparisonRow* row : succeeded) {
    const double behind = lag(figure(best), figure(*row));
    const bool tied = ranking->higher_is_better && behind <= kVerdictTieAccuracy;
    if (row->warnings.empty() && (row == &best || tied)) continue;
    std::string line = row->activation + ": " + ranking->name + " " + fixed(figure(*row), 4);
    if (row != &best && !tied) line += ", " + fixed(behind, 4) + " behind " + best.activation;
    if (!row->warnings.empty()) line += "; " + explain_warnings(*row, best);
    lines.push_back(line);
  }
  return lines;
}

std::string comparison_verdict_text(const std::vector<ComparisonRow>& rows) {
  const std::vector<std::string> lines = comparison_verdict(rows);
  if (lines.empty()) return "";
  std::string out = "\nverdict:\n";
  for (const std::string& line : lines) out += "  " + line + "\n";
  return out;
}

}  // namespace gradstream::client
