"""UploadDataset chunks from NumPy arrays, as the CLI's upload sends them from files.

The first chunk carries the DatasetHeader; the features follow (row-major,
little-endian, uint8 kept as uint8: a quarter of the bytes), then the labels as
int32, each chunk holding at most UPLOAD_CHUNK_BYTES of content.
"""

import numpy as np

from gradstream.errors import invalid_argument
from gradstream.v1 import trainer_pb2

# Content bytes per chunk: far below the server's default 16 MiB message limit.
UPLOAD_CHUNK_BYTES = 1 << 20
DEFAULT_DATASET_NAME = "array"


def _check_arrays(features, labels):
    features = np.asarray(features)
    labels = np.asarray(labels)
    if features.ndim < 2:
        raise invalid_argument(
            f"features: shape {features.shape} needs a sample axis and at least one feature axis")
    if labels.ndim != 1:
        raise invalid_argument(f"labels: shape {labels.shape} is not one label per sample")
    if labels.shape[0] != features.shape[0]:
        raise invalid_argument(
            f"labels: {labels.shape[0]} labels for {features.shape[0]} samples")
    if features.shape[0] == 0:
        raise invalid_argument("features: no samples")
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise invalid_argument("labels: not whole numbers (class indices)")
    if labels.min() < 0:
        raise invalid_argument(f"labels: {labels.min()} is negative (class indices start at 0)")
    return features, labels.astype("<i4")


def _header(features, labels, name, num_classes):
    as_uint8 = features.dtype == np.uint8
    return trainer_pb2.DatasetHeader(
        name=name,
        element_type=trainer_pb2.UINT8 if as_uint8 else trainer_pb2.FLOAT32,
        sample_shape=[int(d) for d in features.shape[1:]],
        count=int(features.shape[0]),
        num_classes=int(num_classes) if num_classes else int(labels.max()) + 1,
    )


def upload_chunks(features, labels, name=DEFAULT_DATASET_NAME, num_classes=None):
    """The request stream of UploadDataset for `features` [count, ...] and `labels` [count].

    Arrays are checked before the first chunk is made (GradstreamError with
    INVALID_ARGUMENT); uint8 features go as UINT8, anything else as float32.
    """
    features, labels = _check_arrays(features, labels)
    header = _header(features, labels, name, num_classes)
    dtype = np.uint8 if features.dtype == np.uint8 else np.dtype("<f4")
    flat = np.ascontiguousarray(features, dtype=dtype).reshape(-1)
    chunk = trainer_pb2.UploadDatasetChunk(header=header)
    per_feature_chunk = UPLOAD_CHUNK_BYTES // flat.itemsize
    for begin in range(0, flat.size, per_feature_chunk):
        chunk.features = flat[begin:begin + per_feature_chunk].tobytes()
        yield chunk
        chunk = trainer_pb2.UploadDatasetChunk()
    per_label_chunk = UPLOAD_CHUNK_BYTES // labels.itemsize
    for begin in range(0, labels.size, per_label_chunk):
        yield trainer_pb2.UploadDatasetChunk(labels=labels[begin:begin + per_label_chunk].tobytes())
