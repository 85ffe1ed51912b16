"""What of Python the site ships: the page's modules, and the standard library less what it never uses.

The page's warm start is mostly Python compiling source (Pyodide ships the
standard library as ``.py``, and a browser keeps no ``__pycache__``), and the
site's weight is mostly the runtime.  So the build leaves out what the page
can never import, and ``precompile`` turns what it does import at start into
bytecode.  Both rewrite zips deterministically: the same input gives the same bytes.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

#: Top-level standard-library modules and packages the page never imports (and why), left out of
#: the runtime's python_stdlib.zip.  A module imported only inside a ``main()`` or a never-used
#: method (``ast.main`` imports argparse, ``Path.from_uri`` urllib.request) may be here too.
UNUSED_STDLIB = frozenset({
    # debugging, tests, profiling, the interactive prompt, the help system: nobody types at the page
    "_pyrepl", "pdb", "bdb", "doctest", "unittest", "pydoc", "pydoc_data", "trace", "cProfile", "profile",
    "pstats", "timeit", "tabnanny", "pyclbr", "modulefinder", "symtable", "compileall", "zipapp",
    "pickletools", "this", "antigravity", "__hello__", "__phello__", "idlelib", "turtledemo", "turtle",
    "tkinter", "ensurepip", "venv", "lib2to3", "_pyio",
    # servers, mail and remote calls: the page opens no connection (its CSP allows none)
    "http", "xmlrpc", "wsgiref", "socketserver", "imaplib", "smtplib", "poplib", "ftplib", "mailbox",
    "webbrowser",
    # a command line, processes, databases and time zones: none of them exist in the page
    "argparse", "optparse", "getopt", "multiprocessing", "sqlite3", "dbm", "shelve", "zoneinfo", "tomllib",
    "configparser",
    # reading packages' metadata (the page's packages are unpacked without any), mail, archives the page
    # never opens (it unpacks one zip), text diffs, statistics; the pure-Python datetime (the C one is there)
    "email", "tarfile", "difflib", "statistics", "_pydatetime",
    # XML: XMP is read with xml.etree only (defusedxml.ElementTree); no DOM, SAX or URL opening
    "xml/dom", "xml/sax", "urllib/request.py", "urllib/robotparser.py",
    # parts of kept packages for what is gone above: package metadata (needs email), logging to files,
    # servers or from config files, process pools, Windows and macOS only
    "importlib/metadata", "logging/config.py", "logging/handlers.py", "concurrent/futures/process.py",
    "asyncio/windows_events.py", "asyncio/windows_utils.py", "ctypes/macholib",
})

#: Parts of the packed packages the page never imports: geoscrub's command line, watch service and
#: site build, and defusedxml's modules for XML libraries the page does not have.
PAGE_NEVER_IMPORTS = (
    "geoscrub/__main__.py", "geoscrub/cli.py", "geoscrub/jobs.py", "geoscrub/console.py", "geoscrub/committer.py",
    "geoscrub/batch.py", "geoscrub/interrupt.py", "geoscrub/watch/",
    "geoscrub/web/commands.py", "geoscrub/web/icon.py", "geoscrub/web/packing.py", "geoscrub/web/precompile.py",
    "geoscrub/web/pyodide_dist.py", "geoscrub/web/npm_tarball.py", "geoscrub/web/server.py", "geoscrub/web/site.py", "geoscrub/web/node/",
    # the look finder's site build (the models run in the browser, not in Python)
    "geoscrub/web/look_dist.py", "geoscrub/web/onnx_proto.py",
    "geoscrub/web/static/",
    # defusedxml's wrappers of the XML modules left out of the standard library (XMP uses ElementTree)
    "defusedxml/cElementTree.py", "defusedxml/expatbuilder.py", "defusedxml/expatreader.py", "defusedxml/lxml.py",
    "defusedxml/minidom.py", "defusedxml/pulldom.py", "defusedxml/sax.py", "defusedxml/xmlrpc.py",
)
#: The same as module names, for tests that prove the engine runs without them.
PAGE_NEVER_MODULES = tuple(
    name.removesuffix(".py").removesuffix("/").replace("/", ".") for name in PAGE_NEVER_IMPORTS
    if name.endswith((".py", "/")) and not name.endswith(("node/", "static/"))
)


def page_imports(archive_name: str) -> bool:
    """Whether a file of the packed packages can be used by the page (else it stays out of the site)."""
    return not any(archive_name == never or (never.endswith("/") and archive_name.startswith(never))
                   for never in PAGE_NEVER_IMPORTS)


def top_level(name: str) -> str:
    """``email/mime/text.py`` -> ``email``; ``pdb.py`` -> ``pdb``."""
    first = name.split("/", 1)[0]
    return first.removesuffix(".py") if "/" not in name else first


def is_unused(name: str, unused: Iterable[str] = UNUSED_STDLIB) -> bool:
    """Whether a file of the standard-library zip belongs to a module in ``unused``.

    An entry is a top-level module or package (``email``), a package inside
    one (``xml/dom``) or one file (``urllib/request.py``).
    """
    for entry in unused:
        if "/" not in entry and top_level(name) == entry:
            return True
        if "/" in entry and (name == entry or name.startswith(entry.rstrip("/") + "/")):
            return True
    return False


def trim_stdlib(stdlib_zip: bytes, unused: Iterable[str] = UNUSED_STDLIB) -> bytes:
    """The runtime's standard-library zip without the modules in ``unused``."""
    drop = frozenset(unused)
    return rewrite_zip(stdlib_zip, keep=lambda name: not is_unused(name, drop))


def rewrite_zip(blob: bytes, *, keep=lambda name: True, replace: dict[str, tuple[str, bytes]] | None = None) -> bytes:  # type: ignore[no-untyped-def]
    """A copy of a zip: entries ``keep`` refuses are left out, ``replace`` maps a name to (new name, bytes).

    Entries keep their order, times and attributes, so the result depends only on the input.
    """
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if not keep(info.filename):
                continue
            name, data = replace.get(info.filename, (info.filename, None))
            entry = zipfile.ZipInfo(name, info.date_time)
            entry.external_attr = info.external_attr
            entry.compress_type = zipfile.ZIP_DEFLATED if not info.is_dir() else zipfile.ZIP_STORED
            target.writestr(entry, source.read(info) if data is None else data)
    return out.getvalue()
