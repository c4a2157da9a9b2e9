// JobManager's models with a JobStore: a finished job's model is stored and
// let go of by its record (served from the store through the model cache);
// after a restart models are read from the store when asked for, never held
// by the restored records; the cache keeps the most recently used within its
// bound and drops a forgotten job's model; a model the store lost is
// data_loss; without a store models stay in memory.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/job_manager.hpp"
#include "server/job_store.hpp"
#include "server/server_metrics.hpp"
#include "tests/server/job_manager_test_support.hpp"
#include "tests/server/prometheus_text.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

namespace fs = std::filesystem;
using engine::StatusCode;
using namespace job_manager_test;  // NOLINT: the shared helpers of these tests

double cache_gauge(ServerMetrics& metrics) {
  const auto samples = testing::parse_exposition(
      prometheus::TextSerializer().Serialize(metrics.registry().Collect()));
  return testing::find_value(samples, "gradstream_model_cache_bytes").value_or(-1.0);
}

// Runs one job of `epochs` on `manager` to its end; its id.
std::string run_to_end(JobManager& manager, uint32_t epochs) {
  auto created = manager.create_job(spec(epochs), "", loader());
  EXPECT_TRUE(created.ok()) << created.status().message();
  EXPECT_TRUE(manager.wait_idle(kTimeout));
  return created.ok() ? created->id() : "";
}

class JobManagerModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = JobStore::open(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
  }

  // Runs `count` jobs to SUCCEEDED one after another on a manager of its own;
  // returns their ids and keeps their models in models_.
  std::vector<std::string> train(int count, JobManagerOptions options = {}) {
    JobManager manager(options, nullptr, store_.get());
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      const std::string id = run_to_end(manager, 2 + i);
      auto model = manager.model_bytes(id);
      EXPECT_TRUE(model.ok()) << model.status().message();
      models_[id] = model.ok() ? **model : "";
      ids.push_back(id);
    }
    return ids;
  }

  // A restarted server: the store reopened, a new manager given its rows.
  std::unique_ptr<JobManager> restart(JobManagerOptions options, ServerMetrics* metrics = nullptr) {
    store_.reset();
    auto store = JobStore::open(dir_.string());
    EXPECT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    auto rows = store_->load_all();
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    for (const StoredJob& row : *rows) {
      EXPECT_EQ(row.model, nullptr) << row.job.id();  // load_all reads no model
      EXPECT_EQ(row.model_size, models_[row.job.id()].size()) << row.job.id();
    }
    auto manager = std::make_unique<JobManager>(options, metrics, store_.get());
    manager->restore(std::move(rows).value());
    return manager;
  }

  // Runs SQL on the store's file behind the manager's back.
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / kJobStoreFile).c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  test_support::TempDir scratch_{"job_manager_model"};
  const fs::path dir_ = scratch_.path() / "data";
  std::unique_ptr<JobStore> store_;
  std::map<std::string, std::string> models_;  // id -> model file, as first served
};

