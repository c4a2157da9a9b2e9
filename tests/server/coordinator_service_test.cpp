// CoordinatorService's FetchDataset on a real gRPC server on loopback: the
// dataset of an attempt streamed in chunks of bounded size (header first, then
// features, then labels, hashing to its id), a stream cancelled midway,
// fenced as ReportJob (another worker's or another attempt's request
// refused), an unknown dataset, a job without one, a malformed request, and
// the role check of --auth-tokens.
#include "server/coordinator_service.hpp"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dataset_format/dataset_digest.hpp"
#include "server/dataset_store.hpp"
#include "server/worker_registry.hpp"
#include "tests/server/worker_join.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

using test_support::TempDir;

// Content bytes per chunk here: the dataset below is many chunks.
constexpr size_t kTestChunkBytes = 64;
constexpr uint64_t kSamples = 50;  // 50 x 3 floats = 600 feature bytes, 200 label bytes
constexpr uint32_t kFeatures = 3;
constexpr char kUnstoredId[] =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

struct Fetched {
  grpc::Status status;
  std::vector<v1::DatasetChunk> chunks;
};

class CoordinatorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = DatasetStore::open(scratch_.path().string(), int64_t{1} << 30);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    v1::DatasetHeader header;
    header.set_name("rows");
    header.set_element_type(v1::FLOAT32);
    header.add_sample_shape(kFeatures);
    header.set_count(kSamples);
    header.set_num_classes(4);
    for (uint64_t i = 0; i < kSamples * kFeatures; ++i) {
      const float value = 0.25F * static_cast<float>(i);
      features_.append(reinterpret_cast<const char*>(&value), sizeof(value));
    }
    for (uint64_t i = 0; i < kSamples; ++i) {
      const int32_t label = static_cast<int32_t>(i % 4);
      labels_.append(reinterpret_cast<const char*>(&label), sizeof(label));
    }
    auto upload = store_->begin_upload(header);
    ASSERT_TRUE(upload.ok()) << upload.status().message();
    ASSERT_TRUE((*upload)->append_features(features_).ok());
    ASSERT_TRUE((*upload)->append_labels(labels_).ok());
    auto stored = (*upload)->commit();
    ASSERT_TRUE(stored.ok()) << stored.status().message();
    dataset_id_ = stored->id();
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    registry_.stop();
  }

  // Starts the service (with `tokens`, which may be null) on a free port.
  void start(TokenAuthenticator* tokens = nullptr) {
    service_ =
        std::make_unique<CoordinatorService>(registry_, tokens, store_.get(), kTestChunkBytes);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr && port != 0);
    stub_ = v1::Coordinator::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                         grpc::InsecureChannelCredentials()));
  }

  // A worker that joined, with one free slot.
  std::string join(const std::string& name) {
    auto joined = registry_.join(worker_test::join_request(name));
    EXPECT_TRUE(joined.ok()) << joined.status().message();
    return joined.ok() ? joined->worker_id() : std::string();
  }

  // Reserves attempt 1 of `job_id` (on the only worker with room) and
  // assigns it with `dataset_id` as data.dataset_id (builtin data when empty).
  void assign(const std::string& job_id, const std::string& dataset_id) {
    auto run = registry_.reserve(job_id, 1, &flag_, &flag_);
    ASSERT_TRUE(run != nullptr);
    v1::JobAssignment assignment;
    assignment.set_job_id(job_id);
    assignment.set_attempt(1);
    if (dataset_id.empty()) {
      assignment.mutable_spec()->mutable_data()->set_builtin("fashion-mnist");
    } else {
      assignment.mutable_spec()->mutable_data()->set_dataset_id(dataset_id);
    }
    registry_.assign(run, assignment);
  }

  Fetched fetch(const std::string& worker_id, const std::string& job_id, uint64_t attempt,
                const std::string& token = "") {
    v1::FetchDatasetRequest request;
    request.set_worker_id(worker_id);
    request.set_job_id(job_id);
    request.set_attempt(attempt);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!token.empty()) context.AddMetadata(kAuthorizationKey, kBearerPrefix + token);
    Fetched out;
    auto reader = stub_->FetchDataset(&context, request);
    v1::DatasetChunk chunk;
    while (reader->Read(&chunk)) out.chunks.push_back(chunk);
    out.status = reader->Finish();
    return out;
  }

  TempDir scratch_{"coordinator_service"};
  std::unique_ptr<DatasetStore> store_;
  std::string features_;
  std::string labels_;
  std::string dataset_id_;
  std::atomic<bool> flag_{false};
  WorkerRegistry registry_{WorkerRegistryOptions{0.05, 60.0}};
  std::unique_ptr<CoordinatorService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

