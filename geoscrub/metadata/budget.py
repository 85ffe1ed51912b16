"""A per-file budget for the metadata bytes parsed for the report.

One EXIF or XMP block is cheap to read, but a hostile file can carry
thousands of them (4096 APP1 segments, hundreds of text chunks).  Cleaning
drops them all without reading them, so once a file's budget
(``limits.MAX_PARSED_METADATA_BYTES``) is spent, further blocks are only
reported ("too much metadata to read"), never parsed.  The budget is opened
per file by ``geoscrub.api``; outside it only the per-block limits apply.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .. import limits
from ..model import Category, Finding, ScanResult

_remaining: ContextVar[list[int] | None] = ContextVar("geoscrub_parse_budget", default=None)


@contextmanager
def per_file(maximum: int | None = None) -> Iterator[None]:
    """Give the scans inside this block one shared parsing budget."""
    token = _remaining.set([limits.MAX_PARSED_METADATA_BYTES if maximum is None else maximum])
    try:
        yield
    finally:
        _remaining.reset(token)


def spend(size: int) -> bool:
    """Take ``size`` bytes from the current file's budget; False when it is spent."""
    left = _remaining.get()
    if left is None:
        return True
    if size > left[0]:
        left[0] = 0
        return False
    left[0] -= size
    return True


def unread(what: str, size: int, source: str) -> ScanResult:
    """The finding for a block that was not parsed because the budget was spent."""
    return ScanResult((Finding.make(
        Category.OTHER, what, f"{size} bytes",
        "Has more metadata than geoscrub reads in one file; it may hide anything (it is removed anyway)",
        source),))
