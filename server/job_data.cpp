// Data loaders for jobs: uploaded data sets and everything load_data reads.
#include "server/job_data.hpp"

#include <utility>

#include "dataset_format/uploaded_splits.hpp"

namespace gradstream::server {

engine::Result<engine::DataSplits> load_uploaded_dataset(DatasetStore& store, const std::string& id,
                                                         const v1::DataSpec& data_spec,
                                                         uint64_t seed, uint32_t num_classes) {
  auto dataset = store.load(id);
  if (!dataset.ok()) return dataset.status();
  return dataset_format::uploaded_splits(std::move(dataset).value(), data_spec, seed, num_classes);
}

JobManager::DataLoader restored_data_loader(DatasetStore* datasets, const v1::TrainingSpec& spec) {
  if (spec.data().source_case() != v1::DataSpec::kDatasetId) {
    return [data_spec = spec.data(), seed = spec.seed()] {
      return engine::load_data(data_spec, seed);
    };
  }
  return [datasets, data_spec = spec.data(),
          seed = spec.seed()]() -> engine::Result<engine::DataSplits> {
    const std::string& id = data_spec.dataset_id();
    if (datasets == nullptr) {
      return engine::not_found("data.dataset_id: \"" + id +
                               "\" not found; this server stores no datasets");
    }
    auto described = datasets->describe(id);
    if (!described.ok()) return described.status();
    return load_uploaded_dataset(*datasets, id, data_spec, seed, described->header().num_classes());
  };
}

}  // namespace gradstream::server
