"""The Pyodide runtime the page runs on: one pinned npm-registry version, checked, cached.

The tarball is downloaded once, only when a site is built, and kept under
``~/.cache/geoscrub/pyodide``.  Every use checks it against the registry's
sha512 integrity hash pinned here, so a changed or damaged download is never
put into a site.  Offline, a copy fetched elsewhere (``npm pack pyodide@VERSION``)
can be named with ``GEOSCRUB_PYODIDE_TARBALL``.
"""
from __future__ import annotations

from ..errors import GeoscrubError
from .npm_tarball import PinnedTarball, integrity_of

__all__ = ["pinned", "RuntimeUnavailable", "integrity_of", "runtime_files", "tarball"]

PYODIDE_VERSION = "314.0.8"
#: ``dist.integrity`` of pyodide@314.0.8 in the npm registry.
PYODIDE_INTEGRITY = "sha512-74Wq1kXOC+CCEzAfxuRAO701nAcCMLjf8NrwvWpu8S41dVMXwXmLQ05dYB+F4e46AdnGo0oq7YHSVUpHsoarLQ=="
TARBALL_ENV = "GEOSCRUB_PYODIDE_TARBALL"

#: The only files of the package the page loads (the rest are types, maps and demos).
RUNTIME_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
#: A bigger download than this is not the package.
_MAX_TARBALL_BYTES = 64 * 1024 * 1024


class RuntimeUnavailable(GeoscrubError):
    """The pinned Pyodide could not be had (no network, no cache) or did not match its hash."""

    reason = "the Pyodide runtime is not available"


def pinned() -> PinnedTarball:
    """Where the pinned Pyodide comes from (see ``npm_tarball``), made from this module's constants when asked."""
    return PinnedTarball("pyodide", "Pyodide", PYODIDE_VERSION, PYODIDE_INTEGRITY, TARBALL_ENV, _MAX_TARBALL_BYTES,
                         RuntimeUnavailable, "Building the web page")


def tarball(*, download: bool = True) -> bytes:
    """The checked Pyodide tarball: from $GEOSCRUB_PYODIDE_TARBALL, the cache, or the npm registry."""
    return pinned().fetch(download=download)


def runtime_files(blob: bytes) -> dict[str, bytes]:
    """The files the page needs, read from the tarball (``package/NAME``)."""
    return pinned().files(blob, "package/", RUNTIME_FILES)
