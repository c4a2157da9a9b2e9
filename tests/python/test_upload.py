"""upload: NumPy arrays to UploadDataset, chunked, checked before anything is sent."""

import grpc
import numpy as np
import pytest

import gradstream
from gradstream.upload import UPLOAD_CHUNK_BYTES, upload_chunks
from gradstream.v1 import trainer_pb2
from conftest import CLASSES, FEATURES, SAMPLES


def test_upload_describes_the_arrays_and_knows_a_repeat(client, blobs, dataset):
    assert dataset.id.startswith("sha256:")
    assert dataset.header.name == "blobs"
    assert dataset.header.count == SAMPLES
    assert list(dataset.header.sample_shape) == [FEATURES]
    assert dataset.header.num_classes == CLASSES
    assert dataset.header.element_type == trainer_pb2.FLOAT32
    assert dataset.bytes >= SAMPLES * FEATURES * 4 + SAMPLES * 4
    again = client.upload(*blobs, name="blobs")
    assert again.id == dataset.id
    assert again.already_present


def test_uint8_images_go_as_uint8_and_num_classes_can_be_given(client):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(40, 1, 4, 4), dtype=np.uint8)
    labels = np.arange(40) % 2
    uploaded = client.upload(images, labels, name="tiny-images", num_classes=5)
    assert uploaded.header.element_type == trainer_pb2.UINT8
    assert list(uploaded.header.sample_shape) == [1, 4, 4]
    assert uploaded.header.num_classes == 5


def test_arrays_over_a_chunk_are_split_and_arrive_whole(client):
    count = 50_000  # 50 000 x 8 float32 = 1.6 MB of features: two chunks
    rng = np.random.default_rng(5)
    features = rng.normal(size=(count, FEATURES)).astype(np.float32)
    labels = rng.integers(0, CLASSES, size=count)
    chunks = list(upload_chunks(features, labels))
    assert chunks[0].HasField("header")
    assert not any(c.HasField("header") for c in chunks[1:])
    assert all(len(c.features) + len(c.labels) <= UPLOAD_CHUNK_BYTES for c in chunks)
    assert b"".join(c.features for c in chunks) == features.tobytes()
    assert b"".join(c.labels for c in chunks) == labels.astype("<i4").tobytes()
    assert len(chunks) == 3
    uploaded = client.upload(features, labels)
    assert uploaded.header.count == count
    assert uploaded.bytes >= features.nbytes + count * 4


@pytest.mark.parametrize("features, labels, words", [
    (np.zeros((4, 2)), np.zeros(3), "3 labels for 4 samples"),
    (np.zeros(4), np.zeros(4), "features: shape"),
    (np.zeros((4, 2)), np.zeros((4, 1)), "labels: shape"),
    (np.zeros((4, 2)), np.array([0, 1, -1, 0]), "negative"),
    (np.zeros((4, 2)), np.array([0, 1, 0.5, 0]), "whole numbers"),
])
def test_bad_arrays_are_invalid_argument_before_a_call(features, labels, words):
    with pytest.raises(gradstream.GradstreamError) as caught:
        list(upload_chunks(features, labels))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert words in caught.value.message


def test_labels_outside_num_classes_are_refused_by_the_server(client):
    with pytest.raises(gradstream.GradstreamError) as caught:
        client.upload(np.zeros((4, 2), dtype=np.float32), np.array([0, 1, 2, 3]), num_classes=2)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
