"""The release (issue 25): the sdist and wheel build on their own and install anywhere.

One module-scoped build does the work: a fresh venv with the pinned build
tools makes the sdist from the checkout, then the wheel from the sdist alone
(so the sdist is proved complete).  The wheel is installed into another fresh
venv far from the checkout and must clean ``samples/`` byte for byte as the
editable install does.  These need the package registry (build dependencies,
the wheel's own dependencies): they skip without it, and fail in CI.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import tomllib
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import geoscrub

from .web.support import need

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
BUILD_TOOLS = ["build==1.6.1", "twine==7.0.0", "setuptools>=77"]


@dataclass(frozen=True)
class Release:
    sdist: Path
    wheel: Path
    tools: Path  # bin folder of the venv holding build and twine
    installed: Path  # bin folder of the venv the wheel is installed in


def _bin(env_dir: Path) -> Path:
    return env_dir / ("Scripts" if os.name == "nt" else "bin")


def _fresh_venv(folder: Path, *packages: str) -> Path:
    venv.create(folder, with_pip=True, clear=True)
    bin_dir = _bin(folder)
    if packages:
        proc = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", *packages],
                              capture_output=True, text=True)
        need(proc.returncode == 0, f"cannot install {' '.join(packages)} from the package registry: "
                                   f"{proc.stderr.strip()[-400:]}")
    return bin_dir


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    work = tmp_path_factory.mktemp("release")
    tools = _fresh_venv(work / "tools", *BUILD_TOOLS)
    dist = work / "dist"
    # the sdist from the checkout, then the wheel from the sdist alone, in an isolated build
    _run([str(tools / "python"), "-m", "build", "--sdist", "--outdir", str(dist), str(ROOT)])
    (sdist,) = dist.glob("geoscrub-*.tar.gz")
    _run([str(tools / "python"), "-m", "build", "--wheel", "--outdir", str(dist), str(sdist)])
    (wheel,) = dist.glob("geoscrub-*.whl")
    installed = _fresh_venv(work / "elsewhere" / "venv", str(wheel))
    return Release(sdist=sdist, wheel=wheel, tools=tools, installed=installed)


def test_sdist_and_wheel_pass_twine_check_strict(release: Release) -> None:
    proc = _run([str(release.tools / "python"), "-m", "twine", "check", "--strict",
                 str(release.sdist), str(release.wheel)])
    assert proc.stdout.count("PASSED") == 2


def test_the_version_comes_from_one_place(release: Release) -> None:
    version = geoscrub.__version__
    assert release.wheel.name.startswith(f"geoscrub-{version}-")
    assert release.sdist.name == f"geoscrub-{version}.tar.gz"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "geoscrub._version.__version__"}
    proc = _run([str(release.installed / "geoscrub"), "--version"])
    assert proc.stdout.strip() == f"geoscrub, version {version}"


def test_metadata_is_complete(release: Release) -> None:
    with zipfile.ZipFile(release.wheel) as whl:
        (name,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = whl.read(name).decode()
    assert "License-Expression: MIT AND CC-BY-4.0" in metadata
    assert "Requires-Python: >=3.11" in metadata
    for classifier in ("Programming Language :: Python :: 3.11", "Programming Language :: Python :: 3.13",
                       "Operating System :: Microsoft :: Windows", "Operating System :: MacOS",
                       "Operating System :: POSIX :: Linux"):
        assert f"Classifier: {classifier}" in metadata
    assert "Project-URL: Changelog," in metadata and "Project-URL: Source," in metadata
    assert "License-File: LICENSE" in metadata


def test_wheel_holds_what_runs_and_nothing_else(release: Release) -> None:
    with zipfile.ZipFile(release.wheel) as whl:
        names = whl.namelist()
    assert "geoscrub/data/places.bin" in names
    for static in ("index.html", "app.js", "worker.js", "sw.js", "style.css", "manifest.webmanifest"):
        assert f"geoscrub/web/static/{static}" in names
    assert "geoscrub/web/node/precompile.mjs" in names  # the build compiles the page's Python with it
    compiled = [n for n in names if n.startswith("geoscrub/_markerscan") and n.endswith((".so", ".pyd"))]
    if shutil.which("cc") or shutil.which("gcc") or os.environ.get("GEOSCRUB_REQUIRE_TOOLS") == "1":
        assert compiled, "a C compiler is here, so the wheel must carry the compiled marker search"
        assert "-none-any" not in release.wheel.name
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo", ".c"))]


def test_sdist_holds_licence_readme_changelog_tests_and_sources(release: Release) -> None:
    with tarfile.open(release.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "setup.py",
                   "geoscrub/_markerscan.c", "geoscrub/data/places.bin", "tests/test_release.py",
                   "tests/builders/core.py", "samples"):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".so"))]


def test_the_installed_wheel_has_no_path_back_to_the_checkout(release: Release, tmp_path: Path) -> None:
    proc = _run([str(release.installed / "python"), "-c", "import geoscrub, sys; print(geoscrub.__file__)"],
                cwd=tmp_path)
    location = Path(proc.stdout.strip()).resolve()
    assert ROOT not in location.parents
    assert release.installed.parent in location.parents


def test_the_installed_wheel_cleans_samples_byte_identically(release: Release, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    shutil.copytree(SAMPLES, photos)
    by_wheel, by_checkout = tmp_path / "by-wheel", tmp_path / "by-checkout"
    _run([str(release.installed / "geoscrub"), "clean", "--output", str(by_wheel), str(photos)], cwd=tmp_path)
    _run([sys.executable, "-m", "geoscrub", "clean", "--output", str(by_checkout), str(photos)], cwd=tmp_path)
    wheel_files = {p.relative_to(by_wheel): p.read_bytes() for p in by_wheel.rglob("*") if p.is_file()}
    checkout_files = {p.relative_to(by_checkout): p.read_bytes() for p in by_checkout.rglob("*") if p.is_file()}
    assert len(wheel_files) >= 10
    assert wheel_files == checkout_files


def test_the_installed_wheel_checks_and_watches(release: Release, tmp_path: Path) -> None:
    photo = next(p for p in sorted(SAMPLES.rglob("*.jpg")))
    proc = subprocess.run([str(release.installed / "geoscrub"), "check", "--json", str(photo)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # the sample gives something away
    assert f'"geoscrub_version": "{geoscrub.__version__}"' in proc.stdout

    inbox, outbox, quarantine = tmp_path / "inbox", tmp_path / "outbox", tmp_path / "quarantine"
    for folder in (inbox, outbox, quarantine):
        folder.mkdir()
    service = subprocess.Popen(
        [str(release.installed / "geoscrub"), "watch", str(inbox), "--output", str(outbox),
         "--quarantine", str(quarantine), "--settle", "0.2", "--rescan-every", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        shutil.copy(photo, inbox / photo.name)
        deadline = time.monotonic() + 60
        while not list(outbox.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        service.send_signal(signal.SIGINT if os.name != "nt" else signal.CTRL_C_EVENT)
        log, _ = service.communicate(timeout=30)
    assert [p.name for p in outbox.iterdir()] == [photo.name], log
    assert f"geoscrub {geoscrub.__version__} watching" in log


def test_the_installed_wheel_builds_the_page_with_its_version(release: Release, tmp_path: Path) -> None:
    from geoscrub.web import pyodide_dist

    try:
        pyodide_dist.tarball()  # the same user cache the installed copy reads
    except pyodide_dist.RuntimeUnavailable as err:
        need(False, f"the Pyodide runtime cannot be had: {err}")
    _run([str(release.installed / "geoscrub"), "web", "build", str(tmp_path / "site")], cwd=tmp_path)
    index = (tmp_path / "site" / "index.html").read_text()
    assert f"geoscrub {geoscrub.__version__}</p>" in index
    assert (tmp_path / "site" / "py").is_dir()
