// Fetching a job's uploaded dataset: one call assembles and checks the
// chunks; fetch_dataset makes the calls again while they fail transiently.
#include "worker/dataset_fetch.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <thread>
#include <utility>

#include "dataset_format/dataset_content.hpp"
#include "dataset_format/dataset_digest.hpp"
#include "dataset_format/dataset_header.hpp"

namespace gradstream::worker {
namespace {

// One call's chunks, in the order FetchDataset sends them (DatasetChunk):
// the header, then features, then labels.
class ChunkAssembly {
 public:
  explicit ChunkAssembly(std::string expected_id) : expected_id_(std::move(expected_id)) {}

  engine::Status take(const v1::DatasetChunk& chunk) {
    if (!content_) {
      if (!chunk.has_header()) return engine::data_loss("the first chunk carries no header");
      if (chunk.dataset_id() != expected_id_) {
        return engine::data_loss("the coordinator sent dataset \"" + chunk.dataset_id() +
                                 "\" instead");
      }
      auto layout = dataset_format::validate_dataset_header(chunk.header(),
                                                            std::numeric_limits<int64_t>::max());
      if (!layout.ok()) return engine::data_loss("header: " + layout.status().message());
      auto digest = dataset_format::ContentDigest::create();
      if (!digest.ok()) return digest.status();
      header_ = chunk.header();
      content_.emplace(header_, *layout);
      digest_.emplace(std::move(digest).value());
      return engine::ok_status();
    }
    if (chunk.has_header()) return engine::data_loss("a chunk after the first carries a header");
    if (!chunk.features().empty() && labels_begun_)
      return engine::data_loss("features arrived after the labels began");
    labels_begun_ = labels_begun_ || !chunk.labels().empty();
    if (engine::Status s = content_->append_features(chunk.features()); !s.ok())
      return engine::data_loss(s.message());
    if (engine::Status s = content_->append_labels(chunk.labels()); !s.ok())
      return engine::data_loss(s.message());
    digest_->add_features(chunk.features());
    digest_->add_labels(chunk.labels());
    return engine::ok_status();
  }

  // The checked dataset, once the stream ended well.
  engine::Result<FetchedDataset> finish() {
    if (!content_) return engine::data_loss("the stream ended before its header");
    if (!content_->complete())
      return engine::data_loss("the stream ended before all the bytes its header gives");
    const std::string id = digest_->finish(header_);
    if (id != expected_id_) {
      return engine::data_loss("the fetched copy hashes to \"" + id +
                               "\", not to its id (the stored copy or its transfer is damaged)");
    }
    auto data = std::move(*content_).finish("labels");
    if (!data.ok()) return data.status();
    return FetchedDataset{std::move(data).value(), header_.num_classes()};
  }

 private:
  const std::string expected_id_;
  v1::DatasetHeader header_;
  std::optional<dataset_format::DatasetContent> content_;
  std::optional<dataset_format::ContentDigest> digest_;
  bool labels_begun_ = false;
};

std::string code_text(const grpc::Status& status) {
  return std::to_string(static_cast<int>(status.error_code())) + " " + status.error_message();
}

bool stopped(const JobFlags& flags) {
  return flags.cancel.load() || flags.interrupt.load() || flags.dropped.load();
}

}  // namespace

engine::Result<FetchedDataset> fetch_dataset(const DatasetStream& stream,
                                             const std::string& worker_id,
                                             const v1::JobAssignment& assignment,
                                             const JobFlags& flags) {
  const std::string& id = assignment.spec().data().dataset_id();
  const std::string field = "data.dataset_id: \"" + id + "\": ";
  v1::FetchDatasetRequest request;
  request.set_worker_id(worker_id);
  request.set_job_id(assignment.job_id());
  request.set_attempt(assignment.attempt());
  auto retry = kFirstRetry;
  for (int attempt = 1;; ++attempt) {
    ChunkAssembly assembly(id);
    engine::Status failure = engine::ok_status();
    const grpc::Status status = stream(request, [&](const v1::DatasetChunk& chunk) {
      failure = assembly.take(chunk);
      return failure.ok();
    });
    if (!failure.ok()) return engine::Status(failure.code(), field + failure.message());
    if (status.ok()) {
      auto fetched = assembly.finish();
      if (!fetched.ok())
        return engine::Status(fetched.status().code(), field + fetched.status().message());
      return fetched;
    }
    if (!transient(status.error_code()) || attempt >= kMaxFetchAttempts) {
      return engine::failed_precondition(field + "the coordinator refused to send it (" +
                                         code_text(status) + ") after " + std::to_string(attempt) +
                                         " attempt(s)");
    }
    // Unreachable or restarting: the whole dataset again, after a while.
    const auto until = std::chrono::steady_clock::now() + retry;
    while (!stopped(flags) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (stopped(flags)) return engine::cancelled(field + "the job was stopped while fetching it");
    retry = std::min(retry * 2, kMostRetry);
  }
}

}  // namespace gradstream::worker
