"""ISO base media file format (ISO/IEC 14496-12): bounds-checked box reading and writing.

Only the generic parts live here: box headers, full-box headers and the
walk of a list of sibling boxes.  Every size is checked against its parent,
and the number and nesting of boxes are counted against ``geoscrub.limits``.
"""
from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from .. import limits
from .._binary import type_name, u32, u64
from ..errors import MalformedFile, TruncatedFile
from ..fileview import same_range


@dataclass(frozen=True)
class Box:
    """One box: its four-character type and where its header and payload sit."""

    type: bytes
    start: int  # offset of the size field
    payload: int  # offset of the first byte after the header (and uuid usertype)
    end: int  # offset just past the box

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def name(self) -> str:
        """The type as text, for messages (control characters escaped)."""
        return type_name(self.type)


class Budget:
    """Counts boxes across one file so a hostile file cannot make the walk explode."""

    def __init__(self) -> None:
        self.boxes = 0

    def spend(self) -> None:
        self.boxes += 1
        limits.enforce("MAX_BOXES", self.boxes, limits.MAX_BOXES)


def read_header(data: bytes, pos: int, end: int) -> Box:
    """The box starting at ``pos``, which must end by ``end``."""
    if pos + 8 > end:
        raise TruncatedFile("box header cut off", pos)
    size = u32(data, pos)
    btype = bytes(data[pos + 4 : pos + 8])
    header = 8
    if size == 1:
        if pos + 16 > end:
            raise TruncatedFile(f"box '{type_name(btype)}' large-size header cut off", pos)
        size = u64(data, pos + 8)
        header = 16
    elif size == 0:
        size = end - pos  # "extends to the end of the enclosing container"
    if btype == b"uuid":
        header += 16
    if size < header:
        raise MalformedFile(f"box '{type_name(btype)}' is smaller than its own header", pos)
    if pos + size > end:
        raise TruncatedFile(f"box '{type_name(btype)}' runs past the end of its container", pos)
    return Box(btype, pos, pos + header, pos + size)


def read_boxes(data: bytes, start: int, end: int, budget: Budget, depth: int = 0) -> list[Box]:
    """The sibling boxes filling ``data[start:end]`` exactly."""
    limits.enforce("MAX_BOX_DEPTH", depth, limits.MAX_BOX_DEPTH)
    boxes: list[Box] = []
    pos = start
    while pos < end:
        budget.spend()
        box = read_header(data, pos, end)
        boxes.append(box)
        pos = box.end
    return boxes


def full_header(data: bytes, box: Box) -> tuple[int, int, int]:
    """(version, flags, offset after the full-box header) of a FullBox."""
    if box.payload + 4 > box.end:
        raise TruncatedFile(f"'{box.name}' box too short for its version", box.start)
    word = u32(data, box.payload)
    return word >> 24, word & 0xFFFFFF, box.payload + 4


def cstring(data: bytes, pos: int, end: int, what: str) -> tuple[bytes, int]:
    """A NUL-terminated string inside ``data[pos:end]`` and the offset after its NUL.

    A string that runs to the end of its box without a NUL is accepted, as
    several writers omit the last terminator.
    """
    stop = data.find(b"\x00", pos, end)
    if stop < 0:
        if pos > end:
            raise TruncatedFile(f"{what} cut off", pos)
        return bytes(data[pos:end]), end
    return bytes(data[pos:stop]), stop + 1


def sized_uint(data: bytes, pos: int, size: int, end: int) -> int:
    """An unsigned big-endian integer of 0, 4 or 8 bytes (iloc's variable fields)."""
    if size == 0:
        return 0
    if pos + size > end:
        raise TruncatedFile("item location table cut off", pos)
    return u32(data, pos) if size == 4 else u64(data, pos)


def ascii4(btype: bytes) -> bool:
    """True for a four-character code of printable ASCII (box types, brands)."""
    return len(btype) == 4 and all(32 <= b < 127 for b in btype)


def prefix_brands(prefix: bytes) -> set[bytes]:
    """The ftyp brands visible in the first bytes (empty when there is no ftyp)."""
    if len(prefix) < 12 or prefix[4:8] != b"ftyp":
        return set()
    size = int.from_bytes(prefix[:4], "big")
    end = min(len(prefix), max(size, 16))
    return {bytes(prefix[8:12])} | {bytes(prefix[p : p + 4]) for p in range(16, end - 3, 4)}


#: What decides how a kept picture or track decodes: a label (its id and type) and
#: the file spans holding its coded bytes and the settings it decodes with.
LabelledSpans = list[tuple[bytes, list[tuple[int, int]]]]


def labelled_views(data: bytes, parts: LabelledSpans) -> list[bytes | memoryview]:
    """Each label followed by views of its spans: the image data a verifier compares."""
    view = memoryview(data)
    out: list[bytes | memoryview] = []
    for label, spans in parts:
        out.append(label)
        out.extend(view[start:stop] for start, stop in spans)
    return out


def same_labelled_spans(original: bytes, a: LabelledSpans, cleaned: bytes, b: LabelledSpans) -> bool:
    """Same labels in the same order, each span the same bytes (compared in windows for big files)."""
    return len(a) == len(b) and all(
        label_a == label_b and len(spans_a) == len(spans_b)
        and all(a1 - a0 == b1 - b0 and same_range(original, a0, cleaned, b0, a1 - a0)
                for (a0, a1), (b0, b1) in zip(spans_a, spans_b))
        for (label_a, spans_a), (label_b, spans_b) in zip(a, b))


def box(btype: bytes, *payload: bytes) -> bytes:
    """Serialise a plain box (32-bit size)."""
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + btype + body


def full_box(btype: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    """Serialise a FullBox."""
    return box(btype, struct.pack(">I", (version << 24) | flags), *payload)
