"""One npm package at one pinned version, for building the site: checked, cached, or named by hand.

Used for Pyodide (``pyodide_dist``) and onnxruntime-web (``look_dist``).  The
tarball comes from an environment variable naming a copy (``npm pack
NAME@VERSION`` run elsewhere), from ``~/.cache/geoscrub/NAME``, or from the npm
registry, once, when a site is built.  Every use checks it against the
registry's sha512 integrity hash, so a changed or damaged download never goes
into a site.  Nothing here runs when photos are checked or cleaned.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import GeoscrubError


def integrity_of(blob: bytes) -> str:
    """The npm ``integrity`` string (sha512, base64) of ``blob``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode("ascii")


@dataclass(frozen=True)
class PinnedTarball:
    """Where to find one package's tarball, and what it must hash to."""

    name: str  # npm package name, e.g. "pyodide"
    label: str  # how the messages call it, e.g. "Pyodide"
    version: str
    integrity: str  # the registry's ``dist.integrity``
    env: str  # environment variable that may name a copy
    max_bytes: int  # a bigger download than this is not the package
    error: type[GeoscrubError]
    needed_for: str  # "Building the web page", for the hint when it cannot be had

    @property
    def url(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name}-{self.version}.tgz"

    def cache_folder(self) -> Path:
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "geoscrub" / self.name

    def fetch(self, *, download: bool = True) -> bytes:
        """The checked tarball: from ``env``, the cache, or the npm registry (then cached)."""
        named = os.environ.get(self.env)
        if named:
            return self._checked(self._read(Path(named)), named)
        cached = self.cache_folder() / f"{self.name}-{self.version}.tgz"
        if cached.is_file():
            blob = self._read(cached)
            if integrity_of(blob) == self.integrity:
                return blob
        if not download:
            raise self.error(f"{self.label} {self.version} is not in {cached.parent} and downloading is off")
        blob = self._checked(self._download(), self.url)
        _keep(cached, blob)
        return blob

    def files(self, blob: bytes, folder: str, names: Iterable[str]) -> dict[str, bytes]:
        """The files ``names`` under ``folder`` (``package/...``) of the tarball ``blob``."""
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
            raise self.error(f"the {self.label} package cannot be unpacked: {err}") from None
        missing = sorted(set(names) - set(found))
        if missing:
            raise self.error(f"the {self.label} package lacks {', '.join(missing)}")
        return found

    def _checked(self, blob: bytes, origin: str) -> bytes:
        actual = integrity_of(blob)
        if actual != self.integrity:
            raise self.error(f"{origin} is not {self.label} {self.version} as published: its sha512 is {actual}, "
                             f"expected {self.integrity}")
        return blob

    def _read(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as err:
            raise self.error(f"cannot read {path}: {err.strerror or err}") from None

    def _download(self) -> bytes:
        hint = (f"{self.needed_for} needs {self.label} {self.version} from the npm registry once. "
                f"Connect to the internet and try again, or fetch it with `npm pack {self.name}@{self.version}` "
                f"and set {self.env} to that file")
        try:
            with urllib.request.urlopen(self.url, timeout=60) as response:  # a fixed https URL
                blob = response.read(self.max_bytes + 1)
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise self.error(f"could not download {self.url} ({getattr(err, 'reason', err)}). {hint}.") from None
        if len(blob) > self.max_bytes:
            raise self.error(f"{self.url} is bigger than any {self.label} package. {hint}.")
        return blob


def _keep(path: Path, blob: bytes) -> None:
    """Cache the checked tarball atomically; a read-only home only means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".tarball-", dir=path.parent)
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
