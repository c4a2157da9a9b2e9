// The message budget, idempotency key and uploaded data set checks of CreateJob.
#include "server/job_admission.hpp"

#include <algorithm>

#include "engine/base/input_limits.hpp"
#include "engine/spec/label_fit.hpp"
#include "engine/spec/spec_validator.hpp"

namespace gradstream::server {

namespace {

std::string dims_text(const google::protobuf::RepeatedField<uint32_t>& dims, int64_t& values) {
  std::string text;
  values = 1;
  for (uint32_t d : dims) {
    values *= d;
    text += (text.empty() ? "" : ", ") + std::to_string(d);
  }
  return "[" + text + "]";
}

}  // namespace

size_t stored_bytes_limit(int64_t max_message_bytes) {
  return std::min(
      engine::kMaxSpecBytes,
      static_cast<size_t>(std::max<int64_t>(0, max_message_bytes)) / kStoredShareOfMessage);
}

engine::Status check_message_budget(const v1::TrainingSpec& spec, int64_t max_message_bytes) {
  const size_t limit = stored_bytes_limit(max_message_bytes);
  const std::string why = " (a quarter of this server's message limit, " +
                          std::to_string(max_message_bytes) + " bytes)";
  if (const size_t bytes = spec.ByteSizeLong(); bytes > limit) {
    return engine::invalid_argument("spec: " + std::to_string(bytes) +
                                    " bytes serialized, at most " + std::to_string(limit) + why);
  }
  if (spec.reporting().send_gradient_tensors()) {
    const int64_t bytes = engine::count_parameters(spec) * int64_t{sizeof(float)};
    if (bytes > static_cast<int64_t>(limit)) {
      return engine::invalid_argument(
          "reporting.send_gradient_tensors: one gradient event would carry " +
          std::to_string(bytes) + " bytes of tensors, at most " + std::to_string(limit) + why);
    }
  }
  return engine::ok_status();
}

engine::Status check_idempotency_key(const std::string& key) {
  const std::string allowed = "at most " + std::to_string(kMaxIdempotencyKeyLength) +
                              " printable ASCII characters without spaces";
  if (key.size() > kMaxIdempotencyKeyLength) {
    return engine::invalid_argument("idempotency_key: " + std::to_string(key.size()) +
                                    " characters, " + allowed);
  }
  for (size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return engine::invalid_argument("idempotency_key: character " + std::to_string(i) +
                                      " is not allowed; a key is " + allowed);
    }
  }
  return engine::ok_status();
}

engine::Status check_dataset_fits(const v1::TrainingSpec& spec, const std::string& id,
                                  const v1::DatasetHeader& header) {
  // As with built-in data, a shape fits when it holds as many values ([784]
  // takes [28, 28] images).
  int64_t input_values = 0, sample_values = 0;
  const std::string input_text = dims_text(spec.model().input_shape(), input_values);
  const std::string sample_text = dims_text(header.sample_shape(), sample_values);
  if (input_values != sample_values) {
    return engine::invalid_argument("model.input_shape: " + input_text + " is " +
                                    std::to_string(input_values) + " values per sample but " + id +
                                    " holds samples of shape " + sample_text + " (" +
                                    std::to_string(sample_values) + " values)");
  }
  // The header says how many classes the labels may take; the job would fail
  // on this when it loads the data.
  const engine::Status fits = engine::check_classes_fit(
      spec, static_cast<int64_t>(header.num_classes()), engine::output_units(spec));
  if (!fits.ok()) {
    return engine::invalid_argument(fits.message() + " (data.dataset_id " + id + ": num_classes " +
                                    std::to_string(header.num_classes()) + " in its header)");
  }
  return engine::ok_status();
}

}  // namespace gradstream::server
