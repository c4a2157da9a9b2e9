"""A TrainingSpec from what a user has at hand: a dict, a file, or the message.

Files are read as the CLI reads them (engine/io/spec_io.cpp): ".json" as
protobuf's JSON mapping, ".txtpb", ".textproto", ".pbtxt" and ".txt" as text
proto, anything else by its first character ("{" means JSON). Unknown fields
are errors, so a misspelt field never silently vanishes.
"""

import os
import pathlib

import grpc
from google.protobuf import json_format, text_format

from gradstream.errors import GradstreamError, invalid_argument
from gradstream.v1 import spec_pb2

JSON_EXTENSION = ".json"
TEXT_EXTENSIONS = (".txtpb", ".textproto", ".pbtxt", ".txt")


def _parse_json(text, origin):
    try:
        return json_format.Parse(text, spec_pb2.TrainingSpec())
    except json_format.ParseError as e:
        raise invalid_argument(f"{origin}: invalid JSON spec: {e}") from None


def _parse_text(text, origin):
    try:
        return text_format.Parse(text, spec_pb2.TrainingSpec())
    except text_format.ParseError as e:
        raise invalid_argument(f"{origin}: invalid text spec: {e}") from None


def _read_file(path):
    path = pathlib.Path(path)
    if not path.exists():
        raise GradstreamError(grpc.StatusCode.NOT_FOUND, f"{path}: spec file not found")
    if not path.is_file():
        raise invalid_argument(f"{path}: not a regular file")
    text = path.read_text(encoding="utf-8")
    extension = path.suffix.lower()
    if extension == JSON_EXTENSION:
        return _parse_json(text, path)
    if extension in TEXT_EXTENSIONS:
        return _parse_text(text, path)
    return _parse_json(text, path) if text.lstrip().startswith("{") else _parse_text(text, path)


def to_spec(spec):
    """A TrainingSpec from a TrainingSpec, a dict (JSON mapping) or a file path."""
    if isinstance(spec, spec_pb2.TrainingSpec):
        return spec
    if isinstance(spec, dict):
        try:
            return json_format.ParseDict(spec, spec_pb2.TrainingSpec())
        except json_format.ParseError as e:
            raise invalid_argument(f"spec: {e}") from None
    if isinstance(spec, (str, os.PathLike)):
        return _read_file(spec)
    raise invalid_argument(
        f"spec: a dict, a file path or a TrainingSpec, not {type(spec).__name__}")
