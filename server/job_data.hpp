// The data a job trains on, as loaders the job manager calls when the job
// starts (on its worker): for CreateJob, and for jobs a restarted server takes
// back from its store.
#pragma once

#include <cstdint>
#include <string>

#include "engine/data/data_loader.hpp"
#include "gradstream/v1/spec.pb.h"
#include "server/dataset_store.hpp"
#include "server/job_manager.hpp"

namespace gradstream::server {

// Reads and splits an uploaded data set. num_classes is its header's: a class
// the uploader declared still gets an output unit even if no label uses it.
engine::Result<engine::DataSplits> load_uploaded_dataset(DatasetStore& store, const std::string& id,
                                                         const v1::DataSpec& data_spec,
                                                         uint64_t seed, uint32_t num_classes);

// The loader of a job taken back from the store: what CreateJob would build,
// every check made when the job starts (a dataset deleted or a file changed
// since fails that job alone). `datasets` may be null.
JobManager::DataLoader restored_data_loader(DatasetStore* datasets, const v1::TrainingSpec& spec);

}  // namespace gradstream::server
