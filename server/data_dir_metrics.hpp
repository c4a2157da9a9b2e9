// DataDirMetrics: the data directory's usage on /metrics (docs/metrics.md):
// bytes of the job store, bytes of the datasets, free bytes of the volume.
// Measured at each scrape (ServerMetrics' scrape hook calls update()), so
// nothing runs between scrapes and the figures are as fresh as the scrape.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <filesystem>

namespace gradstream::server {

class DataDirMetrics {
 public:
  DataDirMetrics(prometheus::Registry& registry, std::filesystem::path data_dir);

  // Measures the directory (measure_data_dir) and sets the gauges.
  void update();

 private:
  const std::filesystem::path data_dir_;
  prometheus::Gauge& job_store_bytes_;
  prometheus::Gauge& dataset_bytes_;
  prometheus::Gauge& free_bytes_;
};

}  // namespace gradstream::server
