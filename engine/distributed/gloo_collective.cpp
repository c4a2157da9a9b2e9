// GlooCollective: the rendezvous (rendezvous::Context::connectFullMesh over a
// TCP device) and the allreduces (gloo::allreduce, ring algorithm: each
// segment is summed by one rank and passed on, so every rank receives the
// same bits). Gloo reports failures by exceptions; they end here as Status.
#include "engine/distributed/gloo_collective.hpp"

#include <gloo/allreduce.h>
#include <gloo/common/error.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/store.h>
#include <gloo/transport/tcp/device.h>

#include <exception>

#include "engine/base/run_limits.hpp"

namespace gradstream::engine {

namespace {

std::string rank_text(int rank, int size) {
  return "distributed: rank " + std::to_string(rank) + " of " + std::to_string(size);
}

// Gloo's messages start with the source location ("[gloo/...cc:123] ..."): keep them, they
// name the peer and the operation.
Status collective_failure(int rank, int size, const std::string& what, const std::exception& e) {
  return unavailable(rank_text(rank, size) + ": " + what + " failed: " + e.what());
}

}  // namespace

GlooCollective::GlooCollective(std::shared_ptr<gloo::Context> context, int rank, int size)
    : context_(std::move(context)), rank_(rank), size_(size) {}

GlooCollective::~GlooCollective() = default;

Result<std::unique_ptr<GlooCollective>> GlooCollective::connect(gloo::rendezvous::Store& store,
                                                                int rank, int size,
                                                                const GlooOptions& options) {
  if (size < 1 || static_cast<uint32_t>(size) > kMaxWorkers) {
    return invalid_argument("distributed: " + std::to_string(size) + " ranks is out of range [1, " +
                            std::to_string(kMaxWorkers) + "]");
  }
  if (rank < 0 || rank >= size) {
    return invalid_argument("distributed: rank " + std::to_string(rank) + " is out of range [0, " +
                            std::to_string(size - 1) + "]");
  }
  if (options.timeout.count() <= 0) {
    return invalid_argument("distributed: timeout must be positive, got " +
                            std::to_string(options.timeout.count()) + " ms");
  }
  try {
    gloo::transport::tcp::attr attr;
    if (options.interface.empty()) {
      attr.hostname = options.hostname;
    } else {
      attr.iface = options.interface;
    }
    std::shared_ptr<gloo::transport::Device> device = gloo::transport::tcp::CreateDevice(attr);
    auto context = std::make_shared<gloo::rendezvous::Context>(rank, size);
    context->setTimeout(options.timeout);
    context->connectFullMesh(store, device);
    return std::unique_ptr<GlooCollective>(new GlooCollective(std::move(context), rank, size));
  } catch (const std::exception& e) {
    return collective_failure(
        rank, size,
        "connecting to the other ranks (within " + std::to_string(options.timeout.count()) + " ms)",
        e);
  }
}

template <typename T>
Status GlooCollective::allreduce(T* data, size_t count, bool maximum) {
  if (!failure_.ok()) return failure_;
  if (size_ == 1 || count == 0) return ok_status();
  try {
    gloo::AllreduceOptions opts(context_);
    opts.setOutput(data, count);  // in place: the output is the input
    opts.setAlgorithm(gloo::AllreduceOptions::Algorithm::RING);
    using Reduce = void (*)(void*, const void*, const void*, size_t);
    opts.setReduceFunction(maximum ? static_cast<Reduce>(&gloo::max<T>)
                                   : static_cast<Reduce>(&gloo::sum<T>));
    opts.setTag(next_tag_++);
    gloo::allreduce(opts);
  } catch (const std::exception& e) {
    failure_ = collective_failure(
        rank_, size_, "allreduce of " + std::to_string(count * sizeof(T)) + " bytes", e);
    return failure_;
  }
  return ok_status();
}

Status GlooCollective::allreduce_sum(float* data, size_t count) {
  return allreduce(data, count, false);
}

Status GlooCollective::allreduce_sum(double* data, size_t count) {
  return allreduce(data, count, false);
}

Status GlooCollective::allreduce_max(double* data, size_t count) {
  return allreduce(data, count, true);
}

}  // namespace gradstream::engine
