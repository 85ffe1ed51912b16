"""What every container module provides.

A format module never does I/O: it receives the whole file as bytes and
returns findings, cleaned bytes, or the pieces of image data that cleaning
must leave byte-identical.  It raises a ``GeoscrubError`` for anything it does
not understand; it never returns its input unchanged to signal a problem.
"""
from __future__ import annotations

import functools
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


def remember_last_parses(parse: Callable[[bytes], T]) -> Callable[[bytes], T]:
    """Memoise ``parse`` for the last two ``bytes`` objects, by identity.

    scan, strip, image_data and the verifier each walk the same buffers; the
    walk is the costly part on a 12 MP photo, so it is done once per buffer.
    Only immutable ``bytes`` are remembered (a reference is held, so the
    identity cannot be reused); errors are never remembered.
    """
    recent: list[tuple[bytes, T]] = []

    @functools.wraps(parse)
    def wrapper(data: bytes) -> T:
        if type(data) is not bytes:
            return parse(data)
        for seen, result in recent:
            if seen is data:
                return result
        result = parse(data)
        recent.insert(0, (data, result))
        del recent[2:]
        return result

    return wrapper
