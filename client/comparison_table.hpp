// The side-by-side table of `gradstream compare`: one row per activation,
// folded from that job's events, printed as aligned text, CSV or JSON.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gradstream/v1/trainer.pb.h"

namespace gradstream::client {

// What one job of a comparison reported. A value the job never reported (a
// run that failed before its first epoch, a data set without a test split)
// is empty: "-" in text, an empty CSV field, null in JSON.
struct ComparisonRow {
  std::string activation;
  std::string job_id;
  gradstream::v1::JobState state = gradstream::v1::JOB_STATE_UNSPECIFIED;
  std::string reason;  // why it failed or was cancelled
  std::optional<double> final_train_loss;
  std::optional<double> train_accuracy;             // last epoch's
  std::optional<double> test_accuracy;              // the done report's, else the last epoch's
  std::optional<double> seconds;                    // the done report's run time
  std::optional<double> samples_per_second;         // training samples / training seconds
  std::optional<double> mean_dead_fraction;         // over the layers of the last
  std::optional<double> mean_saturated_fraction;    //   activation report
  std::optional<double> first_layer_gradient_norm;  // first "weights" of the last gradient report
  // Diagnostic warnings by kind (vanishing_gradient, dead_relu, ...): the "why"
  // beside the accuracy figures.
  std::map<std::string, int> warnings;
};

// "dead_relu:1 vanishing_gradient:6" (kinds in name order); "" without warnings.
std::string warnings_summary(const std::map<std::string, int>& warnings);

// Folds a job's events, in stream order, into its row.
class ComparisonRowBuilder {
 public:
  ComparisonRowBuilder(std::string activation, std::string job_id);

  void add(const gradstream::v1::TrainingEvent& event);

  bool saw_done() const { return saw_done_; }
  const ComparisonRow& row() const { return row_; }

 private:
  void add_epoch(const gradstream::v1::EpochReport& epoch);
  void add_done(const gradstream::v1::DoneReport& done);

  ComparisonRow row_;
  bool saw_done_ = false;
  double train_seconds_ = 0.0;  // sum over epochs, for samples_per_second
  double train_samples_ = 0.0;
};

// Aligned columns with a header, one line per row, then one line per row that
// failed or was cancelled giving its reason.
std::string comparison_text(const std::vector<ComparisonRow>& rows);

// A header line, then one line per row; numbers with 6 significant digits.
std::string comparison_csv(const std::vector<ComparisonRow>& rows);

// One JSON array of row objects (lowerCamel keys as in the protobuf JSON the
// other commands print; non-finite numbers as "NaN" / "Infinity" strings, as
// protobuf's JSON mapping writes them), on one line.
std::string comparison_json(const std::vector<ComparisonRow>& rows);

}  // namespace gradstream::client
