"""Building and serving the web page's site (issue 15), with a stand-in for the Pyodide download.

The real runtime is used by tests/test_web_page.py; here the tarball is faked
so these run anywhere, offline, in a second.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
import urllib.error
import urllib.request
import zipfile
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

import geoscrub
from geoscrub.cli import main
from geoscrub.errors import GeoscrubError
from geoscrub.web import packing, precompile, pyodide_dist, server, site

STATIC = resources.files("geoscrub.web") / "static"
#: A standard library in miniature: modules the page uses, and ones it never does.
STDLIB_FILES = ("os.py", "json/__init__.py", "json/decoder.py", "xml/etree/ElementTree.py", "xml/dom/minidom.py",
                "xml/sax/__init__.py", "urllib/parse.py", "urllib/request.py", "pdb.py", "unittest/case.py",
                "email/message.py", "encodings/cp1252.py")
STDLIB_NEVER = {"xml/dom/minidom.py", "xml/sax/__init__.py", "urllib/request.py", "pdb.py", "unittest/case.py",
                "email/message.py"}


def zip_of(names: tuple[str, ...]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, f"# {name}\n")
    return buffer.getvalue()


def fake_tarball(files: dict[str, bytes] | None = None) -> bytes:
    files = files if files is not None else {
        name: f"runtime {name}".encode() for name in pyodide_dist.RUNTIME_FILES if name != "pyodide-lock.json"
    }
    if "python_stdlib.zip" in files:
        files["python_stdlib.zip"] = zip_of(STDLIB_FILES)
    files.setdefault("pyodide-lock.json", json.dumps({"info": {"python": "3.14"}, "packages": {"numpy": {}}}).encode())
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, blob in {**files, "README.md": b"not shipped"}.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buffer.getvalue()


@pytest.fixture
def fake_runtime(monkeypatch: pytest.MonkeyPatch) -> bytes:
    blob = fake_tarball()
    monkeypatch.setattr(pyodide_dist, "tarball", lambda download=True: blob)
    monkeypatch.setenv(precompile.NODE_ENV, "off")  # a stand-in runtime cannot run; the real one is tested in Node
    return blob


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No network and an empty cache."""
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(pyodide_dist.TARBALL_ENV, raising=False)
    return tmp_path / "cache"


# ---------------------------------------------------------------- the Pyodide download

def test_a_tarball_that_is_not_the_pinned_pyodide_is_refused(tmp_path, monkeypatch) -> None:
    wrong = tmp_path / "pyodide.tgz"
    wrong.write_bytes(fake_tarball())
    monkeypatch.setenv(pyodide_dist.TARBALL_ENV, str(wrong))
    with pytest.raises(pyodide_dist.RuntimeUnavailable, match="sha512"):
        pyodide_dist.tarball()


def test_no_network_and_no_cache_gives_a_clear_error(offline) -> None:
    with pytest.raises(pyodide_dist.RuntimeUnavailable) as raised:
        pyodide_dist.tarball()
    message = str(raised.value)
    assert "npm registry" in message and f"npm pack pyodide@{pyodide_dist.PYODIDE_VERSION}" in message
    assert isinstance(raised.value, GeoscrubError)


def test_a_damaged_cached_tarball_is_downloaded_again_and_checked(offline, monkeypatch) -> None:
    cached = offline / "geoscrub" / "pyodide" / f"pyodide-{pyodide_dist.PYODIDE_VERSION}.tgz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"damaged")
    with pytest.raises(pyodide_dist.RuntimeUnavailable, match="could not download"):
        pyodide_dist.tarball()
    published = fake_tarball()
    monkeypatch.setattr(pyodide_dist, "PYODIDE_INTEGRITY", pyodide_dist.integrity_of(published))

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Response(published))
    assert pyodide_dist.tarball() == published
    assert cached.read_bytes() == published  # kept for the next build, which needs no network
    monkeypatch.setattr(urllib.request, "urlopen", None)
    assert pyodide_dist.tarball() == published


def test_integrity_is_the_npm_registrys_sha512_form() -> None:
    assert pyodide_dist.integrity_of(b"abc") == "sha512-" + base64.b64encode(hashlib.sha512(b"abc").digest()).decode()
    assert pyodide_dist.PYODIDE_INTEGRITY.startswith("sha512-")


