"""Client: every Trainer RPC as one Python call, errors as GradstreamError."""

import os
import pathlib
import tempfile

import grpc
import numpy as np

from gradstream.connection import DEFAULT_TIMEOUT_SECONDS, ConnectionSettings
from gradstream.errors import from_rpc_error, invalid_argument
from gradstream.history import History
from gradstream.specs import to_spec
from gradstream.upload import DEFAULT_DATASET_NAME, upload_chunks
from gradstream.v1 import trainer_pb2, trainer_pb2_grpc
from gradstream.watch import DEFAULT_RECONNECT_SECONDS, EventStream

# export(format=...): the names the CLI's `export --format` takes.
EXPORT_FORMATS = {
    "native": trainer_pb2.MODEL_FORMAT_NATIVE,
    "onnx": trainer_pb2.MODEL_FORMAT_ONNX,
}

# ListJobs pages: the server's maximum, so list() needs the fewest calls.
LIST_PAGE_SIZE = 1000
FINAL_STATES = (trainer_pb2.SUCCEEDED, trainer_pb2.FAILED, trainer_pb2.CANCELLED)


class Client:
    """A connection to a gradstream server.

    target: "host:port"; default GRADSTREAM_SERVER, else localhost:50051.
    token: sent as "authorization: Bearer ..."; default GRADSTREAM_TOKEN.
    tls, tls_ca, tls_cert, tls_key, tls_server_name: as the CLI's --tls* flags;
    defaults GRADSTREAM_TLS_CA, _CERT, _KEY, _SERVER_NAME (any of ca, cert, key
    means TLS; tls=True alone verifies against the system's roots).
    timeout: seconds for each unary call (streams last as long as the job).
    """

    def __init__(self, target=None, *, token=None, tls=False, tls_ca=None, tls_cert=None,
                 tls_key=None, tls_server_name=None, timeout=DEFAULT_TIMEOUT_SECONDS):
        self._settings = ConnectionSettings(
            target, token=token, tls=tls, tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key,
            tls_server_name=tls_server_name, timeout=timeout)
        self._channel = self._settings.open_channel()
        self._stub = trainer_pb2_grpc.TrainerStub(self._channel)

    @property
    def target(self):
        return self._settings.target

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _unary(self, method, request):
        try:
            return method(request, timeout=self._settings.timeout,
                          metadata=self._settings.metadata())
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def submit(self, spec, idempotency_key=None):
        """Creates a job from a dict, a JSON/text-proto file path or a TrainingSpec; the Job.

        The same idempotency_key returns the same job instead of a second one.
        """
        request = trainer_pb2.CreateJobRequest(spec=to_spec(spec),
                                               idempotency_key=idempotency_key or "")
        return self._unary(self._stub.CreateJob, request)

    def upload(self, features, labels, name=DEFAULT_DATASET_NAME, num_classes=None):
        """Uploads arrays features [count, ...] and integer labels [count]; the Dataset.

        Its id goes into a spec as {"data": {"datasetId": dataset.id}}.
        num_classes defaults to the largest label + 1.
        """
        chunks = upload_chunks(features, labels, name=name, num_classes=num_classes)
        try:
            return self._stub.UploadDataset(chunks, metadata=self._settings.metadata())
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def watch(self, job_id, from_sequence=0, step_every=0,
              reconnect_seconds=DEFAULT_RECONNECT_SECONDS):
        """The job's TrainingEvents from `from_sequence` on, until the job ends.

        Reconnects by itself when the server goes away (see gradstream.watch);
        step_every > 0 thins step events to every Nth step.
        """
        return EventStream(self._stub, self._channel, self._settings.metadata(), job_id,
                           from_sequence=from_sequence, step_every=step_every,
                           reconnect_seconds=reconnect_seconds)

    def wait(self, job_id, reconnect_seconds=DEFAULT_RECONNECT_SECONDS):
        """Blocks until the job has ended (following its events); its final Job."""
        for _ in self.watch(job_id, from_sequence=self.get(job_id).last_sequence,
                            reconnect_seconds=reconnect_seconds):
            pass
        return self.get(job_id)

    def get(self, job_id):
        return self._unary(self._stub.GetJob, trainer_pb2.GetJobRequest(job_id=job_id))

    def list(self, state=None, page_size=LIST_PAGE_SIZE):
        """Every job the caller may see, following every page; `state` filters.

        state: a JobState value or its name ("RUNNING").
        """
        if isinstance(state, str):
            if state not in trainer_pb2.JobState.keys():
                raise invalid_argument(
                    f"state: {state} is not one of {', '.join(trainer_pb2.JobState.keys())}")
            state = trainer_pb2.JobState.Value(state)
        jobs = []
        request = trainer_pb2.ListJobsRequest(state=state or 0, page_size=page_size)
        while True:
            response = self._unary(self._stub.ListJobs, request)
            jobs.extend(response.jobs)
            if not response.next_page_token:
                return jobs
            request.page_token = response.next_page_token

    def cancel(self, job_id):
        return self._unary(self._stub.CancelJob, trainer_pb2.CancelJobRequest(job_id=job_id))

    def export(self, job_id, path, format="native"):
        """Writes the trained model to `path` (whole or not at all); the path.

        format: "native" (gradstream's model file) or "onnx" (an ONNX model, opset 17,
        raw rows in and the job's preprocessing inside, class probabilities out).
        """
        path = pathlib.Path(path)
        if format not in EXPORT_FORMATS:
            raise invalid_argument(
                f"format: '{format}' is not a model format: give one of {sorted(EXPORT_FORMATS)}")
        request = trainer_pb2.ExportModelRequest(job_id=job_id, format=EXPORT_FORMATS[format])
        descriptor, partial = tempfile.mkstemp(dir=path.parent or ".", prefix=path.name + ".")
        try:
            with os.fdopen(descriptor, "wb") as out:
                for chunk in self._stub.ExportModel(request, metadata=self._settings.metadata()):
                    out.write(chunk.data)
            os.replace(partial, path)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        return path

    def predict(self, job_id, inputs):
        """The model's outputs (probabilities for classifiers) as an array [count, outputs].

        inputs: [count, features...], one sample per first-axis entry.
        """
        inputs = np.asarray(inputs, dtype=np.float32)
        if inputs.ndim < 2:
            raise invalid_argument(
                f"inputs: shape {inputs.shape}: give [count, features...] (one row per sample)")
        request = trainer_pb2.PredictRequest(job_id=job_id, shape=inputs.shape,
                                             inputs=inputs.reshape(-1))
        response = self._unary(self._stub.Predict, request)
        return np.array(response.outputs, dtype=np.float32).reshape(tuple(response.shape))

    def history(self, job_id, as_frame=None):
        """The job's figures so far (every event up to now) as a History.

        as_frame: pandas DataFrames (True), NumPy tables (False), or DataFrames
        when pandas is importable (None).
        """
        job = self.get(job_id)
        events = []
        if job.last_sequence > 0:
            for event in self.watch(job_id):
                events.append(event)
                if job.state not in FINAL_STATES and event.sequence >= job.last_sequence:
                    break
        return History(job, events, as_frame=as_frame)
