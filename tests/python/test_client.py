"""Client calls against the real server: submit in every form, get, list, cancel,
export, predict (equal to the CLI's), and every failure as GradstreamError."""

import hashlib
import json
import subprocess

import grpc
import numpy as np
import onnx
import pytest
from google.protobuf import json_format, text_format

import gradstream
from conftest import CLASSES, FEATURES, tiny_spec
from server_process import environment_with

SUCCEEDED = gradstream.JobState.Value("SUCCEEDED")
CANCELLED = gradstream.JobState.Value("CANCELLED")


def test_submit_a_dict_returns_the_job_with_its_spec(client, dataset):
    job = client.submit(tiny_spec(dataset.id, name="from-dict"))
    assert job.id.startswith("job-")
    assert job.spec.name == "from-dict"
    assert job.spec.epochs == 3
    assert list(job.spec.model.input_shape) == [FEATURES]


def test_submit_reads_json_and_text_proto_files(client, dataset, tmp_path):
    spec = tiny_spec(dataset.id, name="from-file")
    json_path = tmp_path / "spec.json"
    json_path.write_text(json.dumps(spec))
    text_path = tmp_path / "spec.txtpb"
    text_path.write_text(text_format.MessageToString(
        json_format.ParseDict(spec, gradstream.TrainingSpec())))
    from_json = client.submit(json_path)
    from_text = client.submit(str(text_path))
    from_message = client.submit(json_format.ParseDict(spec, gradstream.TrainingSpec()))
    assert len({from_json.id, from_text.id, from_message.id}) == 3
    assert from_json.spec == from_text.spec == from_message.spec
    assert from_json.spec.data.dataset_id == dataset.id


def test_the_same_idempotency_key_returns_the_same_job(client, dataset):
    first = client.submit(tiny_spec(dataset.id), idempotency_key="py-idem-1")
    again = client.submit(tiny_spec(dataset.id), idempotency_key="py-idem-1")
    other = client.submit(tiny_spec(dataset.id), idempotency_key="py-idem-2")
    assert again.id == first.id
    assert other.id != first.id


def test_a_spec_the_server_refuses_is_invalid_argument_naming_the_field(client, dataset):
    with pytest.raises(gradstream.GradstreamError) as caught:
        client.submit(tiny_spec(dataset.id, epochs=0))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "epochs" in caught.value.message


def test_spec_files_that_do_not_parse_or_exist(client, tmp_path):
    misspelt = tmp_path / "misspelt.json"
    misspelt.write_text('{"epocs": 3}')
    with pytest.raises(gradstream.GradstreamError) as caught:
        client.submit(misspelt)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "epocs" in caught.value.message and str(misspelt) in caught.value.message
    with pytest.raises(gradstream.GradstreamError) as caught:
        client.submit(tmp_path / "absent.json")
    assert caught.value.code == grpc.StatusCode.NOT_FOUND
    with pytest.raises(gradstream.GradstreamError) as caught:
        client.submit(42)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("call", ["get", "cancel", "predict", "export", "watch", "history"])
def test_an_unknown_job_is_not_found(client, tmp_path, call):
    unknown = "job-does-not-exist"
    calls = {
        "get": lambda: client.get(unknown),
        "cancel": lambda: client.cancel(unknown),
        "predict": lambda: client.predict(unknown, np.zeros((1, FEATURES))),
        "export": lambda: client.export(unknown, tmp_path / "model.bin"),
        "watch": lambda: list(client.watch(unknown)),
        "history": lambda: client.history(unknown),
    }
    with pytest.raises(gradstream.GradstreamError) as caught:
        calls[call]()
    assert caught.value.code == grpc.StatusCode.NOT_FOUND
    assert unknown in caught.value.message
    assert not (tmp_path / "model.bin").exists()


def test_wait_returns_the_finished_job(client, trained_job):
    assert trained_job.state == SUCCEEDED
    assert trained_job.epochs == 3
    assert trained_job.steps > 0
    assert trained_job.last_sequence > trained_job.steps  # a step event each, and more
    assert client.wait(trained_job.id) == client.get(trained_job.id)