TEST_F(CoordinatorServiceTest, StreamsTheAttemptsDatasetHeaderFirstInBoundedChunks) {
  start();
  const std::string worker = join("w1");
  assign("job-1", dataset_id_);
  const Fetched fetched = fetch(worker, "job-1", 1);
  ASSERT_TRUE(fetched.status.ok()) << fetched.status.error_message();
  // 1 header chunk, ceil(600 / 64) = 10 of features, ceil(200 / 64) = 4 of labels.
  ASSERT_EQ(fetched.chunks.size(), 15U);
  const v1::DatasetChunk& first = fetched.chunks.front();
  EXPECT_EQ(first.dataset_id(), dataset_id_);
  EXPECT_EQ(first.header().count(), kSamples);
  EXPECT_EQ(first.header().num_classes(), 4U);
  EXPECT_TRUE(first.features().empty() && first.labels().empty());
  std::string features;
  std::string labels;
  auto digest = dataset_format::ContentDigest::create();
  ASSERT_TRUE(digest.ok());
  for (size_t i = 1; i < fetched.chunks.size(); ++i) {
    const v1::DatasetChunk& chunk = fetched.chunks[i];
    EXPECT_FALSE(chunk.has_header()) << "chunk " << i;
    EXPECT_TRUE(chunk.features().empty() || chunk.labels().empty()) << "chunk " << i;
    EXPECT_LE(chunk.features().size() + chunk.labels().size(), kTestChunkBytes) << "chunk " << i;
    EXPECT_GT(chunk.features().size() + chunk.labels().size(), 0U) << "chunk " << i;
    // Every feature before any label.
    if (!chunk.features().empty()) EXPECT_TRUE(labels.empty()) << "chunk " << i;
    features += chunk.features();
    labels += chunk.labels();
    digest->add_features(chunk.features());
    digest->add_labels(chunk.labels());
  }
  EXPECT_EQ(features, features_);
  EXPECT_EQ(labels, labels_);
  EXPECT_EQ(digest->finish(first.header()), dataset_id_);
}

TEST(DatasetChunkBytesTest, ChunksFitTheServersMessageLimit) {
  EXPECT_EQ(dataset_chunk_bytes(int64_t{16} << 20), kDatasetChunkBytes);
  EXPECT_EQ(dataset_chunk_bytes(65536), 65536 - kDatasetChunkOverhead);
  EXPECT_EQ(dataset_chunk_bytes(kDatasetChunkBytes), kDatasetChunkBytes - kDatasetChunkOverhead);
  // A chunk of the most content bytes, serialized, is within the limit.
  v1::DatasetChunk chunk;
  chunk.set_labels(std::string(dataset_chunk_bytes(65536), 'x'));
  EXPECT_LE(chunk.ByteSizeLong(), 65536U);
}

