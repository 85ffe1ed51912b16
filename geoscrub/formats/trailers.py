"""What hides in bytes after a picture's end: motion-photo videos, extra images, vendor blobs.

Cleaning always drops trailers; this module only names them for the report.
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

from .._binary import u32, u64
from ..errors import TruncatedFile
from ..metadata import vendor
from ..model import Category, Finding, Location, ScanResult, better_location

_VIDEO = "Carries a video, which can show and sound much more than the photo"
_IMAGE = "Hides another picture after the main one (a depth map, preview or second view)"


def video_seconds(blob: bytes) -> float | None:
    """Duration of an MP4/MOV from its mvhd box, when it can be found."""
    at = blob.find(b"mvhd")
    if at < 4 or at + 28 > len(blob):
        return None
    version = blob[at + 4]
    try:
        if version == 1:
            timescale, duration = u32(blob, at + 24), u64(blob, at + 28)
        else:
            timescale, duration = u32(blob, at + 16), u32(blob, at + 20)
    except TruncatedFile:
        return None
    if not timescale or duration >= 0xFFFFFFFF:
        return None
    return duration / timescale


def _mp4_start(tail: bytes) -> int:
    at = tail.find(b"ftyp")
    while at >= 4:
        size = struct.unpack(">I", tail[at - 4 : at])[0]
        if 8 <= size <= 4096:
            return at - 4
        at = tail.find(b"ftyp", at + 1)
    return -1


#: From a big file read on demand (a FileView), this much of a trailer is read to name it.
SHOWN_FROM_VIEWS = 4 * 1024 * 1024


def tail_of(data: bytes, start: int, end: int | None = None) -> bytes:
    """Bytes that cleaning drops (a trailer, an embedded video), from ``start`` to ``end`` or the file's end:
    all of them in memory; from a FileView, enough to name them.

    They are never kept, so reading them whole would only cost memory.
    """
    stop = len(data) if end is None else end
    return data[start:stop] if type(data) is bytes else data[start : min(stop, start + SHOWN_FROM_VIEWS)]


def describe(
    tail: bytes,
    image_offsets: Sequence[int] = (),
    tail_start: int = 0,
    scan_embedded: Callable[[bytes], ScanResult] | None = None,
) -> ScanResult:
    """Findings for ``tail``, the bytes after the end of the primary picture."""
    if not tail.strip(b"\x00") or not tail.strip(b"\xff") and len(tail) < 64:
        return ScanResult()  # padding only
    findings: list[Finding] = []
    location: Location | None = None
    starts = sorted({o - tail_start for o in image_offsets if 0 <= o - tail_start < len(tail)})
    if tail[:3] == b"\xff\xd8\xff" and 0 not in starts:
        starts.insert(0, 0)
    for start in starts[:16]:
        findings.append(Finding.make(Category.HIDDEN_IMAGE, "EmbeddedImage", f"at byte {tail_start + start}",
                                     _IMAGE, "trailer"))
        if scan_embedded is not None:
            inner = scan_embedded(tail[start:])
            findings.extend(inner.findings)
            location = better_location(location, inner.location)
    mp4 = _mp4_start(tail)
    if mp4 >= 0:
        seconds = video_seconds(tail[mp4:])
        value = f"{seconds:.0f}-second video" if seconds is not None else f"{len(tail) - mp4} bytes of video"
        findings.append(Finding.make(Category.HIDDEN_IMAGE, "MotionPhotoVideo", value, _VIDEO, "trailer"))
    if tail.endswith(b"SEFT"):
        findings.append(Finding.make(Category.HIDDEN_IMAGE, "SamsungTrailer", f"{len(tail)} bytes",
                                     "Hides Samsung phone data: videos, edits, or the original file name",
                                     "trailer"))
        findings.extend(vendor.scan_samsung_trailer(tail, "Samsung trailer").findings)
    if not findings:
        findings.append(Finding.make(Category.OTHER, "Trailer", f"{len(tail)} bytes",
                                     "Has hidden data after the end of the picture", "trailer"))
    return ScanResult(tuple(findings), location)
