"""What every container module provides.

A format module never does I/O: it receives the whole file as bytes and
returns findings, cleaned bytes, or the pieces of image data that cleaning
must leave byte-identical.  It raises a ``GeoscrubError`` for anything it does
not understand; it never returns its input unchanged to signal a problem.
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from ..model import Policy, ScanResult


class ContainerFormat(Protocol):
    #: Short name shown to users and in JSON ("JPEG", "PNG"...).
    name: str
    #: The usual extension, used to correct a spoofed one (".jpg").
    extension: str

    def accept(self, prefix: bytes) -> bool:
        """True when the first bytes (at least 32, fewer for tiny files) are this format."""
        ...

    def scan(self, data: bytes) -> ScanResult:
        """Everything identifying, or anything not on the allowlist, as findings."""
        ...

    def strip(self, data: bytes, policy: Policy) -> bytes:
        """The file rebuilt from allowlisted parts only; image data byte-identical."""
        ...

    def image_data(self, data: bytes) -> Sequence[bytes | memoryview]:
        """The parts that encode the picture, in order; cleaning must not change them."""
        ...


T = TypeVar("T")

#: A cleaned file described without building it: new bytes, and ranges of the
#: original to copy as they are (so a writer can copy them in the kernel).
Plan = list[bytes | range]


def plan_pieces(plan: Plan, data: bytes) -> list[bytes | memoryview]:
    """The plan's pieces, with ranges as views into ``data`` (nothing copied)."""
    view = memoryview(data)
    return [view[p.start : p.stop] if isinstance(p, range) else p for p in plan]


def join_plan(plan: Plan, data: bytes) -> bytes:
    return b"".join(plan_pieces(plan, data))


def plan_of(fmt: ContainerFormat, data: bytes, policy: Policy) -> Plan:
    """``fmt.strip_plan`` where the format has one, else its stripped bytes as one piece.

    Ranges that follow each other in the original are merged, so the coded
    picture is usually one copy however many segments it has.
    """
    strip_plan = getattr(fmt, "strip_plan", None)
    if strip_plan is None:
        return [fmt.strip(data, policy)]
    merged: Plan = []
    for piece in strip_plan(data, policy):
        last = merged[-1] if merged else None
        if isinstance(piece, range) and isinstance(last, range) and last.stop == piece.start:
            merged[-1] = range(last.start, piece.stop)
        else:
            merged.append(piece)
    return merged


#: Per thread (the watch service cleans on several threads): what the memos below remember.
_memory = threading.local()


def recent(name: str) -> list:
    """This thread's memo list called ``name`` (created empty)."""
    return _memory.__dict__.setdefault(name, [])


def forget_recent_parses() -> None:
    """Drop every memo of this thread, so no buffer outlives the file it came from."""
    _memory.__dict__.clear()


def remember_last_parses(parse: Callable[[bytes], T]) -> Callable[[bytes], T]:
    """Memoise ``parse`` for the last two ``bytes`` objects, by identity.

    scan, strip, image_data and the verifier each walk the same buffers; the
    walk is the costly part on a 12 MP photo, so it is done once per buffer.
    Only immutable ``bytes`` and FileViews (which geoscrub never changes) are
    remembered; a reference is held until ``forget_recent_parses``, so the
    identity cannot be reused.  Errors are never remembered.
    """
    name = f"{parse.__module__}.{parse.__qualname__}"

    @functools.wraps(parse)
    def wrapper(data: bytes) -> T:
        if type(data) is not bytes and not getattr(data, "is_file_view", False):
            return parse(data)
        seen_results: list[tuple[bytes, T]] = recent(name)
        for seen, result in seen_results:
            if seen is data:
                return result
        result = parse(data)
        seen_results.insert(0, (data, result))
        del seen_results[2:]
        return result

    return wrapper
