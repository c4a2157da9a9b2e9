// gradstream-load-bench: what a burst of CreateJobs costs a server. One
// long-lived client (one channel) sends --jobs CreateJobs of one spec from
// --clients threads at once, while another thread asks the health service
// every --health-interval-ms (with a 1 s deadline, a Kubernetes probe's). Prints
// the burst's wall time with per-call latency percentiles, then the health
// checks' latency percentiles, and, with --ids FILE, writes the created job ids.
// Exits 1 if any CreateJob or health check failed.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/connection.hpp"
#include "client/health_check.hpp"
#include "engine/io/spec_io.hpp"

namespace {

namespace v1 = gradstream::v1;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kHealthDeadline{1};
constexpr std::chrono::seconds kCreateDeadline{30};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[at];
}

void print_latencies(const char* what, const std::vector<double>& ms) {
  std::printf("%s: %zu calls, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", what, ms.size(),
              percentile(ms, 0.50), percentile(ms, 0.99), percentile(ms, 1.0));
}

struct Burst {
  std::vector<double> create_ms;
  std::vector<std::string> ids;
  size_t failed = 0;
  std::string first_error;
  std::mutex mutex;
};

void create_jobs(v1::Trainer::Stub& stub, const v1::CreateJobRequest& request,
                 std::atomic<int>& remaining, Burst& burst) {
  while (remaining.fetch_sub(1) > 0) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCreateDeadline);
    v1::Job job;
    const auto start = Clock::now();
    const grpc::Status status = stub.CreateJob(&context, request, &job);
    const double ms = ms_since(start);
    std::lock_guard lock(burst.mutex);
    burst.create_ms.push_back(ms);
    if (status.ok()) {
      burst.ids.push_back(job.id());
    } else if (burst.failed++ == 0) {
      burst.first_error = status.error_message();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gradstream-load-bench: CreateJob burst cost and health latency meanwhile"};
  std::string server = gradstream::client::kDefaultServer;
  std::string spec_path, ids_path;
  int jobs = 1000;
  int clients = 8;
  int health_interval_ms = 10;
  app.add_option("--server", server, "host:port of the server")->envname("GRADSTREAM_SERVER");
  app.add_option("spec", spec_path, "the spec every job trains (JSON or text proto)")->required();
  app.add_option("--jobs", jobs, "CreateJobs to send")->check(CLI::Range(1, 100000));
  app.add_option("--clients", clients, "CreateJobs in flight at once")->check(CLI::Range(1, 256));
  app.add_option("--health-interval-ms", health_interval_ms, "pause between health checks")
      ->check(CLI::Range(1, 10000));
  app.add_option("--ids", ids_path, "write the created job ids here, one per line");
  CLI11_PARSE(app, argc, argv);

  auto spec = gradstream::engine::read_spec_file(spec_path);
  if (!spec.ok()) {
    std::fprintf(stderr, "gradstream-load-bench: %s\n", spec.status().message().c_str());
    return 2;
  }
  v1::CreateJobRequest request;
  *request.mutable_spec() = std::move(spec).value();

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(gradstream::client::kMaxMessageBytes);
  auto channel = grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
  auto stub = v1::Trainer::NewStub(channel);
  grpc::GenericStub health_stub(channel);

  std::atomic<bool> done{false};
  std::vector<double> health_ms;
  size_t health_failed = 0;
  std::thread health([&] {
    while (!done.load()) {
      const auto start = Clock::now();
      const auto answer = gradstream::client::check_health(
          health_stub, "", std::chrono::system_clock::now() + kHealthDeadline);
      health_ms.push_back(ms_since(start));
      if (!answer.status.ok() ||
          answer.serving_status != gradstream::client::kServingStatusServing) {
        ++health_failed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(health_interval_ms));
    }
  });

  Burst burst;
  std::atomic<int> remaining{jobs};
  const auto start = Clock::now();
  std::vector<std::thread> senders;
  for (int i = 0; i < clients; ++i) {
    senders.emplace_back([&] { create_jobs(*stub, request, remaining, burst); });
  }
  for (std::thread& t : senders) t.join();
  const double burst_ms = ms_since(start);
  done.store(true);
  health.join();

  std::printf("creates: %d in %.2f s from %d clients, %zu failed%s%s\n", jobs, burst_ms / 1000,
              clients, burst.failed, burst.failed ? "; first: " : "", burst.first_error.c_str());
  print_latencies("create latency", burst.create_ms);
  print_latencies("health latency", health_ms);
  std::printf("health failures: %zu\n", health_failed);
  if (!ids_path.empty()) {
    std::ofstream ids(ids_path);
    for (const std::string& id : burst.ids) ids << id << "\n";
  }
  return burst.failed == 0 && health_failed == 0 ? 0 : 1;
}
