// TrainerService's model RPCs over a real in-process gRPC server: ExportModel
// streams a file the engine loads again (or, asked for ONNX, a checked ONNX
// model), Predict on raw rows matches it on preprocessed ones, and requests
// that do not fit the model or the job's state are rejected with the right
// status.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "engine/model/model_file.hpp"
#include "engine/onnx/onnx_check.hpp"
#include "engine/train/predictor.hpp"
#include "server/trainer_service.hpp"
#include "tests/server/trainer_service_fixture.hpp"

namespace gradstream::server {
namespace {

using namespace std::chrono_literals;

struct Exported {
  grpc::Status status;
  std::string bytes;
  size_t chunks = 0;
};

Exported export_model(v1::Trainer::Stub& stub, const std::string& id,
                      v1::ModelFormat format = v1::MODEL_FORMAT_UNSPECIFIED) {
  grpc::ClientContext context;
  set_deadline(context);
  v1::ExportModelRequest request;
  request.set_job_id(id);
  request.set_format(format);
  auto reader = stub.ExportModel(&context, request);
  Exported out;
  v1::ExportChunk chunk;
  while (reader->Read(&chunk)) {
    out.bytes += chunk.data();
    ++out.chunks;
  }
  out.status = reader->Finish();
  return out;
}

grpc::Status predict(v1::Trainer::Stub& stub, const v1::PredictRequest& request,
                     v1::PredictResponse* response) {
  grpc::ClientContext context;
  set_deadline(context);
  return stub.Predict(&context, request, response);
}

// Three raw Fashion-MNIST-sized samples (pixels 0..255) with distinct patterns.
v1::PredictRequest three_samples(const std::string& id) {
  v1::PredictRequest request;
  request.set_job_id(id);
  request.add_shape(3);
  request.add_shape(784);
  for (int n = 0; n < 3; ++n) {
    for (int i = 0; i < 784; ++i) request.add_inputs(static_cast<float>((i * (n + 3)) % 17 * 15));
  }
  return request;
}

TEST_F(TrainerServiceTest, ExportedModelLoadsAndPredictOnRawRowsMatchesItOnScaledRows) {
  const std::string id = create_ok(tiny_spec());
  ASSERT_TRUE(watch(id).status.ok());
  ASSERT_EQ(state_of(id), v1::SUCCEEDED);

  const Exported exported = export_model(*server_.stub, id);
  ASSERT_TRUE(exported.status.ok()) << exported.status.error_message();
  // 7850 floats (31 400 bytes) and the spec fit in one 1 MiB chunk (trainer_service.hpp).
  EXPECT_EQ(exported.chunks, 1U);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  auto model = engine::load_model(exported.bytes, eng);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->input_features(), 784);
  EXPECT_EQ((*model)->output_units(), 10);

  const v1::PredictRequest request = three_samples(id);
  v1::PredictResponse response;
  const grpc::Status status = predict(*server_.stub, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.shape_size(), 2);
  EXPECT_EQ(response.shape(0), 3U);
  EXPECT_EQ(response.shape(1), 10U);
  ASSERT_EQ(response.outputs_size(), 30);
  for (int n = 0; n < 3; ++n) {
    double sum = 0.0;
    for (int c = 0; c < 10; ++c) sum += response.outputs(n * 10 + c);
    EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << n;
  }
  // tiny_spec trains on uint8 pixels, SCALEd by 1/255: Predict takes the raw
  // rows and must answer as the exported weights do on the scaled ones.
  std::vector<float> scaled;
  for (const float pixel : request.inputs()) scaled.push_back(pixel / 255.0F);
  auto expected = engine::predict(**model, scaled.data(), 3, eng, true);
  ASSERT_TRUE(expected.ok());
  for (int i = 0; i < 30; ++i) EXPECT_NEAR(response.outputs(i), (*expected)[i], 1e-6) << i;

  // A second call uses the cached model and answers the same.
  v1::PredictResponse again;
  ASSERT_TRUE(predict(*server_.stub, request, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), response.SerializeAsString());
}

// A model Predict loaded stays cached, but once its job is forgotten (here:
// retention of one finished job) Predict is NOT_FOUND like every other call.
TEST(TrainerServiceRetention, PredictOnAForgottenJobIsNotFound) {
  TestServer local(ServiceLimits{}, /*max_finished_jobs=*/1);
  auto create_and_finish = [&](v1::Job* job) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::CreateJobRequest create;
    *create.mutable_spec() = tiny_spec();
    ASSERT_TRUE(local.stub->CreateJob(&context, create, job).ok());
    ASSERT_TRUE(local.manager->wait_idle(kRpcTimeout));
  };
  v1::Job first;
  create_and_finish(&first);
  const v1::PredictRequest request = three_samples(first.id());
  v1::PredictResponse response;
  ASSERT_TRUE(predict(*local.stub, request, &response).ok());

