"""Choosing a format module from a file's first bytes, never from its name."""
from __future__ import annotations

from .errors import UnsupportedFormat
from .formats import gif, heif, jpeg, png, tiff, webp
from .formats.base import ContainerFormat

#: Bytes of the file's start that ``sniff`` needs.
PREFIX_BYTES = 64

#: The cleanable formats, in the order they are tried.
FORMATS: list[ContainerFormat] = [jpeg.FORMAT, png.FORMAT, webp.FORMAT, tiff.FORMAT, gif.FORMAT,
                                    heif.FORMAT, heif.AVIF_FORMAT]


def _not_yet(prefix: bytes) -> str | None:
    """Name formats that are recognised but not handled yet, for a clear refusal."""
    if prefix[4:8] == b"ftyp":
        return "this ISO media file (an MP4/MOV video, or an unusual HEIF brand)"
    return None


def sniff(prefix: bytes) -> ContainerFormat:
    """The format module for these first bytes, or UnsupportedFormat."""
    for fmt in FORMATS:
        if fmt.accept(prefix):
            return fmt
    known = _not_yet(prefix)
    if known:
        raise UnsupportedFormat(f"{known} is not supported yet")
    raise UnsupportedFormat("not a photo format geoscrub knows (JPEG, PNG, WebP, HEIC/HEIF, AVIF, TIFF/DNG, GIF)")


def supported() -> list[str]:
    return [fmt.name for fmt in FORMATS]