def test_only_the_runtime_files_the_page_loads_are_taken_from_the_package() -> None:
    files = pyodide_dist.runtime_files(fake_tarball())
    assert set(files) == set(pyodide_dist.RUNTIME_FILES)
    with pytest.raises(pyodide_dist.RuntimeUnavailable, match="lacks"):
        pyodide_dist.runtime_files(fake_tarball({"pyodide.mjs": b"x"}))


# ---------------------------------------------------------------- packing geoscrub

def installed_files(package: str) -> set[str]:
    import importlib

    root = Path(importlib.import_module(package).__file__).parent
    return {
        f"{package}/{p.relative_to(root).as_posix()}" for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".so", ".pyd")
    }


def test_every_module_and_data_file_the_page_can_use_is_packed() -> None:
    archive, lazy = site._pack_python()
    packed = set(zipfile.ZipFile(io.BytesIO(archive)).namelist()) | set(lazy)
    expected = {f for f in installed_files("geoscrub") | installed_files("defusedxml") if packing.page_imports(f)}
    assert packed == expected
    assert "geoscrub/web/engine.py" in packed and "defusedxml/ElementTree.py" in packed
    assert "geoscrub/data/places.bin" in packed and "geoscrub/formats/jpeg.py" in packed


def test_the_command_line_watch_service_and_site_build_stay_out_of_the_page() -> None:
    archive, lazy = site._pack_python()
    packed = set(zipfile.ZipFile(io.BytesIO(archive)).namelist()) | set(lazy)
    for never in ("geoscrub/cli.py", "geoscrub/watch/service.py", "geoscrub/web/site.py", "geoscrub/web/server.py",
                  "geoscrub/web/node/precompile.mjs", "geoscrub/__main__.py", "defusedxml/xmlrpc.py"):
        assert never not in packed
    assert "geoscrub.cli" in packing.PAGE_NEVER_MODULES and "geoscrub.watch" in packing.PAGE_NEVER_MODULES


def test_the_standard_library_ships_without_what_the_page_never_uses(tmp_path, fake_runtime) -> None:
    site.build(tmp_path / "site")
    with zipfile.ZipFile(tmp_path / "site" / "pyodide" / "python_stdlib.zip") as shipped:
        names = set(shipped.namelist())
        assert shipped.read("os.py") == b"# os.py\n"
    assert names == set(STDLIB_FILES) - STDLIB_NEVER
    assert packing.trim_stdlib(zip_of(STDLIB_FILES)) == packing.trim_stdlib(zip_of(STDLIB_FILES))


def test_a_build_without_node_ships_sources_and_says_so(tmp_path, fake_runtime) -> None:
    info = site.build(tmp_path / "site")
    assert info.not_precompiled and "Node.js" in info.not_precompiled
    assert json.loads((tmp_path / "site" / site.MARKER).read_text())["not_precompiled"] == info.not_precompiled
    result = CliRunner().invoke(main, ["web", "build", str(tmp_path / "again")])
    assert result.exit_code == 0 and "starts about a second slower" in result.output


def test_precompiled_bytecode_takes_the_place_of_each_source(tmp_path) -> None:
    compiled = io.BytesIO()
    with zipfile.ZipFile(compiled, "w") as bundle:
        bundle.writestr("stdlib/json/__init__.pyc", b"PYC json")
        bundle.writestr("package/geoscrub/api.pyc", b"PYC api")
        bundle.writestr("package/geoscrub/places.pyc", b"PYC read lazily, so not in the archive")
    stdlib = zip_of(("os.py", "json/__init__.py"))
    archive = zip_of(("geoscrub/__init__.py", "geoscrub/api.py"))
    result = precompile._apply(compiled.getvalue(), stdlib, archive)
    with zipfile.ZipFile(io.BytesIO(result.stdlib)) as shipped:
        assert shipped.namelist() == ["os.py", "json/__init__.pyc"] and shipped.read("json/__init__.pyc") == b"PYC json"
    with zipfile.ZipFile(io.BytesIO(result.archive)) as shipped:
        assert shipped.namelist() == ["geoscrub/__init__.py", "geoscrub/api.pyc"]
    assert result.modules == 2


def test_node_can_be_turned_off_or_named(monkeypatch) -> None:
    monkeypatch.setenv(precompile.NODE_ENV, "off")
    assert precompile.node() is None
    with pytest.raises(precompile.NotPrecompiled, match="Node.js was not found"):
        precompile.precompile({}, b"", b"", {})
    monkeypatch.setenv(precompile.NODE_ENV, "/opt/node/bin/node")
    assert precompile.node() == "/opt/node/bin/node"


