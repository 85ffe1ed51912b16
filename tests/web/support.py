"""Helpers for the web page's tests: finding the tools, building the site once, picking photos.

Tests that need Node, Chromium or the Pyodide download skip with the reason
on a machine without them, and fail instead when GEOSCRUB_REQUIRE_TOOLS=1 (CI).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
#: The shared real-world photos: beside the repository (as in CI), or where GEOSCRUB_CORPUS says.
CORPUS = Path(os.environ.get("GEOSCRUB_CORPUS") or REPO.parent / "shared" / "corpus")
NODE_ENGINE = Path(__file__).with_name("node_engine.mjs")
CHROMIUM = os.environ.get("GEOSCRUB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("GEOSCRUB_CHROMEDRIVER", "/usr/bin/chromedriver")


def tools_required() -> bool:
    return os.environ.get("GEOSCRUB_REQUIRE_TOOLS") == "1"


def need(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) when a tool the test needs is missing."""
    if available:
        return
    if tools_required():
        pytest.fail(f"{reason} (GEOSCRUB_REQUIRE_TOOLS=1 makes this a failure)")
    pytest.skip(reason)


def node() -> str:
    path = shutil.which("node")
    need(path is not None, "Node.js is not installed: the Pyodide differential run needs `node`")
    return str(path)


def build_site(folder: Path) -> Path:
    """The built site in ``folder``; skips/fails when the pinned Pyodide cannot be had."""
    from geoscrub.web import pyodide_dist, site

    try:
        pyodide_dist.tarball()
    except pyodide_dist.RuntimeUnavailable as err:
        need(False, f"the Pyodide runtime cannot be had: {err}")
    site.build(folder)
    return folder


def sample_photos() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file())


def corpus_photos() -> list[Path]:
    """The shared real-world photos when present (never copied into the repository)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS and "video" not in p.parts)


def builder_photos(folder: Path) -> list[Path]:
    """Photos made in code: one per builder seed of every format, damaged ones, attack files."""
    from tests.builders import hostile

    blobs: list[bytes] = []
    for seeds in hostile.seed_files().values():
        blobs.extend(seeds[:3])
        blobs.extend(hostile.mutation(seed, i, 0) for i, seed in enumerate(seeds[:3]))
    blobs.append(hostile.exif_ifd_cycle())
    blobs.append(b"not a photo at all")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, blob in enumerate(blobs):
        path = folder / f"built-{index:03d}.bin"
        path.write_bytes(blob)
        paths.append(path)
    return paths
