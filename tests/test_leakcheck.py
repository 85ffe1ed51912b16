"""scripts/leakcheck.py, the leak check the Windows and macOS workflow runs, tells a leak from a clean copy."""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from geoscrub import api
from tests.builders import cli as build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def leakcheck():
    if shutil.which("exiftool") is None:
        if os.environ.get("GEOSCRUB_REQUIRE_TOOLS") == "1":
            pytest.fail("ExifTool is required (GEOSCRUB_REQUIRE_TOOLS=1) but not installed")
        pytest.skip("ExifTool is not installed")
    spec = importlib.util.spec_from_file_location("leakcheck", ROOT / "scripts" / "leakcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_judge_sees_the_place_the_person_and_the_camera_in_a_dirty_photo(leakcheck, tmp_path):
    dirty = tmp_path / "dirty.jpg"
    dirty.write_bytes(build.identifying_jpeg())
    found = " ".join(leakcheck.leaks(dirty))
    assert "GPSLatitude" in found and "Artist" in found and "SerialNumber" in found


def test_a_clean_copy_is_judged_clean_with_the_same_pixels(leakcheck, tmp_path):
    dirty, copy = tmp_path / "dirty.jpg", tmp_path / "copy.jpg"
    dirty.write_bytes(build.identifying_jpeg())
    assert api.clean(dirty, copy).error is None
    assert leakcheck.judge(dirty, copy) == "CLEAN"
    assert leakcheck.judge(dirty, dirty).startswith("LEAK")