def test_list_follows_every_page(client, dataset, trained_job):
    for i in range(5):
        client.submit(tiny_spec(dataset.id, epochs=1), idempotency_key=f"py-list-{i}")
    whole = client.list()
    paged = client.list(page_size=2)
    assert len(whole) >= 6
    assert [j.id for j in paged] == [j.id for j in whole]
    assert len({j.id for j in whole}) == len(whole)
    assert trained_job.id in {j.id for j in whole}
    succeeded = client.list(state="SUCCEEDED")
    assert trained_job.id in {j.id for j in succeeded}
    assert all(j.state == SUCCEEDED for j in succeeded)
    with pytest.raises(gradstream.GradstreamError) as caught:
        client.list(state="DONE")
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_cancel_ends_a_job_cancelled(client, dataset):
    job = client.submit(tiny_spec(dataset.id, epochs=5000, name="long"))
    client.cancel(job.id)
    final = client.wait(job.id)
    assert final.state == CANCELLED
    assert final.epochs < 5000


def test_export_writes_the_same_bytes_as_the_cli(client, trained_job, cli_bin, server, tmp_path):
    path = client.export(trained_job.id, tmp_path / "model.gsm")
    subprocess.run([cli_bin, "export", trained_job.id, "-o", str(tmp_path / "cli.gsm")],
                   env=environment_with(server.target), check=True)
    ours = path.read_bytes()
    assert len(ours) > 100
    assert ours == (tmp_path / "cli.gsm").read_bytes()


def test_onnx_export_is_the_clis_and_passes_the_checker(client, trained_job, cli_bin, server,
                                                        tmp_path):
    path = client.export(trained_job.id, tmp_path / "model.onnx", format="onnx")
    subprocess.run([cli_bin, "export", trained_job.id, "--format", "onnx", "-o",
                    str(tmp_path / "cli.onnx")], env=environment_with(server.target), check=True)
    assert path.read_bytes() == (tmp_path / "cli.onnx").read_bytes()
    onnx.checker.check_model(str(path), full_check=True)
    model = onnx.load(str(path))
    assert {p.key: p.value for p in model.metadata_props}.get("job_id") == trained_job.id
    with pytest.raises(gradstream.GradstreamError) as error:
        client.export(trained_job.id, tmp_path / "model.x", format="tflite")
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "format: 'tflite'" in error.value.message
    assert not (tmp_path / "model.x").exists()


def test_predict_equals_the_cli_and_knows_the_blobs(client, trained_job, blobs, cli_bin, server,
                                                   tmp_path):
    features, labels = blobs
    rows = features[:50]
    probabilities = client.predict(trained_job.id, rows)
    assert probabilities.shape == (50, CLASSES)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert np.mean(probabilities.argmax(axis=1) == labels[:50]) > 0.9
    csv = tmp_path / "rows.csv"
    np.savetxt(csv, rows, delimiter=",", fmt="%.9g")
    printed = subprocess.run([cli_bin, "predict", trained_job.id, "--input", str(csv), "--json"],
                             env=environment_with(server.target), check=True,
                             capture_output=True, text=True).stdout
    cli = json.loads(printed)
    assert cli["shape"] == [50, CLASSES]
    np.testing.assert_array_equal(probabilities.reshape(-1),
                                  np.array(cli["outputs"], dtype=np.float32))


def test_predict_refuses_inputs_of_the_wrong_shape(client, trained_job):
    with pytest.raises(gradstream.GradstreamError) as caught:
        client.predict(trained_job.id, np.zeros((2, FEATURES - 3)))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(gradstream.GradstreamError) as caught:
        client.predict(trained_job.id, np.zeros(FEATURES))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_the_server_address_comes_from_gradstream_server(server, trained_job, monkeypatch):
    monkeypatch.setenv("GRADSTREAM_SERVER", server.target)
    with gradstream.Client() as from_env:
        assert from_env.target == server.target
        assert from_env.get(trained_job.id).id == trained_job.id


def test_a_token_server_needs_the_token_from_argument_or_gradstream_token(
        start_server, tmp_path, monkeypatch):
    token = "py-client-secret"
    tokens = tmp_path / "tokens"
    tokens.write_text(f"sha256:{hashlib.sha256(token.encode()).hexdigest()} team-a user\n")
    guarded = start_server("--auth-tokens", str(tokens))
    monkeypatch.delenv("GRADSTREAM_TOKEN", raising=False)
    with gradstream.Client(guarded.target) as anonymous:
        with pytest.raises(gradstream.GradstreamError) as caught:
            anonymous.list()
        assert caught.value.code == grpc.StatusCode.UNAUTHENTICATED
    with gradstream.Client(guarded.target, token=token) as with_token:
        assert with_token.list() == []
    monkeypatch.setenv("GRADSTREAM_TOKEN", token)
    with gradstream.Client(guarded.target) as from_env:
        assert from_env.list() == []
