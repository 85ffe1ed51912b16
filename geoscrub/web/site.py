"""Building the static site: the page, its workers, the Pyodide runtime and geoscrub itself.

Everything the page loads is written into one folder, so it can be served
from any https web space with nothing fetched from anywhere else.  The
geoscrub package (every module and data file the page can use, whatever it
holds by now) and defusedxml are packed from the installed copies into one zip
that the worker unpacks into Pyodide; a data file too big to load before the
first photo is kept beside the zip and read only when the engine opens it.
The runtime's standard library goes in without what the page never uses,
and with Node.js on the build machine the modules the page imports at start
go in as bytecode (see ``packing`` and ``precompile``).

The site's version is a hash of every file, so a changed build gets a new
service-worker cache and phones update cleanly.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .._version import __version__
from ..errors import GeoscrubError
from . import icon, look_dist, packing, precompile, pyodide_dist, server

#: Written into every site; a folder holding it may be replaced by a new build.
MARKER = "geoscrub-site.json"
ARCHIVE = "py/geoscrub.zip"
LAZY_FOLDER = "py/lazy"
#: Data files at least this big are read on first use, not before the engine is ready.
LAZY_MIN_BYTES = 256 * 1024
#: Python packages packed into the site: the engine and what it imports.
PACKAGES = ("geoscrub", "defusedxml")
#: Page files kept as package data in ``geoscrub/web/static``.
STATIC_FILES = ("index.html", "app.js", "worker.js", "sw.js", "manifest.webmanifest", "style.css", "icon.svg",
                "look.js", "look-boxes.js", "look-worker.js", "look-models.js")
ICON_SIZES = (192, 512)
#: Compiled extension modules cannot run in Pyodide; the engine falls back to pure Python without them.
_NEVER_PACKED_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".dylib", ".dll")
#: A fixed time for zip entries, so the same sources always give the same site version.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class SiteInfo:
    """What a build wrote: where, which version, how big (and how big gzipped)."""

    folder: Path
    version: str
    files: int
    size: int
    gzip_size: int
    written: bool  # False when the folder already held this exact site
    #: None when the page's Python was compiled ahead, else why not (it then starts slower)
    not_precompiled: str | None = None
    #: Of ``size``, the face and word finder's files (downloaded by a phone only when it turns looking on).
    look_size: int = 0
    #: Why the site has no face and word finder, when it has none.
    look_missing: str | None = None


def site_files() -> dict[str, bytes]:
    """Every file of the site by its path in the site (``/``-separated).  Raises RuntimeUnavailable."""
    files: dict[str, bytes] = {}
    runtime = pyodide_dist.runtime_files(pyodide_dist.tarball())
    runtime["pyodide-lock.json"] = _lock_without_packages(runtime["pyodide-lock.json"])
    runtime["python_stdlib.zip"] = packing.trim_stdlib(runtime["python_stdlib.zip"])
    archive, lazy = _pack_python()
    not_precompiled = None
    try:
        compiled = precompile.precompile(runtime, runtime["python_stdlib.zip"], archive, lazy)
        runtime["python_stdlib.zip"], archive = compiled.stdlib, compiled.archive
    except precompile.NotPrecompiled as err:
        not_precompiled = str(err)
    files.update({f"pyodide/{name}": blob for name, blob in runtime.items()})
    files[ARCHIVE] = archive
    files.update({f"{LAZY_FOLDER}/{name}": blob for name, blob in lazy.items()})
    for size in ICON_SIZES:
        files[f"icon-{size}.png"] = icon.png(size)
    static = resources.files("geoscrub.web") / "static"
    for name in STATIC_FILES:
        files[name] = (static / name).read_bytes()
    files["index.html"] = files["index.html"].replace(
        b"__CONTENT_SECURITY_POLICY__", server.META_CONTENT_SECURITY_POLICY.encode("ascii"))
    # the footer names the release, taken from the one place the version is written
    files["index.html"] = files["index.html"].replace(b"__GEOSCRUB_VERSION__", __version__.encode())
    look, look_missing = look_dist.look_files()  # optional: the site works without them
    files.update(look)
    version = _version(files)
    files[MARKER] = json.dumps({
        "geoscrub_site": 1,
        "version": version,
        "geoscrub_version": __version__,
        "pyodide": pyodide_dist.PYODIDE_VERSION,
        "archive": ARCHIVE,
        "lazy": {name: f"{LAZY_FOLDER}/{name}" for name in sorted(lazy)},
        "not_precompiled": not_precompiled,
        "look": look_dist.MANIFEST if look else None,
        "look_missing": look_missing,
    }, indent=1).encode()
    # the look finder's files are cached by the service worker when first used, never before;
    # only its small manifest is kept at once, so the switch can say what it would download, offline too
    precache = sorted(f for f in files if f != "sw.js" and (f not in look or f == look_dist.MANIFEST))
    files["sw.js"] = _fill(files["sw.js"], version, precache)
    return files


def build(folder: Path, *, force: bool = False) -> SiteInfo:
    """Write the site into ``folder`` (created, or replaced when it holds an older geoscrub site).

    A folder holding anything else is never touched.  The new site is
    written beside it and swapped in whole, so a failed build leaves the old
    site as it was.  Raises GeoscrubError.
    """
    folder = Path(folder)
    files = site_files()
    version = json.loads(files[MARKER])["version"]
    existing = _existing_version(folder)
    if existing == version and not force:
        return _info(folder, files, version, written=False)
    parent = folder.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-new-", dir=parent))
    except OSError as err:
        raise GeoscrubError(f"cannot write the site beside {folder}: {err.strerror or err}") from None
    try:
        for name, blob in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(blob)
        os.chmod(staging, 0o755)
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=parent))
            os.replace(folder, old / "site")
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise GeoscrubError(f"cannot write the site into {folder}: {err.strerror or err}") from None
    return _info(folder, files, version, written=True)


def _existing_version(folder: Path) -> str | None:
    """The version of the geoscrub site in ``folder``; None for no folder or an empty one.

    Raises GeoscrubError for a folder that holds something else.
    """
    if not folder.exists():
        return None
    if not folder.is_dir():
        raise GeoscrubError(f"{folder} is not a folder")
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        return str(marker["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if any(folder.iterdir()):
        raise GeoscrubError(f"{folder} already holds other files; choose an empty or new folder for the site")
    return None


def _info(folder: Path, files: dict[str, bytes], version: str, *, written: bool) -> SiteInfo:
    marker = json.loads(files[MARKER])
    look = sum(len(blob) for name, blob in files.items() if name.startswith(f"{look_dist.FOLDER}/"))
    return SiteInfo(folder, version, len(files), sum(map(len, files.values())), gzip_size(files), written,
                    marker.get("not_precompiled"), look, marker.get("look_missing"))


def gzip_size(files: dict[str, bytes]) -> int:
    """What the site weighs sent with gzip (as web servers compress it)."""
    return sum(len(gzip.compress(blob, compresslevel=6, mtime=0)) for blob in files.values())


def _version(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()[:16]


def _fill(template: bytes, version: str, precache: list[str]) -> bytes:
    text = template.decode("utf-8")
    text = text.replace('"__SITE_VERSION__"', json.dumps(version))
    text = text.replace('["__PRECACHE__"]', json.dumps(["./"] + precache))
    return text.encode("utf-8")


def _lock_without_packages(lock: bytes) -> bytes:
    """The runtime's lock file listing no packages: the site ships none, and never fetches any."""
    try:
        info = json.loads(lock)["info"]
    except (ValueError, KeyError, TypeError):
        raise pyodide_dist.RuntimeUnavailable("the Pyodide package's pyodide-lock.json is not readable") from None
    return json.dumps({"info": info, "packages": {}}).encode()


def _package_files() -> Iterator[tuple[str, Path]]:
    """(path in the archive, file) for every module and data file of the packed packages."""
    import importlib

    for package in PACKAGES:
        root = Path(importlib.import_module(package).__file__ or "").parent
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if not path.is_file() or "__pycache__" in relative.parts:
                continue
            if path.name.lower().endswith(_NEVER_PACKED_SUFFIXES) or ".cpython-" in path.name:
                continue
            name = f"{package}/{relative.as_posix()}"
            if packing.page_imports(name):  # not the command line, the watch service or this build
                yield name, path


def read_lazily(name: str, size: int) -> bool:
    """Whether a packed file stays beside the archive, fetched only when the engine opens it."""
    return not name.endswith(".py") and size >= LAZY_MIN_BYTES


def _pack_python() -> tuple[bytes, dict[str, bytes]]:
    """(zip of the packages, {archive path: bytes} of the big data files read lazily)."""
    buffer = io.BytesIO()
    lazy: dict[str, bytes] = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in _package_files():
            blob = path.read_bytes()
            if read_lazily(name, len(blob)):
                lazy[name] = blob
                continue
            entry = zipfile.ZipInfo(name, _ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, blob)
    return buffer.getvalue(), lazy
