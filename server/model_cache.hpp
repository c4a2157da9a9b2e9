// ModelCache: models by job id, least recently used dropped first, bounded in
// bytes. The JobManager keeps finished jobs' model files in one (read from the
// job store on a miss) and Predict its loaded models in another, so a server
// holding many finished jobs holds at most the bound of each, not every model.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace gradstream::server {

// Thread-safe. Entries are shared_ptrs: one evicted (or erased) while a caller
// uses it (an export streaming it, a prediction running on it) stays alive
// until that caller lets go; the bound counts only what the cache keeps.
template <class Model>
class ModelCache {
 public:
  // Told the bytes the cache holds after every change (under the cache's
  // lock: keep it quick, e.g. a gauge's Set).
  using BytesObserver = std::function<void(size_t bytes)>;

  explicit ModelCache(size_t capacity_bytes, BytesObserver on_change = nullptr)
      : capacity_(capacity_bytes), on_change_(std::move(on_change)) {}

  ModelCache(const ModelCache&) = delete;
  ModelCache& operator=(const ModelCache&) = delete;

  // The entry for `id`, now the most recently used; null when there is none.
  std::shared_ptr<Model> get(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(id);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->model;
  }

  // Keeps `model` (costing `bytes`) as the most recently used entry for `id`,
  // replacing one there, and drops the least recently used entries until the
  // cache holds at most its capacity. An entry bigger than the whole capacity
  // is not kept (it would only push everything else out); its caller still
  // has it.
  void put(const std::string& id, std::shared_ptr<Model> model, size_t bytes) {
    std::lock_guard lock(mutex_);
    remove_locked(id);
    if (model != nullptr && bytes <= capacity_) {
      order_.push_front(Entry{id, std::move(model), bytes});
      index_.emplace(id, order_.begin());
      bytes_ += bytes;
      while (bytes_ > capacity_) {
        const std::string oldest = order_.back().id;  // a copy: the entry goes
        remove_locked(oldest);
      }
    }
    notify_locked();
  }

  // Drops the entry for `id`, if any (its job was forgotten).
  void erase(const std::string& id) {
    std::lock_guard lock(mutex_);
    if (remove_locked(id)) notify_locked();
  }

  size_t capacity() const { return capacity_; }
  size_t bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return index_.size();
  }

 private:
  struct Entry {
    std::string id;
    std::shared_ptr<Model> model;
    size_t bytes = 0;
  };

  bool remove_locked(const std::string& id) {
    auto it = index_.find(id);
    if (it == index_.end()) return false;
    bytes_ -= it->second->bytes;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }

  void notify_locked() const {
    if (on_change_) on_change_(bytes_);
  }

  const size_t capacity_;
  const BytesObserver on_change_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;  // the most recently used first
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
};

// Finished jobs' model files (engine/model_file.hpp), each costing its size.
using ModelFileCache = ModelCache<const std::string>;

}  // namespace gradstream::server
