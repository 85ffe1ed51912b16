"""JPEG streams inside a TIFF (strips, tiles, JPEGTables): copied byte for byte, so checked to hold only picture.

A comment or APPn segment (EXIF, XMP, a name) inside such a stream would
ride along unseen, so the stream may hold only the segments that make the
picture, plus a JFIF header without thumbnail or Adobe's colour marker.
"""
from __future__ import annotations

import re

from ..errors import UnsafeToClean
from . import jpeg as jpeg_format

#: JPEG markers a picture stream inside a TIFF may hold: tables, frame, scan, restart, end.
PICTURE_MARKERS = {0xDB, 0xC4, 0xDD, 0xCC, 0xDA} | jpeg_format.SOF_MARKERS
TABLE_MARKERS = {0xDB, 0xC4}
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def _fixed_app_segment(raw: bytes, pos: int) -> bool:
    """A JFIF header without a thumbnail, or Adobe's colour-transform marker: fixed-size
    segments that only say how to decode the picture, with no room for text."""
    segment = raw[pos : pos + 18]
    jfif = segment[1:2] == b"\xe0" and segment[2:4] == b"\x00\x10" and segment[4:9] == b"JFIF\x00" \
        and segment[16:18] == b"\x00\x00"
    adobe = segment[1:2] == b"\xee" and segment[2:4] == b"\x00\x0e" and segment[4:9] == b"Adobe"
    return jfif or adobe


def check_jpeg_stream(raw: bytes, allowed: set[int], what: str) -> None:
    """A JPEG stream inside a TIFF is copied byte for byte, so it may hold only the segments
    that make the picture: a comment or APPn segment (EXIF, XMP, a name) is refused."""
    size = len(raw)
    if bytes(raw[:2]) != b"\xff\xd8":
        raise UnsafeToClean(f"{what} is not a plain JPEG stream")
    pos = 2
    while True:
        if pos + 2 > size or raw[pos] != 0xFF:
            raise UnsafeToClean(f"{what} has bytes that are not part of its JPEG picture")
        marker = raw[pos + 1]
        if marker == 0xD9:
            if any(raw[pos + 2 :]):
                raise UnsafeToClean(f"{what} has hidden data after its JPEG picture")
            return
        if 0xD0 <= marker <= 0xD7 and 0xDA in allowed:
            pos += 2
            continue
        if marker not in allowed and not _fixed_app_segment(raw, pos):
            raise UnsafeToClean(f"{what} holds a JPEG segment (0x{marker:02X}) that could carry text")
        if pos + 4 > size:
            raise UnsafeToClean(f"{what} is a cut-short JPEG stream")
        end = pos + 2 + ((raw[pos + 2] << 8) | raw[pos + 3])
        if end > size or end < pos + 4:
            raise UnsafeToClean(f"{what} is a cut-short JPEG stream")
        pos = end
        if marker == 0xDA:  # entropy-coded data runs to the next real marker
            found = _SCAN_END.search(raw, pos)
            if found is None:
                raise UnsafeToClean(f"{what} is a JPEG stream without an end marker")
            pos = found.start()


