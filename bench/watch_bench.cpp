// gradstream-watch-bench: opens N WatchJob streams on one job from one process
// (gRPC's callback client API, so N streams need no N threads) and reads them
// to the end; or, with --stall-seconds, opens streams that read nothing for
// that long, then drains them. Prints one JSON line: streams, events per
// stream (min, max), how many ended OK and the other statuses, seconds.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gradstream/v1/trainer.grpc.pb.h"

namespace {

namespace v1 = gradstream::v1;

// Counts one stream's events; the last OnDone wakes main.
class CountingWatcher final : public grpc::ClientReadReactor<v1::TrainingEvent> {
 public:
  struct Done {
    std::mutex mutex;
    std::condition_variable all_done;
    size_t remaining = 0;
  };

  CountingWatcher(v1::Trainer::Stub& stub, const v1::WatchJobRequest& request, Done& done)
      : done_(done) {
    stub.async()->WatchJob(&context_, &request, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows with the status
    ++events_;
    StartRead(&event_);
  }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    std::lock_guard lock(done_.mutex);
    if (--done_.remaining == 0) done_.all_done.notify_all();
  }

  uint64_t events() const { return events_; }
  const grpc::Status& status() const { return status_; }

 private:
  Done& done_;
  grpc::ClientContext context_;
  v1::TrainingEvent event_;
  uint64_t events_ = 0;
  grpc::Status status_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Opens N WatchJob streams on one job and reads them to the end"};
  std::string server = "127.0.0.1:50051";
  std::string job_id;
  size_t watchers = 1;
  uint32_t step_every = 1;
  double stall_seconds = 0;
  app.add_option("--server", server, "host:port")->capture_default_str();
  app.add_option("--job", job_id, "job id")->required();
  app.add_option("--watchers", watchers, "streams to open")->capture_default_str();
  app.add_option("--step-every", step_every, "WatchJobRequest.step_every")->capture_default_str();
  app.add_option("--stall-seconds", stall_seconds,
                 "read nothing for this long (a client that stopped reading), then drain");
  CLI11_PARSE(app, argc, argv);

  // A stalled client's window: small and not grown by BDP probing, so even a
  // short job's events overflow it and the server's writes block, as they do
  // for any client that stops reading once its (larger) window is full.
  constexpr int kStalledWindowBytes = 16 * 1024;
  grpc::ChannelArguments args;
  if (stall_seconds > 0) {
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, kStalledWindowBytes);
  }
  auto channel = grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
  auto stub = v1::Trainer::NewStub(channel);
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_step_every(step_every);
  const auto start = std::chrono::steady_clock::now();

  std::vector<uint64_t> events;
  std::map<std::string, size_t> statuses;
  if (stall_seconds > 0) {
    // Sync readers: the request goes out when the reader is made; nothing is
    // read until the stall is over.
    std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
    std::vector<std::unique_ptr<grpc::ClientReader<v1::TrainingEvent>>> readers;
    for (size_t i = 0; i < watchers; ++i) {
      contexts.push_back(std::make_unique<grpc::ClientContext>());
      readers.push_back(stub->WatchJob(contexts.back().get(), request));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(stall_seconds));
    for (auto& reader : readers) {
      v1::TrainingEvent event;
      uint64_t count = 0;
      while (reader->Read(&event)) ++count;
      events.push_back(count);
      const grpc::Status status = reader->Finish();
      ++statuses[status.ok() ? "OK" : std::to_string(status.error_code())];
    }
  } else {
    CountingWatcher::Done done;
    done.remaining = watchers;
    std::vector<std::unique_ptr<CountingWatcher>> streams;
    for (size_t i = 0; i < watchers; ++i) {
      streams.push_back(std::make_unique<CountingWatcher>(*stub, request, done));
    }
    std::unique_lock lock(done.mutex);
    done.all_done.wait(lock, [&] { return done.remaining == 0; });
    for (const auto& s : streams) {
      events.push_back(s->events());
      ++statuses[s->status().ok() ? "OK" : std::to_string(s->status().error_code())];
    }
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string codes;
  for (const auto& [code, count] : statuses) {
    codes += (codes.empty() ? "" : ",") + ("\"" + code + "\":" + std::to_string(count));
  }
  std::printf(
      "{\"streams\":%zu,\"events_min\":%llu,\"events_max\":%llu,\"statuses\":{%s},"
      "\"seconds\":%.3f}\n",
      watchers, static_cast<unsigned long long>(*std::min_element(events.begin(), events.end())),
      static_cast<unsigned long long>(*std::max_element(events.begin(), events.end())),
      codes.c_str(), seconds);
  return 0;
}
