// CoordinatorStore: Gloo's rendezvous key-value store for the ranks of one
// data-parallel job attempt, kept by the coordinator (the Rendezvous RPC).
// Each rank sets its address and waits for the others'; GlooCollective does
// the rest. Gloo calls it from one thread while the ranks connect.
#pragma once

#include <gloo/rendezvous/store.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gradstream/v1/worker.pb.h"

namespace gradstream::worker {

// How often a rank asks again for keys not set yet.
inline constexpr std::chrono::milliseconds kRendezvousPoll{50};

class CoordinatorStore final : public gloo::rendezvous::Store {
 public:
  // One Rendezvous call.
  using Call = std::function<grpc::Status(const v1::RendezvousRequest&, v1::RendezvousResponse*)>;

  CoordinatorStore(Call call, std::string worker_id, std::string job_id, uint64_t attempt);

  // Gloo's interface. Failures throw gloo::IoException (Gloo's own), which
  // GlooCollective::connect turns into a Status naming the rank.
  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override;

 private:
  v1::RendezvousRequest request() const;
  // The values of `keys` that are set now (cached once seen: a key never changes).
  void fetch(const std::vector<std::string>& keys);

  const Call call_;
  const std::string worker_id_;
  const std::string job_id_;
  const uint64_t attempt_;
  std::map<std::string, std::string> seen_;
};

}  // namespace gradstream::worker
