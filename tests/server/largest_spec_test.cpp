// The largest spec the validator accepts, trained through a whole GrpcServer
// at the default message limit: its Job comes back from GetJob, a ListJobs of
// several such jobs pages by bytes (each page under half the limit, every job
// listed once), and WatchJob sends every event, the gradient event carrying a
// tensor of every parameter included; ExportModel sends its model in pieces.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "engine/base/input_limits.hpp"
#include "engine/spec/spec_validator.hpp"
#include "tests/server/live_server.hpp"

namespace gradstream::server {
namespace {

using test_support::LiveServer;
using test_support::upload_chunks;

constexpr uint32_t kFeatures = 2;
constexpr uint32_t kClasses = 3;
constexpr uint32_t kWide = 1000;   // units of the layer whose weights the spec gives
constexpr uint32_t kFirst = 1040;  // units before it: kFirst x kWide given weights
constexpr int kJobs = 3;           // three such jobs do not fit in one page

// A name of exactly the limit, unique per index.
std::string long_name(int index) {
  std::string name = "layer-" + std::to_string(index) + "-";
  name.resize(engine::kMaxNameLength, 'x');
  return name;
}

// kMaxLayers layers with the longest names; a dense layer with ~a million
// given weights (just under the spec size limit); every report at its most.
v1::TrainingSpec largest_spec(const std::string& dataset_id) {
  v1::TrainingSpec spec;
  spec.set_name(std::string(engine::kMaxNameLength, 'j'));
  v1::ModelSpec& model = *spec.mutable_model();
  model.add_input_shape(kFeatures);
  int index = 0;
  auto add = [&]() -> v1::LayerSpec& {
    v1::LayerSpec& layer = *model.add_layers();
    layer.set_name(long_name(index++));
    return layer;
  };
  add().mutable_dense()->set_units(kFirst);
  v1::DenseSpec& wide = *add().mutable_dense();
  wide.set_units(kWide);
  wide.mutable_initial_weights()->Resize(kFirst * kWide, 0.001f);
  wide.mutable_initial_bias()->Resize(kWide, 0.0f);
  while (index < engine::kMaxLayers - 1) add().mutable_activation()->set_name("relu");
  add().mutable_dense()->set_units(kClasses);
  spec.mutable_data()->set_dataset_id(dataset_id);
  spec.set_epochs(1);
  spec.set_batch_size(30);
  v1::ReportingSpec& reporting = *spec.mutable_reporting();
  reporting.set_histogram_bins(engine::kMaxHistogramBins);
  reporting.set_send_gradient_tensors(true);
  reporting.set_max_tensor_elements(engine::kMaxTensorElements);
  reporting.set_gradient_every(1);
  reporting.set_activation_every(1);
  return spec;
}

TEST(LargestSpecTest, GetListAndWatchWorkOnTheLargestAcceptedSpec) {
  LiveServer server("largest_spec");
  server.start();
  v1::Dataset dataset;
  ASSERT_TRUE(server.upload(upload_chunks(60, kFeatures, kClasses), &dataset).ok());

  const v1::TrainingSpec spec = largest_spec(dataset.id());
  const engine::Status valid = engine::validate_spec(spec);
  ASSERT_TRUE(valid.ok()) << valid.message();
  // Within 1 % of the limit: as large as a valid spec gets.
  ASSERT_GT(spec.ByteSizeLong(), engine::kMaxSpecBytes / 100 * 99);
  ASSERT_LE(spec.ByteSizeLong(), engine::kMaxSpecBytes);

  std::set<std::string> created;
  for (int i = 0; i < kJobs; ++i) {
    v1::Job job;
    const grpc::Status status = server.create(spec, &job);
    ASSERT_TRUE(status.ok()) << status.error_message();
    created.insert(job.id());
  }
  for (const std::string& id : created) {
    const auto watched = server.watch(id);
    ASSERT_TRUE(watched.status.ok()) << watched.status.error_message();
    ASSERT_FALSE(watched.events.empty());
    EXPECT_EQ(watched.events.back().state(), v1::SUCCEEDED);
    size_t largest_event = 0;
    for (const auto& event : watched.events) {
      largest_event = std::max(largest_event, event.ByteSizeLong());
    }
    // The gradient event carries every parameter's gradient: > 4 bytes each.
    EXPECT_GT(largest_event, size_t{kFirst} * kWide * sizeof(float));

    v1::Job job;
    const grpc::Status got = server.get(id, &job);
    ASSERT_TRUE(got.ok()) << got.error_message();
    EXPECT_EQ(job.spec().model().layers(1).dense().initial_weights_size(),
              static_cast<int>(kFirst * kWide));
  }

  // Its model (every parameter as a float) comes in several 1 MiB pieces.
  std::string model;
  size_t chunks = 0;
  const grpc::Status exported = server.export_model(*created.begin(), &model, &chunks);
  ASSERT_TRUE(exported.ok()) << exported.error_message();
  EXPECT_GT(model.size(), size_t{kFirst} * kWide * sizeof(float));
  EXPECT_EQ(chunks, (model.size() + kExportChunkBytes - 1) / kExportChunkBytes);

  std::set<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    v1::ListJobsResponse page;
    const grpc::Status status = server.list(token, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_LE(page.ByteSizeLong(), size_t(kDefaultMaxMessageBytes / 2));
    EXPECT_GE(page.jobs_size(), 1);
    for (const auto& job : page.jobs()) EXPECT_TRUE(listed.insert(job.id()).second) << job.id();
    token = page.next_page_token();
    ASSERT_LE(++pages, kJobs);
  } while (!token.empty());
  EXPECT_EQ(listed, created);
  EXPECT_GT(pages, 1);
}

}  // namespace
}  // namespace gradstream::server
