// fetch_dataset against a stand-in coordinator stream: a dataset assembled as
// the store holds it, a tampered chunk or a short stream refused naming
// data.dataset_id, a coordinator out of reach asked again, a refusal not.
#include "worker/dataset_fetch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataset_format/dataset_digest.hpp"

namespace gradstream::worker {
namespace {

constexpr size_t kChunkBytes = 5;  // odd: chunks split values, as the server's may

// A UINT8 dataset of 4 samples of [2, 3] and its chunks as FetchDataset sends them.
struct Served {
  v1::DatasetHeader header;
  std::string features;
  std::string labels;
  std::string id;
  std::vector<v1::DatasetChunk> chunks;
};

Served served() {
  Served s;
  s.header.set_name("tiny");
  s.header.set_element_type(v1::UINT8);
  s.header.add_sample_shape(2);
  s.header.add_sample_shape(3);
  s.header.set_count(4);
  s.header.set_num_classes(5);  // one more class than any label uses
  for (int i = 0; i < 24; ++i) s.features.push_back(static_cast<char>(10 * i));
  for (int32_t label : {0, 3, 1, 3}) s.labels.append(reinterpret_cast<const char*>(&label), 4);
  auto digest = dataset_format::ContentDigest::create();
  EXPECT_TRUE(digest.ok());
  digest->add_features(s.features);
  digest->add_labels(s.labels);
  s.id = digest->finish(s.header);
  v1::DatasetChunk first;
  first.set_dataset_id(s.id);
  *first.mutable_header() = s.header;
  s.chunks.push_back(first);
  for (size_t at = 0; at < s.features.size(); at += kChunkBytes)
    s.chunks.emplace_back().set_features(s.features.substr(at, kChunkBytes));
  for (size_t at = 0; at < s.labels.size(); at += kChunkBytes)
    s.chunks.emplace_back().set_labels(s.labels.substr(at, kChunkBytes));
  return s;
}

v1::JobAssignment assignment(const std::string& dataset_id) {
  v1::JobAssignment a;
  a.set_job_id("job-7");
  a.set_attempt(3);
  a.mutable_spec()->mutable_data()->set_dataset_id(dataset_id);
  return a;
}

// Serves `chunks` on every call, after `failures` calls that end with `failure`
// having sent the first half.
struct StandIn {
  std::vector<v1::DatasetChunk> chunks;
  int failures = 0;
  grpc::Status failure{grpc::StatusCode::UNAVAILABLE, "connection reset"};
  int calls = 0;
  v1::FetchDatasetRequest last_request;

