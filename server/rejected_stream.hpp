// RejectedStream: the reactor of a streaming call refused before it started
// (bad request, unauthenticated, not found): it finishes at once with the
// status and deletes itself when gRPC is done with it, its only lifetime rule.
#pragma once

#include <grpcpp/grpcpp.h>

namespace gradstream::server {

template <class Reactor>
class RejectedStream final : public Reactor {
 public:
  explicit RejectedStream(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace gradstream::server