TEST_F(JobManagerModelTest, RestoredJobsServeTheirModelsFromTheStoreNotFromMemory) {
  const std::vector<std::string> ids = train(2);
  auto metrics = ServerMetrics::create(ServerMetricsOptions{});
  auto manager = restart(JobManagerOptions{.model_cache_bytes = 0}, metrics.get());
  for (const std::string& id : ids) {
    auto first = manager->model_bytes(id);
    auto second = manager->model_bytes(id);
    ASSERT_TRUE(first.ok() && second.ok()) << first.status().message();
    EXPECT_EQ(**first, models_[id]);
    EXPECT_EQ(**second, models_[id]);
    // Nothing kept (no cache, and the record holds none): each call read the store.
    EXPECT_NE(first->get(), second->get());
  }
  EXPECT_EQ(cache_gauge(*metrics), 0.0);
  // Lost from the store behind the server's back: nothing in memory serves it.
  exec("UPDATE jobs SET model = NULL WHERE id = '" + ids[0] + "'");
  auto lost = manager->model_bytes(ids[0]);
  EXPECT_EQ(lost.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(lost.status().message(), "job \"" + ids[0] + "\" SUCCEEDED but the job store " +
                                         (dir_ / kJobStoreFile).string() + " has no model for it");
}

TEST_F(JobManagerModelTest, TheCacheKeepsTheMostRecentlyUsedModelsWithinItsBound) {
  const std::vector<std::string> ids = train(3);
  // Room for two: jobs of more epochs have models of the same size.
  const size_t one = models_[ids[0]].size();
  ASSERT_EQ(models_[ids[1]].size(), one);
  ASSERT_EQ(models_[ids[2]].size(), one);
  auto metrics = ServerMetrics::create(ServerMetricsOptions{});
  auto manager = restart(JobManagerOptions{.model_cache_bytes = 2 * one}, metrics.get());
  EXPECT_EQ(cache_gauge(*metrics), 0.0);  // a restart reads no model
  auto a = manager->model_bytes(ids[0]);
  auto b = manager->model_bytes(ids[1]);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(cache_gauge(*metrics), static_cast<double>(2 * one));
  EXPECT_EQ(manager->model_bytes(ids[0])->get(), a->get());  // cached; a more recent than b
  auto c = manager->model_bytes(ids[2]);                     // b goes
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(**c, models_[ids[2]]);
  EXPECT_EQ(cache_gauge(*metrics), static_cast<double>(2 * one));
  EXPECT_EQ(manager->model_bytes(ids[0])->get(), a->get());
  EXPECT_EQ(manager->model_bytes(ids[2])->get(), c->get());
  auto b_again = manager->model_bytes(ids[1]);
  ASSERT_TRUE(b_again.ok());
  EXPECT_NE(b_again->get(), b->get());  // read from the store again
  EXPECT_EQ(**b_again, models_[ids[1]]);
}

TEST_F(JobManagerModelTest, AFinishedJobsModelIsStoredAndLetGoOfByItsRecord) {
  auto metrics = ServerMetrics::create(ServerMetricsOptions{});
  JobManager manager(JobManagerOptions{.model_cache_bytes = 0}, metrics.get(), store_.get());
  const std::string id = run_to_end(manager, 2);
  auto first = manager.model_bytes(id);
  auto second = manager.model_bytes(id);
  ASSERT_TRUE(first.ok() && second.ok()) << first.status().message();
  EXPECT_EQ(**first, **second);
  EXPECT_NE(first->get(), second->get());  // each read from the store
  auto stored = store_->model(id);
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_EQ(**stored, **first);
  EXPECT_EQ(cache_gauge(*metrics), 0.0);
}

TEST_F(JobManagerModelTest, AJustFinishedModelIsCachedAndAForgottenOneDropped) {
  auto metrics = ServerMetrics::create(ServerMetricsOptions{});
  JobManager manager(JobManagerOptions{.max_finished_jobs = 1}, metrics.get(), store_.get());
  const std::string first = run_to_end(manager, 2);
  auto model = manager.model_bytes(first);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(cache_gauge(*metrics), static_cast<double>((*model)->size()));
  EXPECT_EQ(manager.model_bytes(first)->get(), model->get());  // from the cache
  // The second job's end forgets the first.
  const std::string second = run_to_end(manager, 3);
  auto forgotten = manager.model_bytes(first);
  EXPECT_EQ(forgotten.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(forgotten.status().message(), "job \"" + first + "\" not found");
  auto kept = manager.model_bytes(second);
  ASSERT_TRUE(kept.ok());
  // Only the second job's model is cached now.
  EXPECT_EQ(cache_gauge(*metrics), static_cast<double>((*kept)->size()));
  EXPECT_EQ(store_->model(first).status().code(), StatusCode::kNotFound);
}

TEST(JobManagerModelNoStoreTest, WithoutAStoreModelsStayInMemory) {
  auto metrics = ServerMetrics::create(ServerMetricsOptions{});
  JobManager manager(JobManagerOptions{.model_cache_bytes = 0}, metrics.get());
  const std::string id = run_to_end(manager, 2);
  auto first = manager.model_bytes(id);
  auto second = manager.model_bytes(id);
  ASSERT_TRUE(first.ok() && second.ok()) << first.status().message();
  EXPECT_FALSE((*first)->empty());
  EXPECT_EQ(first->get(), second->get());  // the record's own, whatever the cache bound
  EXPECT_EQ(cache_gauge(*metrics), 0.0);
}

}  // namespace
}  // namespace gradstream::server
