"""Bounds-checked reads: a length or offset in a hostile file is never trusted."""
from __future__ import annotations

import struct

from .errors import TruncatedFile

_U16 = {"<": struct.Struct("<H"), ">": struct.Struct(">H")}
_U32 = {"<": struct.Struct("<I"), ">": struct.Struct(">I")}
_U64 = {"<": struct.Struct("<Q"), ">": struct.Struct(">Q")}


def type_name(code: bytes | bytearray | memoryview) -> str:
    """A chunk or box type (``b"IDAT"``) as text a person can read: ``IDAT``.

    A type read from a hostile file may hold any byte: printable ASCII is
    kept, every other byte is shown as ``\\xNN``, so a message never prints
    Python's ``b'...'`` nor a control character.
    """
    return "".join(chr(b) if 32 <= b < 127 and b != 0x5C else f"\\x{b:02x}" for b in bytes(code))


def take(data: bytes | memoryview, offset: int, length: int, what: str = "data") -> bytes:
    """``data[offset:offset+length]``, or TruncatedFile if it runs past the end."""
    if offset < 0 or length < 0 or offset + length > len(data):
        raise TruncatedFile(f"{what} runs past the end of the file", offset)
    return bytes(data[offset : offset + length])


def u8(data: bytes | memoryview, offset: int) -> int:
    if offset < 0 or offset >= len(data):
        raise TruncatedFile("file ends early", offset)
    return data[offset]


def u16(data: bytes | memoryview, offset: int, order: str = ">") -> int:
    if offset < 0 or offset + 2 > len(data):
        raise TruncatedFile("file ends early", offset)
    if not isinstance(data, (bytes, bytearray, memoryview)):  # a FileView: read just these bytes
        data, offset = data[offset : offset + 2], 0
    return int(_U16[order].unpack_from(data, offset)[0])


def u32(data: bytes | memoryview, offset: int, order: str = ">") -> int:
    if offset < 0 or offset + 4 > len(data):
        raise TruncatedFile("file ends early", offset)
    if not isinstance(data, (bytes, bytearray, memoryview)):  # a FileView: read just these bytes
        data, offset = data[offset : offset + 4], 0
    return int(_U32[order].unpack_from(data, offset)[0])


def u64(data: bytes | memoryview, offset: int, order: str = ">") -> int:
    if offset < 0 or offset + 8 > len(data):
        raise TruncatedFile("file ends early", offset)
    if not isinstance(data, (bytes, bytearray, memoryview)):  # a FileView: read just these bytes
        data, offset = data[offset : offset + 8], 0
    return int(_U64[order].unpack_from(data, offset)[0])
