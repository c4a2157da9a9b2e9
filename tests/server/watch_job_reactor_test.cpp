// WatchJobReactor and WatchPump over a real loopback server: the log's bytes
// reach a typed client; thinning, hold and interrupt behave as before; a watcher that
// stops reading is cut off while another receives everything.
#include "server/watch_job_reactor.hpp"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gradstream/v1/trainer.grpc.pb.h"

namespace gradstream::server {
namespace {

using std::chrono::milliseconds;

// WatchJob served from one test-owned log, the way TrainerService serves a job's.
class LogWatchService final
    : public v1::Trainer::WithRawCallbackMethod_WatchJob<v1::Trainer::CallbackService> {
 public:
  LogWatchService(std::shared_ptr<EventLog> log, WatchOptions options)
      : log_(std::move(log)), pump_(std::move(options)) {}

  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchJob(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* raw) override {
    v1::WatchJobRequest request;
    grpc::ByteBuffer bytes(*raw);
    EXPECT_TRUE(grpc::SerializationTraits<v1::WatchJobRequest>::Deserialize(&bytes, &request).ok());
    return new WatchJobReactor(log_, request, context, pump_);
  }

  WatchPump& pump() { return pump_; }

 private:
  std::shared_ptr<EventLog> log_;
  WatchPump pump_;
};

struct Served {
  grpc::Status status;
  std::vector<v1::TrainingEvent> events;
};

class WatchJobReactorTest : public ::testing::Test {
 protected:
  void start(WatchOptions options = {}) {
    service_ = std::make_unique<LogWatchService>(log_, std::move(options));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    // No BDP probing: the client's stream window stays at gRPC's 64 KiB, so a
    // client that does not read blocks the server's writes soon.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    stub_ = v1::Trainer::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args));
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_.reset();
    service_.reset();
  }

  Served watch(uint64_t from_sequence = 0, uint32_t step_every = 0) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::WatchJobRequest request;
    request.set_job_id("job-1");
    request.set_from_sequence(from_sequence);
    request.set_step_every(step_every);
    Served served;
    auto reader = stub_->WatchJob(&context, request);
    v1::TrainingEvent event;
    while (reader->Read(&event)) served.events.push_back(event);
    served.status = reader->Finish();
    return served;
  }

  std::shared_ptr<EventLog> log_ = std::make_shared<EventLog>("job-1");
  std::unique_ptr<LogWatchService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Trainer::Stub> stub_;
};

v1::TrainingEvent step_event(uint64_t step) {
  v1::TrainingEvent event;
  event.mutable_step()->set_step(step);
  event.mutable_step()->set_loss(0.5f);
  return event;
}

TEST_F(WatchJobReactorTest, ATypedClientReadsTheLogsBytesAsEvents) {
  for (uint64_t step = 1; step <= 600; ++step) log_->append(step_event(step));
  log_->close();
  start();

  const Served all = watch();
  EXPECT_TRUE(all.status.ok()) << all.status.error_message();
  ASSERT_EQ(all.events.size(), 600u);  // more than two batches of kWatchBatchEvents
  for (size_t i = 0; i < all.events.size(); ++i) {
    EXPECT_EQ(all.events[i].sequence(), i + 1);
    EXPECT_EQ(all.events[i].job_id(), "job-1");
    EXPECT_EQ(all.events[i].step().step(), i + 1);
  }

  const Served thinned = watch(/*from_sequence=*/101, /*step_every=*/100);
  EXPECT_TRUE(thinned.status.ok());
  ASSERT_EQ(thinned.events.size(), 5u);  // steps 200, 300, ..., 600
  EXPECT_EQ(thinned.events.front().step().step(), 200u);
  EXPECT_EQ(thinned.events.back().step().step(), 600u);
}

TEST_F(WatchJobReactorTest, AnInterruptedLogEndsTheWatchWithWhereToReconnect) {
  for (uint64_t step = 1; step <= 3; ++step) log_->append(step_event(step));
  log_->interrupt();
  start();

  const Served served = watch();
  EXPECT_EQ(served.events.size(), 3u);
  EXPECT_EQ(served.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(served.status.error_message(), "server shutting down; reconnect with from_sequence 4");
}

TEST_F(WatchJobReactorTest, HeldEventsReachTheWatcherOnlyOnRelease) {
  log_->append(step_event(1));
  log_->hold();
  log_->append(step_event(2));  // stored, not shown
  start();

  std::future<Served> served = std::async(std::launch::async, [this] { return watch(); });
  // The watcher has the shown event and is parked: nothing ends it yet.
  EXPECT_EQ(served.wait_for(milliseconds(300)), std::future_status::timeout);
  log_->release_and_close();
  const Served all = served.get();
  EXPECT_TRUE(all.status.ok()) << all.status.error_message();
  ASSERT_EQ(all.events.size(), 2u);
  EXPECT_EQ(all.events[1].step().step(), 2u);
}

TEST_F(WatchJobReactorTest, AStalledWatcherIsCutWhileAnotherReceivesEverything) {
  // ~4 MB of events: far more than a 64 KiB window holds.
  constexpr uint64_t kEvents = 1000;
  const std::string filler(4096, 'x');
  for (uint64_t i = 1; i <= kEvents; ++i) {
    v1::TrainingEvent event;
    event.mutable_warning()->set_step(i);
    event.mutable_warning()->set_message(filler);
    log_->append(event);
  }
  log_->close();
  std::atomic<int> cut_reported{0};
  WatchOptions options;
  options.stall_limit = milliseconds(300);
  options.on_cut = [&] { ++cut_reported; };
  start(options);

  // Opened (the request is sent) but not read.
  grpc::ClientContext stalled_context;
  v1::WatchJobRequest request;
  request.set_job_id("job-1");
  auto stalled = stub_->WatchJob(&stalled_context, request);

  const Served reader = watch();
  EXPECT_TRUE(reader.status.ok()) << reader.status.error_message();
  EXPECT_EQ(reader.events.size(), kEvents);

  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (service_->pump().cut_off() == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(service_->pump().cut_off(), 1u);
  EXPECT_EQ(cut_reported.load(), 1);

  size_t stalled_events = 0;
  v1::TrainingEvent event;
  while (stalled->Read(&event)) ++stalled_events;
  const grpc::Status status = stalled->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_GT(stalled_events, 0u);
  EXPECT_LT(stalled_events, kEvents);
}

}  // namespace
}  // namespace gradstream::server
