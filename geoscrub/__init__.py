"""geoscrub: find and remove what a photo gives away, without touching the picture.

Public API::

    from geoscrub import scan, clean, Policy
    report = scan("photo.jpg")          # Report with findings, location, error
    report = clean("photo.jpg", "out.jpg", Policy(keep_orientation=True))
"""
from __future__ import annotations

from .api import clean, clean_bytes, scan, scan_bytes
from .errors import (
    EmptyFile,
    GeoscrubError,
    LimitExceeded,
    MalformedFile,
    NotARegularFile,
    TruncatedFile,
    UnsafeToClean,
    UnsupportedFormat,
    VerificationFailed,
    WriteFailed,
)
from .model import Category, Finding, Location, Policy, Report

from ._version import __version__

__all__ = [
    "Category", "EmptyFile", "Finding", "GeoscrubError", "LimitExceeded", "Location", "MalformedFile",
    "NotARegularFile", "Policy", "Report", "TruncatedFile", "UnsafeToClean", "UnsupportedFormat",
    "VerificationFailed", "WriteFailed", "clean", "clean_bytes", "scan", "scan_bytes", "__version__",
]
