// export, predict: RPCs a server may not implement yet. Each is called
// for real; UNIMPLEMENTED becomes "<cmd> is not supported by this server yet".
#include <cstdio>
#include <fstream>

#include "client/commands.hpp"
#include "client/exit_codes.hpp"
#include "client/feature_csv.hpp"
#include "client/job_format.hpp"
#include "client/status_report.hpp"
#include "engine/io/npy_reader.hpp"

namespace gradstream::client {

namespace {

int report(const grpc::Status& status, const char* command, Terminal& terminal) {
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    terminal.err << "gradstream: " << command << " is not supported by this server yet\n";
    return kExitUsage;
  }
  return report_failure(status, terminal.err);
}

bool is_npy(const std::string& path) {
  return path.size() > 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
}

}  // namespace

int run_export(Connection& connection, const ExportOptions& options, Terminal& terminal) {
  gradstream::v1::ExportModelRequest request;
  request.set_job_id(options.job_id);
  request.set_format(options.format == "onnx" ? gradstream::v1::MODEL_FORMAT_ONNX
                                              : gradstream::v1::MODEL_FORMAT_NATIVE);
  auto context = connection.stream_context();
  auto reader = connection.stub().ExportModel(context.get(), request);
  std::string model;
  gradstream::v1::ExportChunk chunk;
  while (reader->Read(&chunk)) model += chunk.data();
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return report(connection.explain(status), "export", terminal);
  if (options.output_path.empty()) {
    terminal.out << model;
    terminal.out.flush();
    return kExitOk;
  }
  std::ofstream file(options.output_path, std::ios::binary);
  file << model;
  if (!file) {
    terminal.err << "gradstream: " << options.output_path << ": cannot write the model\n";
    return kExitUsage;
  }
  return kExitOk;
}

int run_predict(Connection& connection, const PredictOptions& options, Terminal& terminal) {
  gradstream::v1::PredictRequest request;
  request.set_job_id(options.job_id);
  if (is_npy(options.input_path)) {
    // One sample per first-axis entry, of any shape: rows or images.
    auto array = engine::read_npy_features(options.input_path);
    if (!array.ok()) {
      terminal.err << "gradstream: " << array.status().message() << "\n";
      return kExitUsage;
    }
    if (options.shape.empty()) {
      request.add_shape(static_cast<uint32_t>(array->count));
      for (int64_t d : array->sample_shape) request.add_shape(static_cast<uint32_t>(d));
    }
    request.mutable_inputs()->Add(array->features.begin(), array->features.end());
  } else if (!options.input_path.empty()) {
    std::ifstream file(options.input_path);
    if (!file) {
      terminal.err << "gradstream: " << options.input_path << ": cannot read\n";
      return kExitUsage;
    }
    FeatureRows rows;
    if (const std::string error = parse_feature_csv(file, rows); !error.empty()) {
      terminal.err << "gradstream: " << options.input_path << ": " << error << "\n";
      return kExitUsage;
    }
    if (options.shape.empty()) {
      request.add_shape(rows.count);
      request.add_shape(rows.features);
    }
    request.mutable_inputs()->Add(rows.values.begin(), rows.values.end());
  } else {
    for (const float value : options.inputs) request.add_inputs(value);
  }
  for (const uint32_t dim : options.shape) request.add_shape(dim);
  gradstream::v1::PredictResponse response;
  const grpc::Status status =
      connection.stub().Predict(connection.unary_context().get(), request, &response);
  if (!status.ok()) return report(connection.explain(status), "predict", terminal);
  if (options.json) {
    terminal.out << to_json_line(response) << "\n";
    return kExitOk;
  }
  // One sample per line, its outputs comma-separated (probabilities for classifiers).
  const int units = response.shape_size() == 2 ? static_cast<int>(response.shape(1)) : 0;
  for (int i = 0; i < response.outputs_size(); ++i) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", static_cast<double>(response.outputs(i)));
    const bool row_end = units == 0 || (i + 1) % units == 0;
    terminal.out << text << (row_end ? "\n" : ",");
  }
  return kExitOk;
}

}  // namespace gradstream::client
