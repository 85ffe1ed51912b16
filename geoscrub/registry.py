"""Choosing a format module from a file's first bytes, never from its name.

The format modules are imported on the first call, not at import time, so
``geoscrub --help`` and other commands that read no photo start fast.
"""
from __future__ import annotations

import functools

from .errors import UnsupportedFormat
from .formats.base import ContainerFormat

#: Bytes of the file's start that ``sniff`` needs.
PREFIX_BYTES = 64


@functools.cache
def formats() -> tuple[ContainerFormat, ...]:
    """The cleanable formats, in the order they are tried."""
    from .formats import gif, heif, jpeg, png, tiff, video, webp

    return (jpeg.FORMAT, png.FORMAT, webp.FORMAT, tiff.FORMAT, gif.FORMAT, heif.FORMAT, heif.AVIF_FORMAT,
            *video.FORMATS)


def __getattr__(name: str) -> object:
    if name == "FORMATS":  # the list, for callers that want it as a constant
        return list(formats())
    raise AttributeError(name)


def _not_yet(prefix: bytes) -> str | None:
    """Name formats that are recognised but not handled yet, for a clear refusal."""
    if prefix[4:8] == b"ftyp":
        return "this ISO media file (an unusual brand that is neither a video nor a HEIF picture)"
    return None


def sniff(prefix: bytes) -> ContainerFormat:
    """The format module for these first bytes, or UnsupportedFormat."""
    for fmt in formats():
        if fmt.accept(prefix):
            return fmt
    known = _not_yet(prefix)
    if known:
        raise UnsupportedFormat(f"{known} is not supported yet")
    raise UnsupportedFormat("not a photo or video format geoscrub knows "
                            "(JPEG, PNG, WebP, HEIC/HEIF, AVIF, TIFF/DNG, GIF, MP4/MOV/3GP/M4V)")


def supported() -> list[str]:
    return [fmt.name for fmt in formats()]
