// JobRunner: one job attempt on a worker, on a thread of its own: the data
// loaded as the server would (builtin, data.files on a shared volume, or an
// uploaded dataset fetched from the coordinator and split the same way), the
// trainer built, resumed from the first of the assignment's checkpoints that
// restores, run, and every report it makes sent back through a ReportOutbox,
// the model file last. The same engine calls as the server's own runs, so a
// job ends with the same result wherever it trains.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/base/status.hpp"
#include "engine/core/collective.hpp"
#include "gradstream/v1/worker.pb.h"
#include "worker/dataset_fetch.hpp"
#include "worker/report_outbox.hpp"

namespace gradstream::worker {

// What a worker gives each of its jobs.
struct JobBudget {
  uint32_t threads = 1;     // OpenMP threads of one job
  uint32_t core_share = 1;  // cores per job slot: a prefetch thread only within it
};

// `assignment.spec` with its threads lowered to the budget and prefetching
// off when the threads fill the job's share of the cores.
v1::TrainingSpec budgeted_spec(const v1::TrainingSpec& spec, const JobBudget& budget);

// Connects a data-parallel assignment's rank to the others (the worker's
// Gloo over the coordinator's rendezvous).
using CollectiveFactory =
    std::function<engine::Result<std::shared_ptr<engine::Collective>>(const v1::JobAssignment&)>;

// Fetches a data.dataset_id assignment's dataset (fetch_dataset over the
// worker's channel to its coordinator).
using DatasetFetch =
    std::function<engine::Result<FetchedDataset>(const v1::JobAssignment&, const JobFlags&)>;

// Trains `assignment` to its end; returns once its last report (JobFinished)
// was taken by the coordinator, or the job was dropped. Never throws: every
// failure ends the job FAILED with the reason, reported. A data-parallel
// assignment (world_size > 1) trains as its rank, with `connect`'s collective;
// on an uploaded dataset every rank fetches it with `fetch`. A fetch stopped
// by a cancel or an interrupt ends the job CANCELLED or INTERRUPTED.
void run_assignment(const v1::JobAssignment& assignment, const JobBudget& budget,
                    ReportOutbox& outbox, JobFlags& flags, const CollectiveFactory& connect,
                    const DatasetFetch& fetch);

}  // namespace gradstream::worker