TEST_F(CoordinatorServiceTest, AStreamCancelledMidwayLeavesTheServiceServing) {
  start();
  const std::string worker = join("w1");
  assign("job-1", dataset_id_);
  {
    v1::FetchDatasetRequest request;
    request.set_worker_id(worker);
    request.set_job_id("job-1");
    request.set_attempt(1);
    grpc::ClientContext context;
    auto reader = stub_->FetchDataset(&context, request);
    v1::DatasetChunk chunk;
    ASSERT_TRUE(reader->Read(&chunk));
    ASSERT_TRUE(reader->Read(&chunk));
    context.TryCancel();
    while (reader->Read(&chunk)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  const Fetched again = fetch(worker, "job-1", 1);
  EXPECT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(again.chunks.size(), 15U);
}

TEST_F(CoordinatorServiceTest, AnotherWorkersAttemptIsFencedOff) {
  start();
  join("w1");
  assign("job-1", dataset_id_);  // w1's: the only worker with room
  const std::string other = join("w2");
  const Fetched fetched = fetch(other, "job-1", 1);
  EXPECT_EQ(fetched.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(fetched.status.error_message().find("job-1"), std::string::npos);
  EXPECT_TRUE(fetched.chunks.empty());
}

TEST_F(CoordinatorServiceTest, AnEarlierOrLaterAttemptIsFencedOff) {
  start();
  const std::string worker = join("w1");
  assign("job-1", dataset_id_);
  for (uint64_t attempt : {0U, 2U}) {
    const Fetched fetched = fetch(worker, "job-1", attempt);
    EXPECT_EQ(fetched.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << attempt;
    EXPECT_NE(fetched.status.error_message().find("attempt " + std::to_string(attempt)),
              std::string::npos)
        << fetched.status.error_message();
    EXPECT_TRUE(fetched.chunks.empty());
  }
}

TEST_F(CoordinatorServiceTest, AnUnknownWorkerIsNotFound) {
  start();
  join("w1");
  assign("job-1", dataset_id_);
  const Fetched fetched = fetch("no-such-worker", "job-1", 1);
  EXPECT_EQ(fetched.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(fetched.chunks.empty());
}

TEST_F(CoordinatorServiceTest, ADatasetNoLongerStoredIsNotFoundNamingIt) {
  start();
  const std::string worker = join("w1");
  assign("job-1", kUnstoredId);
  const Fetched fetched = fetch(worker, "job-1", 1);
  EXPECT_EQ(fetched.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(fetched.status.error_message().find(kUnstoredId), std::string::npos)
      << fetched.status.error_message();
  EXPECT_TRUE(fetched.chunks.empty());
}

TEST_F(CoordinatorServiceTest, AJobWithoutAnUploadedDatasetHasNoneToFetch) {
  start();
  const std::string worker = join("w1");
  assign("job-1", "");
  const Fetched fetched = fetch(worker, "job-1", 1);
  EXPECT_EQ(fetched.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(fetched.status.error_message().find("data.dataset_id"), std::string::npos);
}

TEST_F(CoordinatorServiceTest, ARequestWithoutItsIdsIsInvalidNamingTheField) {
  start();
  const std::string worker = join("w1");
  assign("job-1", dataset_id_);
  const Fetched no_worker = fetch("", "job-1", 1);
  EXPECT_EQ(no_worker.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_worker.status.error_message().find("worker_id"), std::string::npos);
  const Fetched no_job = fetch(worker, "", 1);
  EXPECT_EQ(no_job.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_job.status.error_message().find("job_id"), std::string::npos);
}

TEST_F(CoordinatorServiceTest, OnlyWorkerAndAdminTokensMayFetch) {
  const std::string path =
      scratch_.write("tokens.txt", "sha256:" + token_digest("user-token") + " alpha user\n" +
                                       "sha256:" + token_digest("worker-token") + " pool worker\n" +
                                       "sha256:" + token_digest("admin-token") + " ops admin\n");
  auto tokens = TokenAuthenticator::open(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status().message();
  start(tokens->get());
  const std::string worker = join("w1");
  assign("job-1", dataset_id_);
  const Fetched none = fetch(worker, "job-1", 1);
  EXPECT_EQ(none.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const Fetched user = fetch(worker, "job-1", 1, "user-token");
  EXPECT_EQ(user.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(user.status.error_message().find("role worker"), std::string::npos);
  EXPECT_TRUE(user.chunks.empty());
  const Fetched as_worker = fetch(worker, "job-1", 1, "worker-token");
  EXPECT_TRUE(as_worker.status.ok()) << as_worker.status.error_message();
  EXPECT_EQ(as_worker.chunks.size(), 15U);
  const Fetched admin = fetch(worker, "job-1", 1, "admin-token");
  EXPECT_TRUE(admin.status.ok()) << admin.status.error_message();
  EXPECT_EQ(admin.chunks.size(), 15U);
}

}  // namespace
}  // namespace gradstream::server