def test_compiled_modules_and_caches_stay_out_and_big_data_is_read_lazily(tmp_path, monkeypatch) -> None:
    package = tmp_path / "fakepkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"compiled")
    (package / "_speedups.cpython-311-x86_64-linux-gnu.so").write_bytes(b"ELF")
    (package / "_speedups.pyd").write_bytes(b"MZ")
    (package / "data").mkdir()
    (package / "data" / "small.bin").write_bytes(b"s" * 100)
    (package / "data" / "index.bin").write_bytes(b"i" * site.LAZY_MIN_BYTES)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(site, "PACKAGES", ("fakepkg",))
    archive, lazy = site._pack_python()

    assert sorted(zipfile.ZipFile(io.BytesIO(archive)).namelist()) == ["fakepkg/__init__.py", "fakepkg/data/small.bin"]
    assert lazy == {"fakepkg/data/index.bin": b"i" * site.LAZY_MIN_BYTES}


def test_packing_twice_gives_the_same_archive() -> None:
    assert site._pack_python() == site._pack_python()


# ---------------------------------------------------------------- the built site

def test_build_writes_the_whole_site(tmp_path, fake_runtime) -> None:
    info = site.build(tmp_path / "site")
    root = tmp_path / "site"
    names = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    for name in site.STATIC_FILES + ("icon-192.png", "icon-512.png", site.MARKER, site.ARCHIVE):
        assert name in names
    assert {f"pyodide/{n}" for n in pyodide_dist.RUNTIME_FILES} <= names
    assert info.written and info.files == len(names) and info.size == sum((root / n).stat().st_size for n in names)
    assert 0 < info.gzip_size < info.size
    lock = json.loads((root / "pyodide/pyodide-lock.json").read_text())
    assert lock["packages"] == {}  # the page never fetches a package
    assert (root / "icon-192.png").read_bytes().startswith(b"\x89PNG")


