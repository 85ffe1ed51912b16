"""What every container module provides.

A format module never does I/O: it receives the whole file as bytes and
returns findings, cleaned bytes, or the pieces of image data that cleaning
must leave byte-identical.  It raises a ``GeoscrubError`` for anything it does
not understand; it never returns its input unchanged to signal a problem.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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
