"""TLS and mutual TLS: the Client's tls_* arguments and the GRADSTREAM_TLS_* variables,
against a server with openssl-made certificates."""

import subprocess

import grpc
import pytest

import gradstream

# A server certificate names the addresses a test dials.
SERVER_NAMES = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
CLIENT_USAGE = "extendedKeyUsage=clientAuth\n"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate and a client certificate it signed, as PEM files."""
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=test-ca", "-keyout", str(d / "ca.key"),
            "-out", str(d / "ca.crt"))
    for name, extensions in (("server", SERVER_NAMES), ("client", CLIENT_USAGE)):
        (d / f"{name}.ext").write_text(extensions)
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", f"/CN={name}", "-keyout", str(d / f"{name}.key"),
                "-out", str(d / f"{name}.csr"))
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.crt"),
                "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "2",
                "-extfile", str(d / f"{name}.ext"), "-out", str(d / f"{name}.crt"))
    return d


def test_tls_with_the_ca_from_an_argument_or_gradstream_tls_ca(start_server, pki, monkeypatch):
    server = start_server("--tls-cert", str(pki / "server.crt"), "--tls-key", str(pki / "server.key"))
    for name in ("GRADSTREAM_TLS_CA", "GRADSTREAM_TLS_CERT", "GRADSTREAM_TLS_KEY"):
        monkeypatch.delenv(name, raising=False)
    with gradstream.Client(server.target, tls_ca=str(pki / "ca.crt")) as client:
        assert client.list() == []
    with gradstream.Client(server.target, timeout=3) as plaintext:
        with pytest.raises(gradstream.GradstreamError) as caught:
            plaintext.list()
        assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    monkeypatch.setenv("GRADSTREAM_TLS_CA", str(pki / "ca.crt"))
    with gradstream.Client(server.target) as from_env:
        assert from_env.list() == []


def test_mutual_tls_needs_the_client_certificate(start_server, pki, monkeypatch):
    server = start_server("--tls-cert", str(pki / "server.crt"), "--tls-key", str(pki / "server.key"),
                          "--tls-client-ca", str(pki / "ca.crt"))
    monkeypatch.delenv("GRADSTREAM_TLS_CERT", raising=False)
    monkeypatch.delenv("GRADSTREAM_TLS_KEY", raising=False)
    with gradstream.Client(server.target, tls_ca=str(pki / "ca.crt"),
                           tls_cert=str(pki / "client.crt"),
                           tls_key=str(pki / "client.key")) as client:
        assert client.list() == []
    with gradstream.Client(server.target, tls_ca=str(pki / "ca.crt"), timeout=3) as no_cert:
        with pytest.raises(gradstream.GradstreamError) as caught:
            no_cert.list()
        assert caught.value.code == grpc.StatusCode.UNAVAILABLE


def test_tls_files_that_cannot_be_read_or_a_half_pair(pki, tmp_path):
    with pytest.raises(gradstream.GradstreamError) as caught:
        gradstream.Client("127.0.0.1:1", tls_ca=str(tmp_path / "absent.crt"))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "tls_ca" in caught.value.message and "absent.crt" in caught.value.message
    with pytest.raises(gradstream.GradstreamError) as caught:
        gradstream.Client("127.0.0.1:1", tls_cert=str(pki / "client.crt"))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "tls_key" in caught.value.message
