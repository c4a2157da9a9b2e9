"""Python client for gradstream: submit, watch, predict and plot training jobs.

    import gradstream
    import gradstream.plot  # matplotlib
    client = gradstream.Client("localhost:50051")
    job = client.submit("examples/fashion-mnist-mlp.json")
    for event in client.watch(job.id):
        ...
    gradstream.plot.training_curves([job.id], "curves.png", client=client)
"""

from gradstream.client import Client
from gradstream.errors import GradstreamError
from gradstream.history import History, Table
from gradstream.v1.trainer_pb2 import Job, JobState, TrainingEvent
from gradstream.v1.spec_pb2 import TrainingSpec

__all__ = ["Client", "GradstreamError", "History", "Table", "Job", "JobState", "TrainingEvent",
           "TrainingSpec"]
