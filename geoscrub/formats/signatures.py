"""The first bytes that mark the formats with a fixed signature, in one place.

Each format module's ``accept`` is the test here, and the registry uses the
same tests to import only the module a file needs (the ISO media family,
HEIF, AVIF and video, decide from brands and is asked in its own modules).
"""
from __future__ import annotations

JPEG_START = b"\xff\xd8\xff"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GIF_HEADERS = (b"GIF87a", b"GIF89a")
TIFF_CLASSIC_HEADERS = (b"II*\x00", b"MM\x00*")
TIFF_BIG_HEADERS = (b"II+\x00", b"MM\x00+")
#: First boxes of a QuickTime movie written before ``ftyp`` existed.
OLD_QUICKTIME_STARTS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
#: Every fixed start above, for "could these few bytes become a photo?".
_FIXED_STARTS = (JPEG_START, PNG_SIGNATURE, *GIF_HEADERS, *TIFF_CLASSIC_HEADERS, *TIFF_BIG_HEADERS, b"RIFF")


def is_jpeg(prefix: bytes) -> bool:
    return prefix[:3] == JPEG_START


def is_png(prefix: bytes) -> bool:
    return prefix[:8] == PNG_SIGNATURE


def is_webp(prefix: bytes) -> bool:
    return prefix[:4] == b"RIFF" and prefix[8:12] == b"WEBP"


def is_tiff(prefix: bytes) -> bool:
    return prefix[:4] in TIFF_CLASSIC_HEADERS or prefix[:4] in TIFF_BIG_HEADERS


def is_gif(prefix: bytes) -> bool:
    return prefix[:6] in GIF_HEADERS


def may_become_known(head: bytes) -> bool:
    """True when ``head`` could be the first bytes of a photo or video geoscrub knows.

    For an upload that has only just begun: a few bytes of a JPEG's start
    may still become a photo, a short text file never will.  An ISO media
    file (HEIF, MP4) starts with a box size (a zero byte first, for the
    sizes a first box has) and then its type.
    """
    if not head:
        return True
    for start in _FIXED_STARTS:
        shared = min(len(head), len(start))
        if head[:shared] == start[:shared]:
            return start != b"RIFF" or len(head) <= 8 or b"WEBP".startswith(head[8:12])
    if head[0] != 0:
        return False
    kind = head[4:8]
    return any(box.startswith(kind) for box in (b"ftyp", *OLD_QUICKTIME_STARTS))
