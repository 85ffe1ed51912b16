"""Writing the cleaned movie box, and naming the bytes of it that must not change.

The new ``moov`` is built from the allowlist that ``movie`` read: the movie
header, then each kept track with its header, edit list, media header,
handler, data reference, sample descriptions and sample tables.  Dates are
zero, handler names and encoder names are blank, data references say "this
file", and the chunk offsets point where the chunks land in the new file.
Every other byte of a kept box is copied as it is.  All fields have fixed
sizes, so the box's size does not depend on where the chunks land.
"""
from __future__ import annotations

import struct
from collections.abc import Callable

from ..model import Policy
from .isobmff import Box, box, full_box, full_header
from .movie import MDHD_BYTES, MVHD_BYTES, TKHD_BYTES, Movie, SampleEntry, Track, chunk_offsets, pack_offsets

#: Identity matrix of a track header: the film shown as it is stored.
IDENTITY = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
#: QuickTime's component types in a handler box (ISO files write zero there).
COMPONENT_TYPES = {b"mhlr", b"dhlr"}


def _version(m: bytes, b: Box) -> int:
    return full_header(m, b)[0]


def _dates_end(version: int) -> int:
    """Offset in the payload just past the creation and modification dates."""
    return 20 if version == 1 else 12


def _header(m: bytes, b: Box, sizes: dict[int, int]) -> bytearray:
    """The header box's fields (its standard length only), dates set to zero."""
    version = _version(m, b)
    body = bytearray(m[b.payload : b.payload + sizes[version] - 8])
    body[4 : _dates_end(version)] = bytes(_dates_end(version) - 4)
    return body


def _matrix_at(version: int) -> int:
    """Offset of the matrix in a track header's payload."""
    return 52 if version == 1 else 40


def _tkhd(m: bytes, b: Box, policy: Policy) -> bytes:
    body = _header(m, b, TKHD_BYTES)
    if not policy.keep_orientation:
        at = _matrix_at(_version(m, b))
        body[at : at + 36] = IDENTITY
    return box(b"tkhd", body)


def _hdlr(m: bytes, b: Box) -> bytes:
    """A handler with its type only: the name (often the app or camera) is left blank."""
    _, _, p = full_header(m, b)
    component = bytes(m[p : p + 4])
    return full_box(b"hdlr", 0, 0, component if component in COMPONENT_TYPES else bytes(4),
                    bytes(m[p + 4 : p + 8]), bytes(12), b"\x00")


def _dinf(m: bytes, track: Track) -> bytes:
    """Data references that all say "in this file" (a reference could name a path)."""
    return box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", track.references),
                                 *(full_box(b"url ", 0, 1) for _ in range(track.references))))


def _entry(m: bytes, track: Track, entry: SampleEntry) -> bytes:
    """A sample description: its fixed fields (vendor and encoder name blank) and the codec boxes."""
    e = entry.box
    fixed = bytearray(m[e.payload : entry.fixed_end])
    fixed[12:16] = bytes(4)  # QuickTime vendor
    if track.handler == b"vide":
        fixed[42:74] = bytes(32)  # encoder name
    return box(e.type, fixed, *(bytes(m[c.start : c.end]) for c in entry.kept_children))


def _stbl(m: bytes, stbl: Box, track: Track, moved: Callable[[int], int]) -> bytes:
    out = []
    for b in track.stbl_children:
        if b.type == b"stsd":
            out.append(full_box(b"stsd", 0, 0, struct.pack(">I", len(track.entries)),
                                *(_entry(m, track, e) for e in track.entries)))
        elif b is track.chunk_table:
            values = [moved(off) if length else 0
                      for off, (_, length) in zip(chunk_offsets(m, b), track.chunks)]
            out.append(box(b.type, pack_offsets(b, values)))
        else:
            out.append(bytes(m[b.start : b.end]))
    return box(b"stbl", *out)


def _minf(m: bytes, minf: Box, track: Track, moved: Callable[[int], int]) -> bytes:
    out = []
    for b in track.minf_children:
        if b.type == b"hdlr":
            out.append(_hdlr(m, b))
        elif b.type == b"dinf":
            out.append(_dinf(m, track))
        elif b.type == b"stbl":
            out.append(_stbl(m, b, track, moved))
        else:
            out.append(bytes(m[b.start : b.end]))  # vmhd / smhd
    return box(b"minf", *out)


def _trak(m: bytes, track: Track, moved: Callable[[int], int], policy: Policy) -> bytes:
    out = []
    for b in track.trak_children:
        if b.type == b"tkhd":
            out.append(_tkhd(m, b, policy))
        elif b.type == b"mdia":
            parts = []
            for c in track.mdia_children:
                if c.type == b"mdhd":
                    parts.append(box(b"mdhd", _header(m, c, MDHD_BYTES)))
                elif c.type == b"hdlr":
                    parts.append(_hdlr(m, c))
                else:
                    parts.append(_minf(m, c, track, moved))
            out.append(box(b"mdia", *parts))
        else:
            out.append(bytes(m[b.start : b.end]))  # edts (one elst), tapt
    return box(b"trak", *out)


def rebuild_movie(m: bytes, movie: Movie, moved: Callable[[int], int], policy: Policy) -> bytes:
    """The cleaned ``moov``; ``moved`` gives the new file offset of a kept chunk."""
    tracks = [_trak(m, t, moved, policy) for t in movie.tracks if t.kept]
    return box(b"moov", box(b"mvhd", _header(m, movie.mvhd, MVHD_BYTES)), *tracks)


def decoding_spans(m: bytes, movie: Movie) -> list[tuple[bytes, list[tuple[int, int]]]]:
    """For the movie and each kept track: a label and the spans of ``m`` that decide how it plays.

    Cleaning copies these bytes unchanged; only dates, names, vendor codes,
    data references, chunk offsets (and, when asked, the track matrix) differ.
    """
    h = movie.mvhd
    version = _version(m, h)
    parts = [(b"movie", [(h.payload + _dates_end(version), h.payload - 8 + MVHD_BYTES[version])])]
    for track in movie.tracks:
        if not track.kept:
            continue
        spans: list[tuple[int, int]] = []
        t = track.tkhd
        assert t is not None and track.mdhd is not None
        version = _version(m, t)
        matrix = t.payload + _matrix_at(version)
        spans += [(t.payload + _dates_end(version), matrix), (matrix + 36, t.payload - 8 + TKHD_BYTES[version])]
        d = track.mdhd
        version = _version(m, d)
        spans.append((d.payload + _dates_end(version), d.payload - 8 + MDHD_BYTES[version]))
        spans += [(b.start, b.end) for b in track.trak_children if b.type in (b"edts", b"tapt")]
        spans += [(b.start, b.end) for b in track.minf_children if b.type in (b"vmhd", b"smhd")]
        spans += [(b.start, b.end) for b in track.stbl_children if b.type not in (b"stsd", b"stco", b"co64")]
        for entry in track.entries:
            e = entry.box
            spans += [(e.start + 4, e.start + 8), (e.payload, e.payload + 12)]
            if track.handler == b"vide":
                spans += [(e.payload + 16, e.payload + 42), (e.payload + 74, entry.fixed_end)]
            else:
                spans.append((e.payload + 16, entry.fixed_end))
            spans += [(c.start, c.end) for c in entry.kept_children]
        parts.append((b"track" + struct.pack(">I", track.track_id) + track.handler, spans))
    return parts
