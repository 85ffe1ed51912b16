"""Just enough of the ONNX file format (protocol buffers) to prepare the page's models at build time.

Two jobs: read the metadata a model carries (the reading model keeps its
character list there), and mark a model's input and output sizes as free
(the face model declares a fixed 32x32 input, and the page gives it the
whole photo).  Everything else in the file is copied through untouched.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import GeoscrubError

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5
# field numbers (onnx.proto3)
_MODEL_GRAPH, _MODEL_METADATA = 7, 14
_GRAPH_INPUT, _GRAPH_OUTPUT = 11, 12
_VALUE_NAME, _VALUE_TYPE = 1, 2
_TYPE_TENSOR = 1
_TENSOR_SHAPE = 2
_SHAPE_DIM = 1
_DIM_VALUE, _DIM_PARAM = 1, 2

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


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def serialize(message: Sequence[Field]) -> bytes:
    out = bytearray()
    for number, wire, value in message:
        out += _encode_varint(number << 3 | wire)
        if wire == _VARINT:
            out += _encode_varint(int(value))  # type: ignore[arg-type]
        elif wire == _BYTES:
            out += _encode_varint(len(value)) + value  # type: ignore[arg-type, operator]
        else:
            out += value  # type: ignore[operator]
    return bytes(out)


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


def _dim(size: int | str) -> bytes:
    if isinstance(size, int):
        return serialize([(_DIM_VALUE, _VARINT, size)])
    return serialize([(_DIM_PARAM, _BYTES, size.encode())])


def _with_shape(value_info: bytes, dims: Sequence[int | str]) -> bytes:
    shape = serialize([(_SHAPE_DIM, _BYTES, _dim(size)) for size in dims])

    def tensor(raw: bytes) -> bytes:
        kept = [f for f in fields(raw) if f[0] != _TENSOR_SHAPE]
        return serialize(kept + [(_TENSOR_SHAPE, _BYTES, shape)])

    def type_proto(raw: bytes) -> bytes:
        return serialize([(n, w, tensor(v) if n == _TYPE_TENSOR and w == _BYTES else v)  # type: ignore[arg-type]
                          for n, w, v in fields(raw)])

    return serialize([(n, w, type_proto(v) if n == _VALUE_TYPE and w == _BYTES else v)  # type: ignore[arg-type]
                      for n, w, v in fields(value_info)])


def with_free_dims(model: bytes, shapes: Mapping[str, Sequence[int | str]]) -> bytes:
    """The model with the named inputs/outputs given these sizes (a name is a free size).

    Raises NotOnnx when a named input or output is not in the graph.
    """
    seen: set[str] = set()

    def graph(raw: bytes) -> bytes:
        out = []
        for number, wire, value in fields(raw):
            if number in (_GRAPH_INPUT, _GRAPH_OUTPUT) and wire == _BYTES:
                name = next((_text(v) for n, w, v in fields(value) if n == _VALUE_NAME), "")  # type: ignore[arg-type]
                if name in shapes:
                    value = _with_shape(value, shapes[name])  # type: ignore[arg-type]
                    seen.add(name)
            out.append((number, wire, value))
        return serialize(out)

    rewritten = serialize([(n, w, graph(v) if n == _MODEL_GRAPH and w == _BYTES else v)  # type: ignore[arg-type]
                           for n, w, v in fields(model)])
    missing = sorted(set(shapes) - seen)
    if missing:
        raise NotOnnx(f"the graph has no input or output named {', '.join(missing)}")
    return rewritten
