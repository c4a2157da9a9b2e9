// DataDirMetrics: three gauges, set from measure_data_dir at each scrape.
#include "server/data_dir_metrics.hpp"

#include <utility>

#include "server/data_dir_space.hpp"

namespace gradstream::server {

namespace {

prometheus::Gauge& gauge(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

DataDirMetrics::DataDirMetrics(prometheus::Registry& registry, std::filesystem::path data_dir)
    : data_dir_(std::move(data_dir)),
      job_store_bytes_(gauge(registry, "gradstream_data_dir_job_store_bytes",
                             "Bytes of the job store (jobs.sqlite with its WAL) in the data dir")),
      dataset_bytes_(gauge(registry, "gradstream_data_dir_dataset_bytes",
                           "Bytes of uploaded datasets (and uploads in progress) in the data dir")),
      free_bytes_(gauge(registry, "gradstream_data_dir_free_bytes",
                        "Bytes free for the server on the data dir's volume")) {}

void DataDirMetrics::update() {
  const DataDirUsage usage = measure_data_dir(data_dir_);
  job_store_bytes_.Set(static_cast<double>(usage.job_store_bytes));
  dataset_bytes_.Set(static_cast<double>(usage.dataset_bytes));
  free_bytes_.Set(static_cast<double>(usage.free_bytes));
}

}  // namespace gradstream::server
