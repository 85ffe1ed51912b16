"""Just enough of the ONNX file format (protocol buffers) to read a model's metadata at build time.

The reading model keeps its character list there; the page needs it as a
file.  (Freeing the face model's input size is geoscrub.look.onnxshape's job.)
"""
from __future__ import annotations

from ..errors import GeoscrubError

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5
#: ModelProto.metadata_props (onnx.proto3)
_MODEL_METADATA = 14

Field = tuple[int, int, "int | bytes"]


class NotOnnx(GeoscrubError):
    """The bytes are not a protocol-buffer message of the shape an ONNX model has."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise NotOnnx("a number runs past the end")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def fields(data: bytes) -> list[Field]:
    """The message's fields in order: (number, wire type, value: int or raw bytes)."""
    out: list[Field] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(data, pos)
            out.append((number, wire, value))
        elif wire == _BYTES:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise NotOnnx("a field runs past the end")
            out.append((number, wire, data[pos:pos + size]))
            pos += size
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            out.append((number, wire, data[pos:pos + size]))
            pos += size
        else:
            raise NotOnnx(f"unknown wire type {wire}")
    if pos != len(data):
        raise NotOnnx("the last field runs past the end")
    return out


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise NotOnnx("a text field holds a number")
    return value.decode("utf-8", "replace")


def metadata(model: bytes) -> dict[str, str]:
    """The model's ``metadata_props`` as a dict."""
    found: dict[str, str] = {}
    for number, wire, value in fields(model):
        if number == _MODEL_METADATA and wire == _BYTES:
            entry = {n: v for n, w, v in fields(value)}  # type: ignore[arg-type]
            found[_text(entry.get(1, b""))] = _text(entry.get(2, b""))
    return found
