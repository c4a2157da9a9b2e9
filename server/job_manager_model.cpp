// JobManager's trained models: a SUCCEEDED job's model file is served from its
// record (no store, or the store's write failed) or, once stored, through the
// model cache, read from the store on a miss.
#include "server/job_manager.hpp"
#include "server/job_manager_record.hpp"

namespace gradstream::server {

engine::Status JobManager::has_model(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return model_state(id);
}

engine::Status JobManager::model_state(const std::string& id) const {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return job_not_found(id);
  const v1::JobState state = snapshot(*it->second).state();
  if (state != v1::SUCCEEDED || (store_ == nullptr && !it->second->model)) {
    return engine::failed_precondition("job \"" + id + "\" is " + v1::JobState_Name(state) +
                                       "; only a SUCCEEDED job has a trained model");
  }
  return engine::ok_status();
}

engine::Result<std::shared_ptr<const std::string>> JobManager::model_bytes(
    const std::string& id) const {
  {
    std::lock_guard lock(mutex_);
    if (engine::Status s = model_state(id); !s.ok()) return s;
    // Held in memory: no store, or its write failed.
    if (auto& model = jobs_.at(id)->model) return model;
  }
  if (auto cached = model_cache_.get(id)) return cached;
  // Read without the manager's lock: an 80 MB model must not stall every RPC.
  // Two first reads of one model may both read it; the cache keeps one.
  engine::Result<std::shared_ptr<const std::string>> stored = store_->model(id);
  if (!stored.ok()) return stored.status();  // not_found: forgotten meanwhile
  if (*stored == nullptr) {
    return engine::data_loss("job \"" + id + "\" SUCCEEDED but the job store " + store_->path() +
                             " has no model for it");
  }
  std::lock_guard lock(mutex_);
  // A job forgotten during the read has had its entry dropped already.
  if (jobs_.contains(id)) model_cache_.put(id, *stored, (*stored)->size());
  return stored;
}

void JobManager::drop_stored_model(const std::string& id,
                                   const std::shared_ptr<const std::string>& model) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->model != model) return;  // forgotten meanwhile
  it->second->model = nullptr;
  model_cache_.put(id, model, model->size());
}

}  // namespace gradstream::server
