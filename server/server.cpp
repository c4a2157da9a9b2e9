// GrpcServer: validate the config, then build DatasetStore, JobStore, JobManager
// (restoring the stored jobs), Trainer service and the gRPC server around them;
// take them down in the reverse order.
#include "server/server.hpp"

#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "engine/base/parallel.hpp"
#include "server/grpc_metrics_interceptor.hpp"
#include "server/job_data.hpp"
#include "server/server_tls.hpp"

namespace gradstream::server {
namespace {

// The health and reflection services are process-wide switches in gRPC that
// every ServerBuilder created afterwards reads; set them once.
void enable_standard_services() {
  static const bool enabled = [] {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    return true;
  }();
  (void)enabled;
}

ServiceLimits service_limits(const ServerConfig& config) {
  ServiceLimits limits;
  limits.max_parameters = config.max_parameters;
  limits.max_message_bytes = config.max_message_bytes;
  return limits;
}

}  // namespace

GrpcServer::GrpcServer(const ServerConfig& config) : config_(config) {}

engine::Result<std::unique_ptr<GrpcServer>> GrpcServer::start(const ServerConfig& config) {
  if (engine::Status s = validate_config(config, engine::usable_cores()); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return engine::failed_precondition("data_dir: cannot create " + config.data_dir + ": " +
                                       ec.message());
  }

  enable_standard_services();
  std::unique_ptr<GrpcServer> self(new GrpcServer(config));
  auto lock = DataDirLock::acquire(config.data_dir);
  if (!lock.ok()) return lock.status();
  self->data_dir_lock_ = std::move(lock).value();
  ServerMetricsOptions metrics_options = server_metrics_options(config);
  if (!config.metrics_auth.empty()) {
    auto credentials = MetricsCredentials::load(config.metrics_auth);
    if (!credentials.ok()) return credentials.status();
    metrics_options.credentials = std::move(credentials).value();
  }
  self->metrics_ = ServerMetrics::create(metrics_options);
  ServerMetrics* metrics = self->metrics_.get();  // declared before datasets_: outlives it
  if (!config.auth_tokens.empty()) {
    auto tokens = TokenAuthenticator::open(config.auth_tokens,
                                           std::chrono::seconds(config.auth_reload_seconds));
    if (!tokens.ok()) return tokens.status();
    self->tokens_ = std::move(tokens).value();
  }
  auto datasets = DatasetStore::open(
      config.data_dir, config.max_dataset_bytes,
      [metrics](uint64_t bytes) { metrics->add_uploaded_bytes(bytes); },
      config.tenant_max_dataset_bytes);
  if (!datasets.ok()) return datasets.status();
  self->datasets_ = std::move(datasets).value();
  auto job_store = JobStore::open(config.data_dir);
  if (!job_store.ok()) return job_store.status();
  self->job_store_ = std::move(job_store).value();
  auto stored_jobs = self->job_store_->load_all();
  if (!stored_jobs.ok()) return stored_jobs.status();
  JobManagerOptions job_options = job_manager_options(config);
  auto data_roots = DataRoots::create(config.data_roots);
  if (!data_roots.ok()) return data_roots.status();
  job_options.data_roots = std::move(data_roots).value();
  self->workers_ =
      std::make_unique<WorkerRegistry>(worker_registry_options(config), &metrics->workers());
  job_options.workers = self->workers_.get();
  self->jobs_ = std::make_unique<JobManager>(std::move(job_options), self->metrics_.get(),
                                             self->job_store_.get());
  DatasetStore* datasets_for_jobs = self->datasets_.get();
  self->jobs_->restore(std::move(stored_jobs).value(),
                       [datasets_for_jobs](const v1::TrainingSpec& spec) {
                         return restored_data_loader(datasets_for_jobs, spec);
                       });
  WatchOptions watch;
  watch.stall_limit = std::chrono::seconds(config.watch_stall_seconds);
  watch.on_cut = [metrics] { metrics->count_watcher_cut(); };
  self->service_ =
      std::make_unique<TrainerService>(*self->jobs_, service_limits(config), self->datasets_.get(),
                                       std::move(watch), self->tokens_.get());

  // FetchDataset's chunks stay under the same send limit as every answer.
  self->coordinator_ = std::make_unique<CoordinatorService>(
      *self->workers_, self->tokens_.get(), self->datasets_.get(),
      dataset_chunk_bytes(config.max_message_bytes));

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen_address, grpc_server_credentials(config.tls), &port);
  // gRPC sets SO_REUSEPORT by default, which would let a second server share a
  // port that is already taken; a taken port must be an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
  builder.RegisterService(self->service_.get());
  builder.RegisterService(self->coordinator_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<GrpcMetricsInterceptorFactory>(*self->metrics_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  self->server_ = builder.BuildAndStart();
  if (!self->server_ || port == 0) {
    self->jobs_->shutdown(/*cancel_running=*/true);
    if (self->server_) self->server_->Shutdown();
    return engine::failed_precondition("listen_address: cannot listen on " + config.listen_address +
                                       " (in use, or not a valid host:port)");
  }
  self->port_ = port;
  // After gRPC, so a taken gRPC port is the error reported; on failure the
  // destructor shuts the job manager and gRPC down again.
  if (engine::Status s = self->metrics_->serve(); !s.ok()) return s;

  grpc::HealthCheckServiceInterface* health = self->server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(true);  // the server as a whole: ""
    health->SetServingStatus(kTrainerServiceName, true);
    health->SetServingStatus(kCoordinatorServiceName, true);
  }
  return self;
}

GrpcServer::~GrpcServer() {
  if (server_) shutdown(std::chrono::milliseconds(0));
}

void GrpcServer::shutdown(std::chrono::milliseconds deadline) {
  std::lock_guard<std::mutex> lock(shutdown_mutex_);
  if (shut_down_) return;
  shut_down_ = true;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();  // every service NOT_SERVING, and it stays so
  }
  jobs_->shutdown(config_.cancel_running_on_shutdown ? ShutdownMode::kCancel
                                                     : ShutdownMode::kInterrupt);
  // After the jobs: a running job's worker sends its last checkpoint through it.
  workers_->stop();
  server_->Shutdown(std::chrono::system_clock::now() + deadline);
}

void GrpcServer::wait() { server_->Wait(); }

}  // namespace gradstream::server
