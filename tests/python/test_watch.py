"""watch: every event once, in order, to the end, across a server killed and restarted."""

import grpc
import pytest

import gradstream
from conftest import make_blobs, tiny_spec

SUCCEEDED = gradstream.JobState.Value("SUCCEEDED")
RUNNING = gradstream.JobState.Value("RUNNING")
# The server is killed when this many events have arrived: in the first
# epochs, and again halfway through the run.
KILL_AFTER_EVENTS = (40, 700)


def kinds(events):
    return [e.WhichOneof("event") for e in events]


def test_watch_yields_the_whole_log_and_ends_with_the_final_state(client, trained_job):
    events = list(client.watch(trained_job.id))
    assert [e.sequence for e in events] == list(range(1, trained_job.last_sequence + 1))
    assert all(e.job_id == trained_job.id for e in events)
    assert kinds(events).count("done") == 1
    done = next(e.done for e in events if e.WhichOneof("event") == "done")
    assert done.outcome == done.SUCCEEDED
    assert done.steps == trained_job.steps
    assert events[-1].WhichOneof("event") == "state" and events[-1].state == SUCCEEDED
    assert kinds(events).count("step") == trained_job.steps  # stepEvery 1
    assert kinds(events).count("epoch") == 3


def test_watch_from_a_sequence_starts_there(client, trained_job):
    events = list(client.watch(trained_job.id, from_sequence=10))
    assert [e.sequence for e in events] == list(range(10, trained_job.last_sequence + 1))


def without_clock(event):
    """The event without its wall-clock figures: when it was made and how fast it went.

    Steps a killed server had done after its newest checkpoint are done again
    after the restart, with the same numbers and the same losses, but at
    another time and speed.
    """
    copy = type(event)()
    copy.CopyFrom(event)
    copy.ClearField("time")
    kind = copy.WhichOneof("event")
    if kind == "step":
        copy.step.samples_per_second = 0
    elif kind == "epoch":
        copy.epoch.seconds = copy.epoch.samples_per_second = 0
    elif kind == "done":
        copy.done.seconds = 0
    return copy


@pytest.mark.parametrize("stop", ["kill", "stop"])  # SIGKILL, or SIGTERM's graceful shutdown
def test_watch_survives_a_server_killed_and_restarted_mid_job(start_server, stop):
    # A checkpoint every 0.1 s: the second kill finds several to resume from.
    server = start_server("--checkpoint-every", "0.1")
    with gradstream.Client(server.target) as client:
        dataset = client.upload(*make_blobs(), name="blobs")
        # Wide layers (the server computes longer than the client reads): 12 steps an
        # epoch at batch 64, about 17 events, over 80 epochs.
        job = client.submit(tiny_spec(dataset.id, epochs=80, batchSize=64, layers=2, units=512))
        stream = client.watch(job.id)
        received = []
        states_at_kill = []
        for event in stream:
            received.append(event)
            if len(received) in KILL_AFTER_EVENTS:
                states_at_kill.append(client.get(job.id).state)
                getattr(server, stop)()
                server.start()  # same port, same data dir
        final = client.get(job.id)
        replay = list(client.watch(job.id))
    assert states_at_kill == [RUNNING] * len(KILL_AFTER_EVENTS)
    assert stream.reconnects >= len(KILL_AFTER_EVENTS)
    assert final.resumes == len(KILL_AFTER_EVENTS)
    assert final.resumed_from_step > 0  # the second time from a checkpoint
    assert final.state == SUCCEEDED
    assert [e.sequence for e in received] == list(range(1, final.last_sequence + 1))
    assert received[-1].WhichOneof("event") == "state" and received[-1].state == SUCCEEDED
    assert kinds(received).count("done") == 1
    steps = [e.step.step for e in received if e.WhichOneof("event") == "step"]
    assert steps == list(range(1, final.steps + 1))  # stepEvery 1: each step once, in order
    # What arrived across the restarts is the job's log, but for the clock.
    assert [without_clock(e) for e in received] == [without_clock(e) for e in replay]


def test_a_watch_whose_server_never_returns_gives_up_unavailable(start_server):
    server = start_server()
    with gradstream.Client(server.target) as client:
        dataset = client.upload(*make_blobs(), name="blobs")
        job = client.submit(tiny_spec(dataset.id, epochs=2000, name="forever"))
        stream = iter(client.watch(job.id, reconnect_seconds=1.0))
        next(stream)
        server.kill()
        with pytest.raises(gradstream.GradstreamError) as caught:
            for _ in stream:
                pass
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
