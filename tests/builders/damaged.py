"""Photos the lossless path refuses as damaged, but whose picture can still be decoded (for --rebuild).

Each one carries the usual identifying metadata, so a rebuilt copy that kept
anything of the file would show it.
"""
from __future__ import annotations

import struct

from . import core

#: Big enough for several progressive scans and real coded data.
SIZE = (256, 192)


def _scan_start(data: bytes) -> int:
    """Where the first scan's coded data starts in a JPEG without a thumbnail."""
    sos = data.index(b"\xff\xda")
    return sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0]


def jpeg_pixels_damaged_after_exif(orientation: int | None = None, icc: bytes | None = None) -> bytes:
    """Valid EXIF (GPS, owner, serial), then a stray start-of-image marker in the middle of the pixel data."""
    segments = [core.app1_exif(core.exif_tiff(orientation=orientation))]
    if icc is not None:
        segments.append(core.app2_icc(icc))
    data = bytearray(core.jpeg(segments, base=core.encode(core.picture(*SIZE), "JPEG", quality=90)))
    middle = (_scan_start(bytes(data)) + len(data)) // 2
    data[middle : middle + 2] = b"\xff\xd8"
    return bytes(data)


def progressive_jpeg_cut_short(scans: int = 3) -> bytes:
    """A progressive JPEG with EXIF, cut in the header of its ``scans``-th scan (an upload that stopped)."""
    data = core.jpeg([core.app1_exif(core.exif_tiff())],
                     base=core.encode(core.picture(*SIZE), "JPEG", quality=90, progressive=True))
    starts = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\xff\xda"]
    return data[: starts[scans] + 5]


def png_with_bad_crc() -> bytes:
    """A PNG with text, XMP and EXIF whose pixel chunk (IDAT) has a wrong checksum."""
    data = bytearray(core.dirty_png())
    at = data.index(b"IDAT")
    length = struct.unpack(">I", data[at - 4 : at])[0]
    data[at + 4 + length] ^= 0xFF
    return bytes(data)