  v1::Job second;
  create_and_finish(&second);
  ASSERT_EQ(local.manager->get_job(first.id()).status().code(), engine::StatusCode::kNotFound);
  const grpc::Status status = predict(*local.stub, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_NE(status.error_message().find(first.id()), std::string::npos);
}

TEST_F(TrainerServiceTest, PredictRequestsThatDoNotFitTheModelAreInvalidArgument) {
  const std::string id = create_ok(tiny_spec());
  ASSERT_TRUE(watch(id).status.ok());
  ASSERT_EQ(state_of(id), v1::SUCCEEDED);
  v1::PredictResponse response;

  v1::PredictRequest wrong_features = three_samples(id);
  wrong_features.set_shape(1, 783);
  grpc::Status status = predict(*server_.stub, wrong_features, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "shape: [3, 783] gives samples of 783 features, the model takes 784");

  v1::PredictRequest short_inputs = three_samples(id);
  short_inputs.mutable_inputs()->RemoveLast();
  status = predict(*server_.stub, short_inputs, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // 3 x 784 = 2352 values needed, one removed.
  EXPECT_EQ(status.error_message(), "inputs: has 2351 values, shape [3, 784] needs 2352");

  v1::PredictRequest no_shape = three_samples(id);
  no_shape.clear_shape();
  status = predict(*server_.stub, no_shape, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "shape: must be set, as [count, features...]");

  v1::PredictRequest zero_count = three_samples(id);
  zero_count.set_shape(0, 0);
  status = predict(*server_.stub, zero_count, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // At most 100000 samples a call (kMaxPredictCount, trainer_service.hpp).
  EXPECT_EQ(status.error_message(), "shape[0]: 0 is out of range [1, 100000]");

  v1::PredictRequest no_job = three_samples("");
  status = predict(*server_.stub, no_job, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "job_id: must be set");
}

TEST_F(TrainerServiceTest, OnnxExportIsACheckedOnnxModelOfTheJob) {
  const std::string id = create_ok(tiny_spec());
  ASSERT_TRUE(watch(id).status.ok());
  ASSERT_EQ(state_of(id), v1::SUCCEEDED);

  const Exported exported = export_model(*server_.stub, id, v1::MODEL_FORMAT_ONNX);
  ASSERT_TRUE(exported.status.ok()) << exported.status.error_message();
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(exported.bytes));
  EXPECT_TRUE(engine::check_onnx_model(model).ok());
  // Raw pixels in: SCALE's Div first; one dense layer; Predict's softmax.
  ASSERT_EQ(model.graph().node_size(), 4);
  EXPECT_EQ(model.graph().node(0).op_type(), "Div");
  EXPECT_EQ(model.graph().node(1).op_type(), "Gemm");
  EXPECT_EQ(model.graph().node(2).op_type(), "Softmax");
  bool has_job_id = false;
  for (const auto& entry : model.metadata_props())
    has_job_id |= entry.key() == "job_id" && entry.value() == id;
  EXPECT_TRUE(has_job_id);

  // The native format is still the model file, explicitly or by default.
  const Exported native = export_model(*server_.stub, id, v1::MODEL_FORMAT_NATIVE);
  ASSERT_TRUE(native.status.ok());
  EXPECT_EQ(native.bytes, export_model(*server_.stub, id).bytes);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  EXPECT_TRUE(engine::load_model(native.bytes, eng).ok());

  const Exported unknown = export_model(*server_.stub, id, static_cast<v1::ModelFormat>(9));
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(unknown.status.error_message(), "format: unknown value 9");
}

TEST_F(TrainerServiceTest, ExportOfARunningOrFailedJobIsFailedPrecondition) {
  // 100 input features against Fashion-MNIST's 784: the trainer refuses it, FAILED.
  v1::TrainingSpec bad = tiny_spec();
  bad.mutable_model()->set_input_shape(0, 100);
  const std::string failed = create_ok(bad);
  ASSERT_TRUE(watch(failed).status.ok());
  ASSERT_EQ(state_of(failed), v1::FAILED);
  Exported exported = export_model(*server_.stub, failed);
  EXPECT_EQ(exported.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(exported.status.error_message(),
            "job \"" + failed + "\" is FAILED; only a SUCCEEDED job has a trained model");
  v1::PredictResponse response;
  v1::PredictRequest request = three_samples(failed);
  EXPECT_EQ(predict(*server_.stub, request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  const std::string running = create_ok(tiny_spec(/*epochs=*/50, /*batch_size=*/100));
  exported = export_model(*server_.stub, running);
  EXPECT_EQ(exported.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // QUEUED or RUNNING, depending on how soon the worker picked it up.
  EXPECT_EQ(exported.status.error_message().rfind("job \"" + running + "\" is ", 0), 0U)
      << exported.status.error_message();
  EXPECT_TRUE(
      exported.status.error_message().ends_with("; only a SUCCEEDED job has a trained model"))
      << exported.status.error_message();
  EXPECT_TRUE(exported.bytes.empty());
  EXPECT_TRUE(cancel(running).ok());
  ASSERT_TRUE(watch(running).status.ok());
}

}  // namespace
}  // namespace gradstream::server
