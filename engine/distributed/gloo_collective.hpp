// GlooCollective: the Collective over a Gloo context whose ranks meet through
// a rendezvous Store (the worker's store over gRPC to the coordinator; Gloo's
// HashStore in one process, FileStore across processes) and exchange over
// Gloo's TCP transport. The only engine code that includes Gloo.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "engine/base/status.hpp"
#include "engine/core/collective.hpp"

namespace gloo {
class Context;
namespace rendezvous {
class Store;
}
}  // namespace gloo

namespace gradstream::engine {

// How long connecting and each collective may take before the rank gives up.
inline constexpr std::chrono::milliseconds kDefaultCollectiveTimeout{std::chrono::seconds(30)};

struct GlooOptions {
  // Where this rank listens for its peers: a host name or address to bind
  // ("127.0.0.1" for ranks on one machine) ...
  std::string hostname = "127.0.0.1";
  // ... or, when set, a network interface (e.g. "eth0") whose address is used instead.
  std::string interface;
  // For the rendezvous (every rank must arrive within it) and each allreduce.
  std::chrono::milliseconds timeout = kDefaultCollectiveTimeout;
};

class GlooCollective : public Collective {
 public:
  // Joins the ranks: publishes this rank's address in `store`, waits for
  // every other rank's and connects a full mesh. Fails naming the rank and
  // what went wrong (a rank that never arrived: the timeout).
  static Result<std::unique_ptr<GlooCollective>> connect(gloo::rendezvous::Store& store, int rank,
                                                         int size, const GlooOptions& options = {});
  ~GlooCollective() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status allreduce_sum(float* data, size_t count) override;
  Status allreduce_sum(double* data, size_t count) override;
  Status allreduce_max(double* data, size_t count) override;

 private:
  GlooCollective(std::shared_ptr<gloo::Context> context, int rank, int size);
  template <typename T>
  Status allreduce(T* data, size_t count, bool maximum);

  std::shared_ptr<gloo::Context> context_;
  int rank_;
  int size_;
  uint32_t next_tag_ = 0;  // each collective gets its own tag, in the same order on every rank
  Status failure_;         // the first failure: the mesh is in an unknown state after it
};

}  // namespace gradstream::engine
