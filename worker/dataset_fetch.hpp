// The uploaded dataset (data.dataset_id) of a job a worker trains, fetched
// from its coordinator (FetchDataset): the chunks assembled into the engine's
// Dataset by the conversion the server's own store uses, and the content
// hashed on the way: a copy that does not hash to data.dataset_id fails the
// job. A coordinator out of reach mid-fetch (a transient status, as the
// report outbox counts them) is asked again from the start, after the
// outbox's waits, up to kMaxFetchAttempts times.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <string>

#include "engine/base/status.hpp"
#include "engine/io/dataset.hpp"
#include "gradstream/v1/worker.pb.h"
#include "worker/report_outbox.hpp"

namespace gradstream::worker {

// Calls of one fetch: with waits of kFirstRetry doubling up to kMostRetry
// between them, about 8 seconds of a coordinator restarting or unreachable.
inline constexpr int kMaxFetchAttempts = 8;

// A fetched dataset, checked: the engine's Dataset and its header's class count.
struct FetchedDataset {
  engine::Dataset data;
  uint32_t num_classes = 0;
};

// One FetchDataset call: `on_chunk` gets every chunk in order, and a false
// return stops reading (the call is cancelled); the call's status.
using ChunkSink = std::function<bool(const v1::DatasetChunk&)>;
using DatasetStream =
    std::function<grpc::Status(const v1::FetchDatasetRequest&, const ChunkSink& on_chunk)>;

// The dataset of `assignment`'s spec.data.dataset_id, for the worker
// `worker_id`. Every error's message begins `data.dataset_id: "<id>": ` and
// says what went wrong: the coordinator's answer (with its code), a stream
// out of order or short, or content that hashes to another id. Stops early
// (cancelled) when `flags` says the job is cancelled, interrupted or dropped.
engine::Result<FetchedDataset> fetch_dataset(const DatasetStream& stream,
                                             const std::string& worker_id,
                                             const v1::JobAssignment& assignment,
                                             const JobFlags& flags);

}  // namespace gradstream::worker
