"""The channel to a gradstream server: address, TLS and token, as the CLI takes them.

Every setting falls back to the environment variable the C++ CLI reads
(GRADSTREAM_SERVER, GRADSTREAM_TOKEN, GRADSTREAM_TLS_CA, GRADSTREAM_TLS_CERT,
GRADSTREAM_TLS_KEY, GRADSTREAM_TLS_SERVER_NAME), so one environment serves both.
"""

import os

import grpc

from gradstream.errors import invalid_argument

DEFAULT_SERVER = "localhost:50051"
SERVER_ENV_VAR = "GRADSTREAM_SERVER"
TOKEN_ENV_VAR = "GRADSTREAM_TOKEN"
TLS_CA_ENV_VAR = "GRADSTREAM_TLS_CA"
TLS_CERT_ENV_VAR = "GRADSTREAM_TLS_CERT"
TLS_KEY_ENV_VAR = "GRADSTREAM_TLS_KEY"
TLS_SERVER_NAME_ENV_VAR = "GRADSTREAM_TLS_SERVER_NAME"

DEFAULT_TIMEOUT_SECONDS = 30.0
# Jobs carry their spec, which may hold initial weights: far above gRPC's 4 MiB.
MAX_MESSAGE_BYTES = 256 << 20
# A restarted server is found within a fraction of a second, not after gRPC's
# default backoff (up to two minutes between attempts).
RECONNECT_BACKOFF_INITIAL_MS = 100
RECONNECT_BACKOFF_MAX_MS = 1000
# gRPC takes the minimum backoff as the connect timeout too.
CONNECT_TIMEOUT_MS = 5000


def _setting(value, env_var):
    """`value` when given, else the environment variable when set and not empty."""
    if value is not None:
        return value
    return os.environ.get(env_var) or None


def _read_pem(path, option):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise invalid_argument(f"{option}: cannot read {path}: {e.strerror}") from None


class ConnectionSettings:
    """Where and how to connect; arguments win over the environment."""

    def __init__(self, target=None, *, token=None, tls=False, tls_ca=None, tls_cert=None,
                 tls_key=None, tls_server_name=None, timeout=DEFAULT_TIMEOUT_SECONDS):
        self.target = _setting(target, SERVER_ENV_VAR) or DEFAULT_SERVER
        self.token = _setting(token, TOKEN_ENV_VAR)
        self.tls_ca = _setting(tls_ca, TLS_CA_ENV_VAR)
        self.tls_cert = _setting(tls_cert, TLS_CERT_ENV_VAR)
        self.tls_key = _setting(tls_key, TLS_KEY_ENV_VAR)
        self.tls_server_name = _setting(tls_server_name, TLS_SERVER_NAME_ENV_VAR)
        self.tls = bool(tls or self.tls_ca or self.tls_cert or self.tls_key)
        if bool(self.tls_cert) != bool(self.tls_key):
            raise invalid_argument("tls_cert and tls_key: give both (mutual TLS) or neither")
        if timeout is not None and timeout <= 0:
            raise invalid_argument(f"timeout: {timeout} must be positive seconds")
        self.timeout = timeout

    def metadata(self):
        """Sent with every call: the bearer token, when there is one."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

    def open_channel(self):
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.initial_reconnect_backoff_ms", RECONNECT_BACKOFF_INITIAL_MS),
            ("grpc.max_reconnect_backoff_ms", RECONNECT_BACKOFF_MAX_MS),
            ("grpc.min_reconnect_backoff_ms", CONNECT_TIMEOUT_MS),
        ]
        if not self.tls:
            return grpc.insecure_channel(self.target, options=options)
        if self.tls_server_name:
            options.append(("grpc.ssl_target_name_override", self.tls_server_name))
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_read_pem(self.tls_ca, "tls_ca") if self.tls_ca else None,
            private_key=_read_pem(self.tls_key, "tls_key") if self.tls_key else None,
            certificate_chain=_read_pem(self.tls_cert, "tls_cert") if self.tls_cert else None,
        )
        return grpc.secure_channel(self.target, credentials, options=options)
