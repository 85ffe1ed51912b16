"""Choosing a format module from a file's first bytes, never from its name.

Only the module a file needs is imported: the formats with a fixed signature
(``formats.signatures``) are recognised before any format module loads, so
``check`` on a folder of JPEGs never loads the HEIF or video code, and
``geoscrub --help`` loads none.
"""
from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

from .errors import EmptyFile, UnsupportedFormat
from .formats import signatures
from .formats.base import ContainerFormat

#: Bytes of the file's start that ``sniff`` needs.
PREFIX_BYTES = 64

#: The formats with a fixed signature, in the order they are tried, before the ISO media family
#: (HEIF, AVIF, video), whose modules decide from the brands.  Each module's ``accept`` is its test here.
_SIGNED: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    ("jpeg", signatures.is_jpeg),
    ("png", signatures.is_png),
    ("webp", signatures.is_webp),
    ("tiff", signatures.is_tiff),
    ("gif", signatures.is_gif),
)


def _module_format(name: str) -> ContainerFormat:
    return importlib.import_module(f"{__package__}.formats.{name}").FORMAT  # type: ignore[no-any-return]


@functools.cache
def formats() -> tuple[ContainerFormat, ...]:
    """The cleanable formats, in the order they are tried."""
    from .formats import heif, video

    return (*(_module_format(name) for name, _ in _SIGNED), heif.FORMAT, heif.AVIF_FORMAT, *video.FORMATS)


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
    """The format module for these first bytes, or UnsupportedFormat (EmptyFile when there are none)."""
    if not prefix:
        raise EmptyFile()
    for name, matches in _SIGNED:
        if matches(prefix):
            return _module_format(name)
    for fmt in formats()[len(_SIGNED) :]:
        if fmt.accept(prefix):
            return fmt
    known = _not_yet(prefix)
    if known:
        raise UnsupportedFormat(f"{known} is not supported yet")
    raise UnsupportedFormat("not a photo or video format geoscrub knows "
                            "(JPEG, PNG, WebP, HEIC/HEIF, AVIF, TIFF/DNG, GIF, MP4/MOV/3GP/M4V)")


def supported() -> list[str]:
    return [fmt.name for fmt in formats()]
