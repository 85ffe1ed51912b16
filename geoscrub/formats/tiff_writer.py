"""Lays out a fresh TIFF or BigTIFF as a plan: new directories, and pixel data as ranges of the original.

Spec: TIFF 6.0 section 2 (classic: 4-byte offsets, 12-byte entries) and the
BigTIFF design (header "II+"/"MM\\0+", offset size 8, 8-byte entry counts
and offsets, 20-byte entries, values of up to 8 bytes inline).
"""
from __future__ import annotations

import bisect
import struct

from ..errors import UnsafeToClean
from ..metadata.exif import CLASSIC, IfdShape
from .base import Plan

#: The largest offset a classic TIFF can hold.
CLASSIC_MAX = 0xFFFFFFFF


class TiffWriter:
    """IFDs with their values (new bytes), and the pixel data as ranges of the original,
    word aligned; nothing big is copied."""

    def __init__(self, order: str, shape: IfdShape = CLASSIC) -> None:
        self.order, self.shape = order, shape
        self.big = shape is not CLASSIC
        if self.big:
            header = bytearray((b"II+\x00" if order == "<" else b"MM\x00+") + self.pack("HHQ", 8, 0, 0))
        else:
            header = bytearray((b"II*\x00" if order == "<" else b"MM\x00*") + b"\x00" * 4)
        self.parts: list[bytearray | range] = [header]
        self.starts = [0]  # where each part starts in the output
        self.size = len(header)
        #: Where the header's pointer to the first directory sits.
        self.first_pointer = 8 if self.big else 4
        #: Field types for pixel offsets and byte counts, and for directory pointers.
        self.offset_type, self.pointer_type = (16, 18) if self.big else (4, 4)

    def _bytes(self) -> bytearray:
        """The last part, when it is new bytes; else a fresh one appended."""
        if not isinstance(self.parts[-1], bytearray):
            self.parts.append(bytearray())
            self.starts.append(self.size)
        return self.parts[-1]  # type: ignore[return-value]

    def _append(self, raw: bytes | bytearray) -> None:
        self._bytes().extend(raw)
        self.size += len(raw)

    def align(self) -> None:
        if self.size % 2:
            self._append(b"\x00")

    def pack(self, fmt: str, *args: int) -> bytes:
        return struct.pack(self.order + fmt, *args)

    def offsets(self, values: list[int]) -> bytes:
        """``values`` packed as offsets or byte counts (LONG, or LONG8 in BigTIFF)."""
        return self.pack(f"{len(values)}{self.shape.offset_code}", *values)

    def patch(self, pos: int, value: int) -> None:
        """Point the directory pointer at ``pos`` (header or a next-IFD field) at ``value``."""
        i = bisect.bisect_right(self.starts, pos) - 1
        part = self.parts[i]
        assert isinstance(part, bytearray)  # pointers are only ever written into new bytes
        at = pos - self.starts[i]
        part[at : at + self.shape.offset_size] = self.pack(self.shape.offset_code, value)

    def blob(self, span: range) -> int:
        self.align()
        at = self.size
        self.parts.append(span)
        self.starts.append(at)
        self.size += len(span)
        self._fits()
        return at

    def _fits(self) -> None:
        if not self.big and self.size > CLASSIC_MAX:
            raise UnsafeToClean("the cleaned TIFF would be over 4 GB, more than a classic TIFF can address")

    def ifd(self, entries: list[tuple[int, int, int, bytes]]) -> tuple[int, int]:
        """Write one IFD; returns (its offset, position of its next-IFD pointer)."""
        shape = self.shape
        self.align()
        start = self.size
        entries = sorted(entries)
        values_at = start + shape.size(len(entries))
        table = bytearray(self.pack("H" if shape.count_size == 2 else "Q", len(entries)))
        extra = bytearray()
        count_code = "I" if shape.count_size == 2 else "Q"
        for tag, typ, count, raw in entries:
            table += self.pack("HH" + count_code, tag, typ, count)
            if len(raw) <= shape.offset_size:
                table += raw.ljust(shape.offset_size, b"\x00")
            else:
                if len(extra) % 2:
                    extra += b"\x00"
                table += self.pack(shape.offset_code, values_at + len(extra))
                extra += raw
        next_pos = start + len(table)
        table += b"\x00" * shape.offset_size
        self._append(table + extra)
        self._fits()
        return start, next_pos

    def plan(self) -> Plan:
        return [bytes(p) if isinstance(p, bytearray) else p for p in self.parts]