def test_service_worker_precaches_every_file_of_this_version_but_the_look_finder(tmp_path, fake_runtime) -> None:
    info = site.build(tmp_path / "site")
    sw = (tmp_path / "site" / "sw.js").read_text()
    version = re.search(r'const VERSION = "([0-9a-f]+)";', sw).group(1)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", sw).group(1))
    files = {p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    look = {name for name in files if name.startswith("look/") and name != "look/look.json"}  # kept once used
    assert version == info.version
    assert set(precache) == (files - {"sw.js"} - look) | {"./"}
    assert info.look_size == sum((tmp_path / "site" / name).stat().st_size for name in look | {"look/look.json"})


def test_a_changed_engine_is_a_new_version(tmp_path, fake_runtime, monkeypatch) -> None:
    first = site.build(tmp_path / "site")
    again = site.build(tmp_path / "site")
    assert again.version == first.version and not again.written
    original = site._pack_python
    monkeypatch.setattr(site, "_pack_python", lambda: (original()[0] + b"changed", {}))
    changed = site.build(tmp_path / "site")
    assert changed.version != first.version and changed.written
    assert json.loads((tmp_path / "site" / site.MARKER).read_text())["version"] == changed.version


def test_build_never_touches_a_folder_holding_other_files(tmp_path, fake_runtime) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "essay.txt").write_text("my homework")
    with pytest.raises(GeoscrubError, match="already holds other files"):
        site.build(folder)
    assert [p.name for p in folder.iterdir()] == ["essay.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no staging folder left behind


def test_web_build_command_says_what_it_wrote(tmp_path, fake_runtime) -> None:
    result = CliRunner().invoke(main, ["web", "build", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "Built the page into" in result.output and "gzipped" in result.output and "https" in result.output
    refused = CliRunner().invoke(main, ["web", "build", str(Path(geoscrub.__file__).parent)])
    assert refused.exit_code == 1 and "already holds other files" in refused.output


def test_web_build_without_pyodide_fails_with_the_reason(tmp_path, offline) -> None:
    result = CliRunner().invoke(main, ["web", "build", str(tmp_path / "site")])
    assert result.exit_code == 1
    assert "Error: could not download" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "site").exists()


# ---------------------------------------------------------------- the page's promises

class Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.labels: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(dict(attrs))
        if tag == "label":
            self.labels.append(dict(attrs).get("for"))


def test_page_has_exactly_one_labelled_multiple_file_input() -> None:
    parser = Inputs()
    parser.feed((STATIC / "index.html").read_text())
    files = [i for i in parser.inputs if i.get("type") == "file"]
    assert len(files) == 1 and "multiple" in files[0]
    assert files[0]["id"] in parser.labels


@pytest.mark.parametrize("name", site.STATIC_FILES)
def test_page_files_name_no_other_origin(name: str) -> None:
    text = (STATIC / name).read_text().replace("http://www.w3.org/2000/svg", "")  # SVG's namespace: a name, never fetched
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), "a URL of another origin"


@pytest.mark.parametrize("name", ["app.js", "worker.js", "sw.js", "look.js", "look-boxes.js", "look-worker.js", "look-models.js"])
def test_page_never_stores_photos_or_counts_visitors(name: str) -> None:
    text = (STATIC / name).read_text()
    if name == "sw.js":
        # one exception: the look finder's files (this site's own look/ folder) are kept after first use,
        # and carried over to a new version when unchanged; nothing else is ever put into a cache
        for function in ("async function keepLook(", "async function keepUnchangedLook("):
            body = text[text.index(function):]
            body = body[:body.index("\n}\n")]
            assert ".put(" in body and "LOOK_PATH" in body + text[text.index("keepLook(request, event)") - 80:]
            text = text.replace(body, "")
        assert ".put(" not in text
        assert "pathname.startsWith(LOOK_PATH)) return keepLook" in text
    for forbidden in ("indexedDB", "localStorage", "sessionStorage", "cache.put", "document.cookie",
                      "sendBeacon", "analytics", "XMLHttpRequest", "WebSocket"):
        assert forbidden not in text
    if name == "sw.js":
        assert text.count("cache.addAll(") == 1 and "PRECACHE.map" in text  # only the site's own files


# ---------------------------------------------------------------- the server

@pytest.fixture
def served(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    (tmp_path / "pyodide").mkdir()
    for name in ("a.wasm", "b.mjs", "manifest.webmanifest"):
        (tmp_path / name).write_bytes(b"x")
    httpd, url = server.serve_in_background(tmp_path)
    yield url
    httpd.shutdown()
    httpd.server_close()


def fetch(url: str):  # -> (status, headers looked up case-insensitively)
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as err:
        return err.code, err.headers


def test_every_response_carries_the_content_security_policy(served) -> None:
    for path, status in (("", 200), ("index.html", 200), ("missing.js", 404), ("pyodide/", 404)):
        code, headers = fetch(served + path)
        assert code == status
        csp = headers["Content-Security-Policy"]
        assert csp.startswith("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
                              "connect-src 'self'; img-src 'self' blob: data:")
        assert headers["X-Content-Type-Options"] == "nosniff"


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_the_csp_lets_the_page_preview_clips_from_its_blob_urls(served) -> None:
    policy = directives(fetch(served)[1]["Content-Security-Policy"])
    assert "blob:" in policy["media-src"] and "'self'" in policy["media-src"]
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert "blob:" in policy["img-src"]


def test_the_built_page_carries_the_same_csp_for_web_spaces_that_send_none(tmp_path, fake_runtime) -> None:
    site.build(tmp_path / "site")
    page = (tmp_path / "site" / "index.html").read_text()
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert meta is not None and meta.start() < page.index("<script")
    header = directives(server.CONTENT_SECURITY_POLICY)
    del header["frame-ancestors"]  # a meta tag cannot say it (browsers warn and ignore it)
    assert directives(meta.group(1)) == header


@pytest.mark.parametrize("name, mime", [("a.wasm", "application/wasm"), ("b.mjs", "text/javascript"),
                                        ("manifest.webmanifest", "application/manifest+json")])
def test_server_gives_the_types_browsers_insist_on(served, name: str, mime: str) -> None:
    assert fetch(served + name)[1]["Content-Type"] == mime


def test_server_listens_only_on_this_computer_by_default(tmp_path) -> None:
    httpd = server.make_server(tmp_path, port=0)
    try:
        assert httpd.server_address[0] == "127.0.0.1"
    finally:
        httpd.server_close()
    assert server.is_loopback("127.0.0.1") and server.is_loopback("localhost") and not server.is_loopback("0.0.0.0")