  DatasetStream stream() {
    return [this](const v1::FetchDatasetRequest& request, const ChunkSink& on_chunk) {
      ++calls;
      last_request = request;
      const bool fail = calls <= failures;
      const size_t sent = fail ? chunks.size() / 2 : chunks.size();
      for (size_t i = 0; i < sent; ++i) {
        if (!on_chunk(chunks[i])) return grpc::Status(grpc::StatusCode::CANCELLED, "stopped");
      }
      return fail ? failure : grpc::Status::OK;
    };
  }
};

TEST(DatasetFetchTest, AnIntactCopyBecomesTheDatasetTheStoreWouldLoad) {
  const Served s = served();
  StandIn coordinator{s.chunks};
  JobFlags flags;
  auto fetched = fetch_dataset(coordinator.stream(), "worker-1", assignment(s.id), flags);
  ASSERT_TRUE(fetched.ok()) << fetched.status().message();
  EXPECT_EQ(coordinator.last_request.worker_id(), "worker-1");
  EXPECT_EQ(coordinator.last_request.job_id(), "job-7");
  EXPECT_EQ(coordinator.last_request.attempt(), 3U);
  EXPECT_EQ(fetched->num_classes, 5U);
  EXPECT_EQ(fetched->data.count, 4);
  EXPECT_EQ(fetched->data.sample_shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(fetched->data.source_type, engine::SourceType::kUint8);
  ASSERT_EQ(fetched->data.features.size(), 24U);
  EXPECT_EQ(fetched->data.features[0], 0.0F);
  EXPECT_EQ(fetched->data.features[7], 70.0F);
  EXPECT_EQ(fetched->data.features[23], 230.0F);
  EXPECT_EQ(fetched->data.labels, (std::vector<int32_t>{0, 3, 1, 3}));
}

TEST(DatasetFetchTest, ATamperedChunkFailsNamingTheFieldAndTheHash) {
  Served s = served();
  std::string& bytes = *s.chunks[2].mutable_features();
  bytes[1] = static_cast<char>(bytes[1] ^ 1);  // one bit of one feature
  StandIn coordinator{s.chunks};
  JobFlags flags;
  auto fetched = fetch_dataset(coordinator.stream(), "worker-1", assignment(s.id), flags);
  ASSERT_FALSE(fetched.ok());
  const std::string& message = fetched.status().message();
  EXPECT_EQ(message.rfind("data.dataset_id: \"" + s.id + "\": ", 0), 0U) << message;
  EXPECT_NE(message.find("hashes to \"sha256:"), std::string::npos) << message;
  EXPECT_EQ(coordinator.calls, 1);  // damage is not retried
}

TEST(DatasetFetchTest, AStreamThatEndsShortFailsSayingSo) {
  Served s = served();
  s.chunks.pop_back();  // the last labels
  StandIn coordinator{s.chunks};
  JobFlags flags;
  auto fetched = fetch_dataset(coordinator.stream(), "worker-1", assignment(s.id), flags);
  ASSERT_FALSE(fetched.ok());
  EXPECT_NE(fetched.status().message().find("data.dataset_id"), std::string::npos);
  EXPECT_NE(fetched.status().message().find("ended before all the bytes"), std::string::npos)
      << fetched.status().message();
}

TEST(DatasetFetchTest, MoreBytesThanTheHeaderGivesAreRefused) {
  Served s = served();
  s.chunks.emplace_back().set_labels(std::string(4, '\0'));
  StandIn coordinator{s.chunks};
  JobFlags flags;
  auto fetched = fetch_dataset(coordinator.stream(), "worker-1", assignment(s.id), flags);
  ASSERT_FALSE(fetched.ok());
  EXPECT_NE(fetched.status().message().find("labels: 20 bytes, more than the 16"),
            std::string::npos)
      << fetched.status().message();
}

TEST(DatasetFetchTest, AnotherDatasetsHeaderIsRefused) {
  Served s = served();
  const std::string other =
      "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  StandIn coordinator{s.chunks};
  JobFlags flags;
  auto fetched = fetch_dataset(coordinator.stream(), "worker-1", assignment(other), flags);
  ASSERT_FALSE(fetched.ok());
  EXPECT_NE(fetched.status().message().find("sent dataset \"" + s.id + "\" instead"),
            std::string::npos)
      << fetched.status().message();
}

TEST(DatasetFetchTest, ACoordinatorOutOfReachMidFetchIsAskedAgain) {
  const Served s = served();
  StandIn coordinator{s.chunks, /*failures=*/2};
  JobFlags flags;
  auto fetched = fetch_dataset(coordinator.stream(), "worker-1", assignment(s.id), flags);
  ASSERT_TRUE(fetched.ok()) << fetched.status().message();
  EXPECT_EQ(coordinator.calls, 3);
  EXPECT_EQ(fetched->data.labels, (std::vector<int32_t>{0, 3, 1, 3}));
}

TEST(DatasetFetchTest, ARefusalIsNotRetriedAndIsNamed) {
  const Served s = served();
  StandIn coordinator{s.chunks, /*failures=*/1,
                      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "not this worker's")};
  JobFlags flags;
  auto fetched = fetch_dataset(coordinator.stream(), "worker-1", assignment(s.id), flags);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(coordinator.calls, 1);
  EXPECT_NE(fetched.status().message().find("data.dataset_id: \"" + s.id + "\""),
            std::string::npos);
  EXPECT_NE(fetched.status().message().find("not this worker's"), std::string::npos)
      << fetched.status().message();
}

TEST(DatasetFetchTest, RetriesEndAfterTheMostAttempts) {
  const Served s = served();
  StandIn coordinator{s.chunks, /*failures=*/kMaxFetchAttempts + 5};
  JobFlags flags;
  auto fetched = fetch_dataset(coordinator.stream(), "worker-1", assignment(s.id), flags);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(coordinator.calls, kMaxFetchAttempts);
  EXPECT_NE(fetched.status().message().find("connection reset"), std::string::npos);
  EXPECT_NE(fetched.status().message().find("after " + std::to_string(kMaxFetchAttempts)),
            std::string::npos)
      << fetched.status().message();
}

TEST(DatasetFetchTest, AStoppedJobStopsWaitingToRetry) {
  const Served s = served();
  StandIn coordinator{s.chunks, /*failures=*/kMaxFetchAttempts + 5};
  JobFlags flags;
  flags.cancel.store(true);  // raised by the coordinator's answer
  auto fetched = fetch_dataset(coordinator.stream(), "worker-1", assignment(s.id), flags);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().code(), engine::StatusCode::kCancelled);
  EXPECT_EQ(coordinator.calls, 1);
}

}  // namespace
}  // namespace gradstream::worker
