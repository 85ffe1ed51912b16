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
