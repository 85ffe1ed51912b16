"""JPEG's layout: its markers and segments, walked from SOI to the primary image's EOI.

The walk (``parse``) and the end of each scan's entropy-coded data
(``entropy_end``, searched a window at a time in a big file, and carried over
when verifying a copy that holds the same coded bytes).  ``jpeg`` decides
what to keep; this module only says where everything is.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import limits
from .._binary import u16
from ..errors import GeoscrubError, MalformedFile, TruncatedFile, UnsupportedFormat
from .base import recent, remember_last_parses
from .markerscan import MARKER_IN_SCAN, find_marker_in_scan

SOI, EOI, SOS, COM = 0xD8, 0xD9, 0xDA, 0xFE
SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
#: Markers whose segments belong to the coded picture (kept byte for byte).
IMAGE_MARKERS = SOF_MARKERS | {0xC4, 0xCC, 0xDB, 0xDD, 0xDC, SOS}
STANDALONE = {0x01} | set(range(0xD0, 0xD8))


@dataclass(frozen=True)
class Segment:
    marker: int
    start: int  # offset of the 0xFF
    end: int  # offset just past the segment (for SOS: past its entropy-coded data)
    payload_start: int  # first byte after the length field

    def payload(self, data: bytes) -> bytes:
        header_end = self.payload_start
        if self.marker == SOS:
            header_end = self.start + 2 + u16(data, self.start + 2)
            return data[self.payload_start : header_end]
        return data[self.payload_start : self.end]


@dataclass
class Layout:
    segments: list[Segment]
    eoi_end: int  # offset just past the primary image's EOI


#: Why a JPEG whose coded picture runs to the end of the file (no end-of-image marker) is refused.
PICTURE_CUT_SHORT = "the picture itself is incomplete, as the file stops part-way through it"


def parse(data: bytes, *, headers_only: bool = False) -> Layout:
    """Walk the primary image's markers.  Raises MalformedFile/TruncatedFile."""
    return _walk(data, headers_only=True) if headers_only else _walk_whole(data)


@remember_last_parses
def _walk_whole(data: bytes) -> Layout:
    return _walk(data, headers_only=False)


def readable_segments(data: bytes) -> list[Segment]:
    """The segments walked before the first problem (all of them when there is none)."""
    segments: list[Segment] = []
    try:
        _walk(data, headers_only=False, segments=segments)
    except GeoscrubError:
        pass
    return segments


def _walk(data: bytes, *, headers_only: bool, segments: list[Segment] | None = None) -> Layout:
    if data[:2] != b"\xff\xd8":
        raise UnsupportedFormat("not a JPEG")
    if segments is None:
        segments = []
    segments.append(Segment(SOI, 0, 2, 2))
    pos = 2
    metadata_count = metadata_bytes = 0
    size = len(data)
    while True:
        limits.enforce("MAX_SEGMENTS", len(segments), limits.MAX_SEGMENTS)
        if pos >= size:
            raise TruncatedFile("JPEG ends before its end-of-image marker", pos)
        if data[pos] != 0xFF:
            raise MalformedFile("expected a JPEG marker", pos)
        start = pos
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            raise TruncatedFile("JPEG ends inside a marker", start)
        marker = data[pos]
        pos += 1
        if marker == EOI:
            if not headers_only and not any(s.marker == SOS for s in segments):
                raise MalformedFile("JPEG has no picture in it (no start-of-scan)", start)
            segments.append(Segment(EOI, start, pos, pos))
            return Layout(segments, pos)
        if marker in STANDALONE:
            segments.append(Segment(marker, start, pos, pos))
            continue
        if marker in (0x00, SOI):
            raise MalformedFile(f"unexpected JPEG marker 0x{marker:02X}", start)
        if pos + 2 > size:
            raise TruncatedFile("JPEG segment length cut off", start)
        length = u16(data, pos)
        if length < 2:
            raise MalformedFile("JPEG segment length below 2", start)
        end = pos + length
        if end > size:
            raise TruncatedFile(f"JPEG segment 0x{marker:02X} runs past the end of the file", start)
        if marker not in IMAGE_MARKERS:
            metadata_count += 1
            metadata_bytes += length
            limits.enforce("MAX_METADATA_SEGMENTS", metadata_count, limits.MAX_METADATA_SEGMENTS)
            limits.enforce("MAX_METADATA_BYTES", metadata_bytes, limits.MAX_METADATA_BYTES)
        if marker == SOS:
            if headers_only:
                segments.append(Segment(SOS, start, end, pos + 2))
                return Layout(segments, -1)
            scan_end = entropy_end(data, end)
            if scan_end is None:
                # no marker ends the coded data: the file stops part-way through the
                # picture (a download or upload that stopped), which is never cleaned
                raise TruncatedFile(PICTURE_CUT_SHORT, size)
            segments.append(Segment(SOS, start, scan_end, pos + 2))
            pos = scan_end
            continue
        if not (0xC0 <= marker <= 0xFE):
            raise MalformedFile(f"unknown JPEG marker 0x{marker:02X}", start)
        segments.append(Segment(marker, start, end, pos + 2))
        pos = end


#: Coded data is searched this much at a time in a file read on demand (a FileView).
_WINDOW = 4 * 1024 * 1024


def _find_marker_in_windows(data: bytes, start: int) -> int | None:
    """``find_marker_in_scan`` over a big file read a window at a time.

    Each window carries one byte more, so a marker split across two windows
    is seen; a window without a marker rules out every start before its last byte.
    """
    size = len(data)
    while start < size:
        window = data[start : start + _WINDOW + 1]
        found = find_marker_in_scan(window, 0)
        if found is not None:
            return start + found
        start += _WINDOW
    return None


#: At most this many (buffer, start, end) runs are remembered, from two buffers.
_REMEMBERED_RUNS = 64
#: Shorter runs are cheaper to search again than to look up.
_RUN_WORTH_REMEMBERING = 4096


def entropy_end(data: bytes, start: int) -> int | None:
    """Where the entropy-coded data starting at ``start`` ends (at a marker), or None.

    Verifying a cleaned copy walks the same coded data a second time, in a
    new buffer.  When a run walked recently holds exactly the bytes found
    at ``start`` (compared with memcmp), the answer is carried over instead
    of searched again: identical bytes give an identical walk, provided the
    bytes just past the run are checked in the new buffer, which they are.
    """
    if type(data) is not bytes:
        return _find_marker_in_windows(data, start)
    runs: list[tuple[bytes, int, int]] = recent("jpeg.entropy_runs")
    for seen, seen_start, seen_end in runs:
        length = seen_end - seen_start
        if seen is data:  # within one buffer only the very same run is carried over
            if seen_start == start:
                return seen_end
            continue
        if (start + length + 2 <= len(data) and data.startswith(memoryview(seen)[seen_start:seen_end], start)
                and MARKER_IN_SCAN.match(data, start + length)
                and not (length and MARKER_IN_SCAN.match(data, start + length - 1))):
            return start + length
    end = find_marker_in_scan(data, start)
    if end is not None and end - start >= _RUN_WORTH_REMEMBERING:
        if runs and runs[0][0] is not data:
            runs[:] = [run for run in runs if run[0] is runs[0][0]]
        runs.insert(0, (data, start, end))
        del runs[_REMEMBERED_RUNS:]
    return end
