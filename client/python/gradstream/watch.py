"""A job's events as one iterator that outlives dropped connections and server restarts.

A server that goes away mid-stream (UNAVAILABLE: a restart, a shutdown, a
dropped connection; CANCELLED: a stream a stopping server cut) is waited for,
and the stream is opened again at the next sequence number, so every event is
yielded exactly once, in order. The iterator ends after the job's last event
(the server closes the stream once the done report and the final state are
sent); other errors, or a server gone for longer than the patience, raise
GradstreamError.
"""

import time

import grpc

from gradstream.errors import from_rpc_error
from gradstream.v1 import trainer_pb2

# How long a server may stay away before watch gives up (a restart that
# resumes a job from its checkpoint takes a few seconds).
DEFAULT_RECONNECT_SECONDS = 60.0
# Between attempts to reach a server that went away: a refused attempt
# returns at once, so they are paced.
RECONNECT_PAUSE_SECONDS = 0.2
_SERVER_WENT_AWAY = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


class EventStream:
    """Iterates over TrainingEvents of `job_id` from `from_sequence` (0: the first)."""

    def __init__(self, stub, channel, metadata, job_id, from_sequence=0, step_every=0,
                 reconnect_seconds=DEFAULT_RECONNECT_SECONDS):
        self._stub = stub
        self._channel = channel
        self._metadata = metadata
        self._job_id = job_id
        self._next_sequence = from_sequence
        self._step_every = step_every
        self._patience = reconnect_seconds
        self.reconnects = 0  # how many times the stream was opened again

    def __iter__(self):
        last_event = time.monotonic()
        saw_done = False
        while True:
            request = trainer_pb2.WatchJobRequest(
                job_id=self._job_id, from_sequence=self._next_sequence,
                step_every=self._step_every)
            call = self._stub.WatchJob(request, metadata=self._metadata)
            try:
                for event in call:
                    # Never again an event already yielded, whatever the server sends.
                    if event.sequence < self._next_sequence:
                        continue
                    self._next_sequence = event.sequence + 1
                    last_event = time.monotonic()
                    saw_done = saw_done or event.WhichOneof("event") == "done"
                    yield event
                # The server ends a stream cleanly only once the job's log is closed.
                return
            except grpc.RpcError as error:
                if saw_done:
                    return
                waited = time.monotonic() - last_event
                if error.code() not in _SERVER_WENT_AWAY or waited >= self._patience:
                    raise from_rpc_error(error) from None
                self._wait_for_server(self._patience - waited, error)
                self.reconnects += 1
            finally:
                # A consumer that stops early (break, close()) ends the RPC too;
                # cancelling a finished call does nothing.
                call.cancel()

    def _wait_for_server(self, seconds, error):
        time.sleep(RECONNECT_PAUSE_SECONDS)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=max(seconds, 0.0))
        except grpc.FutureTimeoutError:
            raise from_rpc_error(error) from None
