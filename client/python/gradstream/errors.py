"""The one exception the client raises, and the conversion from gRPC's errors."""

import grpc


class GradstreamError(Exception):
    """A call failed: ``code`` is the grpc.StatusCode, ``message`` the server's words.

    Errors found before any call (a spec file that does not parse, arrays of
    the wrong shape) carry grpc.StatusCode.INVALID_ARGUMENT, as the server
    would for the same mistake.
    """

    def __init__(self, code, message):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


def from_rpc_error(error):
    """The GradstreamError for a grpc.RpcError raised by a stub call."""
    return GradstreamError(error.code(), error.details() or "")


def invalid_argument(message):
    return GradstreamError(grpc.StatusCode.INVALID_ARGUMENT, message)
