// SIGTERM and SIGINT for a process that stops on them through a sigwait
// thread of its own (gradstream-server, gradstream-worker).
#pragma once

#include <pthread.h>
#include <signal.h>

namespace gradstream::server {

// Blocks SIGTERM and SIGINT on the calling thread and returns them as a set
// for sigwait. Call before any other thread starts (gRPC starts its own when
// a server or credentials are first made): threads inherit the mask, so only
// the sigwait thread ever sees the signals.
inline sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

}  // namespace gradstream::server
