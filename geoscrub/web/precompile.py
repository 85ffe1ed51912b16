"""Bytecode for the page, made by the pinned Pyodide run in Node.js when the build machine has Node.

Python's bytecode belongs to one Python version (the page runs Pyodide's
CPython 3.14, whatever Python builds the site), and the only copy of that
interpreter on a build machine is the pinned Pyodide, which needs a
JavaScript engine.  So with ``node`` on the PATH (or named by
``GEOSCRUB_NODE``) the build starts the engine in Pyodide as the page's worker
does and compiles every module it imported: the page then starts without
compiling them (about a second sooner on a phone).  Without Node the site ships
the sources and works the same, only slower to start.  ``GEOSCRUB_NODE=off``
turns this off.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import GeoscrubError
from .packing import rewrite_zip

NODE_ENV = "GEOSCRUB_NODE"
#: Starting Pyodide and compiling takes seconds; a hung Node must not hang the build.
_TIMEOUT_S = 300


class NotPrecompiled(GeoscrubError):
    """The page's Python could not be compiled ahead (no Node.js, or it failed): the sources are shipped."""

    reason = "the page's Python was not compiled ahead"


@dataclass(frozen=True)
class Compiled:
    """The two zips with ``.pyc`` files in place of the sources of the modules the page imports at start."""

    stdlib: bytes
    archive: bytes
    modules: int


def node() -> str | None:
    """The Node.js to run Pyodide with, or None (not installed, or turned off)."""
    named = os.environ.get(NODE_ENV)
    if named is not None:
        return None if named.strip().lower() in ("", "0", "off", "no") else named
    return shutil.which("node")


def precompile(runtime: dict[str, bytes], stdlib: bytes, archive: bytes, lazy: dict[str, bytes]) -> Compiled:
    """Compile with the runtime itself (``lazy``: the data files beside the archive).  Raises NotPrecompiled."""
    program = node()
    if program is None:
        raise NotPrecompiled("Node.js was not found (install it to make the page start faster)")
    with tempfile.TemporaryDirectory(prefix="geoscrub-precompile-") as folder:
        work = Path(folder)
        (work / "pyodide").mkdir()
        for name, blob in {**runtime, "python_stdlib.zip": stdlib}.items():
            (work / "pyodide" / name).write_bytes(blob)
        (work / "geoscrub.zip").write_bytes(archive)
        for name, blob in lazy.items():
            (work / "lazy" / name).parent.mkdir(parents=True, exist_ok=True)
            (work / "lazy" / name).write_bytes(blob)
        script = resources.files("geoscrub.web") / "node" / "precompile.mjs"
        (work / "precompile.mjs").write_bytes(script.read_bytes())
        try:
            done = subprocess.run([program, str(work / "precompile.mjs"), str(work)], capture_output=True,
                                  text=True, timeout=_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise NotPrecompiled(f"Node.js could not run Pyodide: {err}") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise NotPrecompiled(f"Node.js could not run Pyodide ({last})")
        compiled = (work / "compiled.zip").read_bytes()
    return _apply(compiled, stdlib, archive)


def _apply(compiled: bytes, stdlib: bytes, archive: bytes) -> Compiled:
    """Put each ``.pyc`` where its source was (zipimport and the folder importer both find it there)."""
    replace: dict[str, dict[str, tuple[str, bytes]]] = {"stdlib": {}, "package": {}}
    with zipfile.ZipFile(io.BytesIO(compiled)) as bundle:
        for entry in bundle.infolist():
            kind, _, name = entry.filename.partition("/")
            replace[kind][name.removesuffix("c")] = (name, bundle.read(entry))
    present = [_names(stdlib), _names(archive)]
    modules = sum(1 for names, kind in zip(present, ("stdlib", "package"), strict=True)
                  for name in replace[kind] if name in names)
    return Compiled(rewrite_zip(stdlib, replace=replace["stdlib"]), rewrite_zip(archive, replace=replace["package"]),
                    modules)


def _names(blob: bytes) -> set[str]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return set(archive.namelist())
