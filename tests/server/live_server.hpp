// A whole GrpcServer on loopback (job store, dataset store, the configured
// message limit) with a client whose channel takes messages as big as the
// server may send, and the calls the bad-input and largest-spec tests make:
// typed ones through the stub, raw bytes through the channel itself.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/support/sync_stream.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gradstream/v1/trainer.grpc.pb.h"
#include "server/server.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server::test_support {

inline constexpr auto kLiveRpcTimeout = std::chrono::seconds(120);

struct Watched {
  grpc::Status status;
  std::vector<v1::TrainingEvent> events;
};

class LiveServer {
 public:
  explicit LiveServer(std::string prefix) : scratch_(prefix) {
    config.listen_address = "127.0.0.1:0";
    config.metrics_address = "127.0.0.1:0";
    config.data_dir = scratch_.file("data");
    config.max_concurrent_jobs = 1;
    config.threads_per_job = 1;
  }

  // (Re)starts the server on config.data_dir: a restart keeps the stores.
  void start() {
    stop();
    auto started = GrpcServer::start(config);
    ASSERT_TRUE(started.ok()) << started.status().message();
    server_ = std::move(started).value();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()),
                                         grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Trainer::NewStub(channel_);
  }
  void stop() { server_.reset(); }

  static void set_deadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + kLiveRpcTimeout);
  }

  grpc::Status create(const v1::TrainingSpec& spec, v1::Job* job = nullptr,
                      const std::string& idempotency_key = "") {
    v1::CreateJobRequest request;
    *request.mutable_spec() = spec;
    request.set_idempotency_key(idempotency_key);
    grpc::ClientContext context;
    set_deadline(context);
    v1::Job response;
    grpc::Status status = stub_->CreateJob(&context, request, &response);
    if (job != nullptr) *job = response;
    return status;
  }

  grpc::Status get(const std::string& id, v1::Job* job) {
    v1::GetJobRequest request;
    request.set_job_id(id);
    grpc::ClientContext context;
    set_deadline(context);
    return stub_->GetJob(&context, request, job);
  }

  grpc::Status list(const std::string& page_token, v1::ListJobsResponse* response) {
    v1::ListJobsRequest request;
    request.set_page_token(page_token);
    grpc::ClientContext context;
    set_deadline(context);
    return stub_->ListJobs(&context, request, response);
  }

  Watched watch(const std::string& id, uint64_t from_sequence = 0) {
    v1::WatchJobRequest request;
    request.set_job_id(id);
    request.set_from_sequence(from_sequence);
    grpc::ClientContext context;
    set_deadline(context);
    Watched watched;
    auto reader = stub_->WatchJob(&context, request);
    v1::TrainingEvent event;
    while (reader->Read(&event)) watched.events.push_back(event);
    watched.status = reader->Finish();
    return watched;
  }

  grpc::Status predict(const v1::PredictRequest& request, v1::PredictResponse* response) {
    grpc::ClientContext context;
    set_deadline(context);
    return stub_->Predict(&context, request, response);
  }

  // The job's model file, read to the end of its stream; `chunks` counts the pieces.
  grpc::Status export_model(const std::string& id, std::string* bytes, size_t* chunks) {
    v1::ExportModelRequest request;
    request.set_job_id(id);
    grpc::ClientContext context;
    set_deadline(context);
    auto reader = stub_->ExportModel(&context, request);
    v1::ExportChunk chunk;
    *chunks = 0;
    while (reader->Read(&chunk)) {
      bytes->append(chunk.data());
      ++*chunks;
    }
    return reader->Finish();
  }

  // The chunks as one UploadDataset stream.
  grpc::Status upload(const std::vector<v1::UploadDatasetChunk>& chunks, v1::Dataset* dataset) {
    grpc::ClientContext context;
    set_deadline(context);
    auto writer = stub_->UploadDataset(&context, dataset);
    for (const auto& chunk : chunks)
      if (!writer->Write(chunk)) break;
    writer->WritesDone();
    return writer->Finish();
  }

  // `bytes` sent as the request of unary method `method`
  // ("/gradstream.v1.Trainer/GetJob"), as no typed stub can send them.
  grpc::Status raw_unary(const std::string& method, const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    set_deadline(context);
    return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
        channel_.get(),
        grpc::internal::RpcMethod(method.c_str(), grpc::internal::RpcMethod::NORMAL_RPC), &context,
        request, &response);
  }

  // The same for a server-streaming method; reads the stream to its end.
  grpc::Status raw_server_stream(const std::string& method, const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ClientContext context;
    set_deadline(context);
    std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
        grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
            channel_.get(),
            grpc::internal::RpcMethod(method.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING),
            &context, request));
    grpc::ByteBuffer message;
    while (reader->Read(&message)) {
    }
    return reader->Finish();
  }

  ServerConfig config;

 private:
  gradstream::test_support::TempDir scratch_;  // outlives the server
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Trainer::Stub> stub_;
};

// `count` samples of `features` floats each, in `classes` classes, as one
// upload: the header and features in the first chunk, the labels in the second.
inline std::vector<v1::UploadDatasetChunk> upload_chunks(uint32_t count, uint32_t features,
                                                         uint32_t classes) {
  std::vector<float> values(size_t{count} * features);
  std::vector<int32_t> labels(count);
  for (uint32_t i = 0; i < count; ++i) {
    labels[i] = static_cast<int32_t>(i % classes);
    for (uint32_t f = 0; f < features; ++f) {
      values[size_t{i} * features + f] =
          static_cast<float>(labels[i]) + 0.01f * static_cast<float>(f);
    }
  }
  std::vector<v1::UploadDatasetChunk> chunks(2);
  v1::DatasetHeader& header = *chunks[0].mutable_header();
  header.set_name("bad-inputs");
  header.set_element_type(v1::FLOAT32);
  header.add_sample_shape(features);
  header.set_count(count);
  header.set_num_classes(classes);
  chunks[0].mutable_features()->assign(reinterpret_cast<const char*>(values.data()),
                                       values.size() * sizeof(float));
  chunks[1].mutable_labels()->assign(reinterpret_cast<const char*>(labels.data()),
                                     labels.size() * sizeof(int32_t));
  return chunks;
}

}  // namespace gradstream::server::test_support
