"""The Pyodide runtime the page runs on: one pinned npm-registry version, checked, cached.

The tarball is downloaded once, only when a site is built, and kept under
``~/.cache/geoscrub/pyodide``.  Every use checks it against the registry's
sha512 integrity hash pinned here, so a changed or damaged download is never
put into a site.  Offline, a copy fetched elsewhere (``npm pack pyodide@VERSION``)
can be named with ``GEOSCRUB_PYODIDE_TARBALL``.
"""
from __future__ import annotations

import base64
import hashlib
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from ..errors import GeoscrubError

PYODIDE_VERSION = "314.0.8"
#: ``dist.integrity`` of pyodide@314.0.8 in the npm registry.
PYODIDE_INTEGRITY = "sha512-74Wq1kXOC+CCEzAfxuRAO701nAcCMLjf8NrwvWpu8S41dVMXwXmLQ05dYB+F4e46AdnGo0oq7YHSVUpHsoarLQ=="
PYODIDE_URL = f"https://registry.npmjs.org/pyodide/-/pyodide-{PYODIDE_VERSION}.tgz"
TARBALL_ENV = "GEOSCRUB_PYODIDE_TARBALL"

#: The only files of the package the page loads (the rest are types, maps and demos).
RUNTIME_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
#: A bigger download than this is not the package.
_MAX_TARBALL_BYTES = 64 * 1024 * 1024


class RuntimeUnavailable(GeoscrubError):
    """The pinned Pyodide could not be had (no network, no cache) or did not match its hash."""

    reason = "the Pyodide runtime is not available"


def cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "geoscrub" / "pyodide"


def integrity_of(blob: bytes) -> str:
    """The npm ``integrity`` string (sha512, base64) of ``blob``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode("ascii")


def tarball(*, download: bool = True) -> bytes:
    """The checked Pyodide tarball: from $GEOSCRUB_PYODIDE_TARBALL, the cache, or the npm registry."""
    named = os.environ.get(TARBALL_ENV)
    if named:
        return _checked(_read(Path(named)), named)
    cached = cache_folder() / f"pyodide-{PYODIDE_VERSION}.tgz"
    if cached.is_file():
        blob = _read(cached)
        if integrity_of(blob) == PYODIDE_INTEGRITY:
            return blob
    if not download:
        raise RuntimeUnavailable(f"Pyodide {PYODIDE_VERSION} is not in {cached.parent} and downloading is off")
    blob = _checked(_download(), PYODIDE_URL)
    _keep(cached, blob)
    return blob


def runtime_files(blob: bytes) -> dict[str, bytes]:
    """The files the page needs, read from the tarball (``package/NAME``)."""
    return files_from_tarball(blob, "package/", RUNTIME_FILES, "the Pyodide package", RuntimeUnavailable)


def files_from_tarball(blob: bytes, folder: str, names: Iterable[str], package: str,
                       error: type[Exception]) -> dict[str, bytes]:
    """The files ``names`` under ``folder`` of an npm tarball; ``error`` says which is missing or unreadable."""
    import io

    names = tuple(names)
    wanted = {f"{folder}{name}": name for name in names}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
            for member in tar:
                name = wanted.get(member.name)
                if name is not None and member.isfile():
                    handle = tar.extractfile(member)
                    if handle is not None:
                        found[name] = handle.read()
    except (tarfile.TarError, OSError, EOFError) as err:
        raise error(f"{package} cannot be unpacked: {err}") from None
    missing = sorted(set(names) - set(found))
    if missing:
        raise error(f"{package} lacks {', '.join(missing)}")
    return found


def _checked(blob: bytes, origin: str) -> bytes:
    actual = integrity_of(blob)
    if actual != PYODIDE_INTEGRITY:
        raise RuntimeUnavailable(
            f"{origin} is not Pyodide {PYODIDE_VERSION} as published: its sha512 is {actual}, "
            f"expected {PYODIDE_INTEGRITY}"
        )
    return blob


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise RuntimeUnavailable(f"cannot read {path}: {err.strerror or err}") from None


def _download() -> bytes:
    hint = (f"Building the web page needs Pyodide {PYODIDE_VERSION} from the npm registry once. "
            f"Connect to the internet and try again, or fetch it with `npm pack pyodide@{PYODIDE_VERSION}` "
            f"and set {TARBALL_ENV} to that file")
    try:
        with urllib.request.urlopen(PYODIDE_URL, timeout=60) as response:  # a fixed https URL
            blob = response.read(_MAX_TARBALL_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise RuntimeUnavailable(f"could not download {PYODIDE_URL} ({getattr(err, 'reason', err)}). {hint}.") from None
    if len(blob) > _MAX_TARBALL_BYTES:
        raise RuntimeUnavailable(f"{PYODIDE_URL} is bigger than any Pyodide package. {hint}.")
    return blob


def _keep(path: Path, blob: bytes) -> None:
    """Cache the checked tarball atomically; a read-only home only means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".pyodide-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        pass
