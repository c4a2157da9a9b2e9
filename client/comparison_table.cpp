// Folding a job's events into a comparison row, and the row printers.
#include "client/comparison_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "client/job_format.hpp"
#include "client/printf_text.hpp"
#include "engine/base/json_text.hpp"

namespace gradstream::client {

namespace {

using engine::json_quoted;
using Value = std::optional<double>;

// One column of the table, declared once for all three formats.
struct Column {
  const char* text_header;
  const char* csv_header;
  const char* json_key;
  const char* text_pattern;  // printf pattern of a number in text; nullptr for strings
  std::function<std::string(const ComparisonRow&)> text_of;  // strings only
  std::function<Value(const ComparisonRow&)> value_of;       // numbers only
};

const std::vector<Column>& columns() {
  static const std::vector<Column> kColumns = {
      {"activation", "activation", "activation", nullptr,
       [](const ComparisonRow& r) { return r.activation; }, nullptr},
      {"job", "job_id", "jobId", nullptr, [](const ComparisonRow& r) { return r.job_id; }, nullptr},
      {"state", "state", "state", nullptr,
       [](const ComparisonRow& r) { return job_state_name(r.state); }, nullptr},
      {"train loss", "final_train_loss", "finalTrainLoss", "%.4f", nullptr,
       [](const ComparisonRow& r) { return r.final_train_loss; }},
      {"train acc", "train_accuracy", "trainAccuracy", "%.4f", nullptr,
       [](const ComparisonRow& r) { return r.train_accuracy; }},
      {"test acc", "test_accuracy", "testAccuracy", "%.4f", nullptr,
       [](const ComparisonRow& r) { return r.test_accuracy; }},
      {"time s", "seconds", "seconds", "%.1f", nullptr,
       [](const ComparisonRow& r) { return r.seconds; }},
      {"samples/s", "samples_per_second", "samplesPerSecond", "%.0f", nullptr,
       [](const ComparisonRow& r) { return r.samples_per_second; }},
      {"dead", "mean_dead_fraction", "meanDeadFraction", "%.3f", nullptr,
       [](const ComparisonRow& r) { return r.mean_dead_fraction; }},
      {"saturated", "mean_saturated_fraction", "meanSaturatedFraction", "%.3f", nullptr,
       [](const ComparisonRow& r) { return r.mean_saturated_fraction; }},
      {"grad norm (1st)", "first_layer_gradient_norm", "firstLayerGradientNorm", "%.4g", nullptr,
       [](const ComparisonRow& r) { return r.first_layer_gradient_norm; }},
      {"warnings", "warnings", "warnings", nullptr,
       [](const ComparisonRow& r) { return warnings_summary(r.warnings); }, nullptr},
  };
  return kColumns;
}

std::string number_text(const char* pattern, double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return printf_text(pattern, value);
}

// Text and CSV cell of a column; empty for a missing value.
std::string cell(const Column& column, const ComparisonRow& row, const char* number_pattern) {
  if (column.text_of) return column.text_of(row);
  const Value value = column.value_of(row);
  return value ? number_text(number_pattern, *value) : "";
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string json_number(const Value& value) {
  if (!value) return "null";
  if (std::isnan(*value)) return "\"NaN\"";
  if (std::isinf(*value)) return *value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  return printf_text("%.9g", *value);
}

bool ended_badly(const ComparisonRow& row) {
  return row.state == gradstream::v1::FAILED || row.state == gradstream::v1::CANCELLED;
}

}  // namespace

std::string warnings_summary(const std::map<std::string, int>& warnings) {
  std::string out;
  for (const auto& [kind, count] : warnings) {
    if (!out.empty()) out += ' ';
    out += kind + ':' + std::to_string(count);
  }
  return out;
}

ComparisonRowBuilder::ComparisonRowBuilder(std::string activation, std::string job_id) {
  row_.activation = std::move(activation);
  row_.job_id = std::move(job_id);
}

void ComparisonRowBuilder::add(const gradstream::v1::TrainingEvent& event) {
  using gradstream::v1::TrainingEvent;
  switch (event.event_case()) {
    case TrainingEvent::kState:
      row_.state = event.state();
      break;
    case TrainingEvent::kEpoch:
      add_epoch(event.epoch());
      break;
    case TrainingEvent::kActivations: {
      const auto& layers = event.activations().layers();
      if (layers.empty()) break;
      double dead = 0.0, saturated = 0.0;
      for (const auto& layer : layers) {
        dead += layer.dead_fraction();
        saturated += layer.saturated_fraction();
      }
      row_.mean_dead_fraction = dead / layers.size();
      row_.mean_saturated_fraction = saturated / layers.size();
      break;
    }
    case TrainingEvent::kGradients:
      for (const auto& parameter : event.gradients().parameters()) {
        if (parameter.parameter() == "weights") {
          row_.first_layer_gradient_norm = parameter.gradient_norm();
          break;
        }
      }
      break;
    case TrainingEvent::kDone:
      add_done(event.done());
      break;
    case TrainingEvent::kWarning:
      ++row_.warnings[event.warning().kind()];
      break;
    default:
      break;  // steps do not enter the table
  }
}

void ComparisonRowBuilder::add_epoch(const gradstream::v1::EpochReport& epoch) {
  row_.final_train_loss = epoch.train_loss();
  row_.train_accuracy = epoch.train_accuracy();
  if (epoch.has_test()) row_.test_accuracy = epoch.test_accuracy();
  train_seconds_ += epoch.seconds();
  train_samples_ += epoch.samples_per_second() * epoch.seconds();
  if (train_seconds_ > 0.0) row_.samples_per_second = train_samples_ / train_seconds_;
}

void ComparisonRowBuilder::add_done(const gradstream::v1::DoneReport& done) {
  using gradstream::v1::DoneReport;
  saw_done_ = true;
  row_.seconds = done.seconds();
  row_.reason = done.reason();
  switch (done.outcome()) {
    case DoneReport::SUCCEEDED:
      row_.state = gradstream::v1::SUCCEEDED;
      row_.final_train_loss = done.final_train_loss();
      if (done.has_test()) row_.test_accuracy = done.final_test_accuracy();
      break;
    case DoneReport::FAILED:
      row_.state = gradstream::v1::FAILED;
      break;
    case DoneReport::CANCELLED:
      row_.state = gradstream::v1::CANCELLED;
      break;
    default:
      break;
  }
}

std::string comparison_text(const std::vector<ComparisonRow>& rows) {
  const auto& cols = columns();
  std::vector<std::vector<std::string>> cells(rows.size() + 1);
  std::vector<size_t> widths(cols.size());
  for (size_t c = 0; c < cols.size(); ++c) {
    cells[0].push_back(cols[c].text_header);
    for (size_t r = 0; r < rows.size(); ++r) {
      std::string text = cell(cols[c], rows[r], cols[c].text_pattern);
      cells[r + 1].push_back(text.empty() ? "-" : text);
    }
    for (const auto& line : cells) widths[c] = std::max(widths[c], line[c].size());
  }
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (size_t c = 0; c < cols.size(); ++c) {
      const std::string pad(widths[c] - line[c].size(), ' ');
      if (c > 0) text += "  ";
      // Names left-aligned, numbers right-aligned.
      text += cols[c].text_pattern == nullptr ? line[c] + pad : pad + line[c];
    }
    text.erase(text.find_last_not_of(' ') + 1);
    out += text + "\n";
  }
  for (const auto& row : rows) {
    if (ended_badly(row) && !row.reason.empty()) {
      out += row.activation + ": " + job_state_name(row.state) + ": " + row.reason + "\n";
    }
  }
  return out;
}

std::string comparison_csv(const std::vector<ComparisonRow>& rows) {
  std::string out;
  for (const auto& column : columns()) out += std::string(column.csv_header) + ",";
  out += "reason\n";
  for (const auto& row : rows) {
    for (const auto& column : columns()) out += csv_field(cell(column, row, "%.6g")) + ",";
    out += csv_field(row.reason) + "\n";
  }
  return out;
}

std::string comparison_json(const std::vector<ComparisonRow>& rows) {
  std::string out = "[";
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r > 0) out += ",";
    out += "{";
    for (size_t c = 0; c < columns().size(); ++c) {
      const Column& column = columns()[c];
      if (c > 0) out += ",";
      out += json_quoted(column.json_key) + ":";
      out += column.text_of ? json_quoted(column.text_of(rows[r]))
                            : json_number(column.value_of(rows[r]));
    }
    out += ",\"reason\":" + json_quoted(rows[r].reason) + "}";
  }
  return out + "]";
}

}  // namespace gradstream::client
