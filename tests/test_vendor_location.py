"""Where the photo was taken, inside camera makers' own blocks, is reported as a place (and removed)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from geoscrub import clean_bytes, scan_bytes
from tests.builders import core
from tests.builders import vendor as vb


def places(data: bytes) -> list[str]:
    return [f"{f.source}: {f.key}" for f in scan_bytes(data)[1].findings if f.category.value == "place"]


@pytest.mark.parametrize("order", [">", "<"])
def test_flir_gps_is_a_place_with_its_position_and_is_removed(order):
    dirty = core.jpeg(vb.flir_app1_segments(vb.flir_fff(order=order)))
    found = scan_bytes(dirty)[1]
    assert "APP1 FLIR: GPSPosition" in places(dirty)
    assert found.location is not None
    assert (found.location.latitude, found.location.longitude) == pytest.approx((vb.LAT, vb.LON), abs=1e-6)
    assert "FLIR" in {f.value for f in found.findings if f.category.value == "device"}  # still named as FLIR data
    cleaned = clean_bytes(dirty)[2]
    assert b"FFF\x00" not in cleaned and b"FLIR" not in cleaned


def test_a_flir_fix_marked_invalid_is_not_a_position():
    dirty = core.jpeg(vb.flir_app1_segments(vb.flir_fff(valid=0)))
    assert places(dirty) == [] and scan_bytes(dirty)[1].location is None


def test_a_cut_flir_block_gives_no_position_and_no_error():
    dirty = core.jpeg(vb.flir_app1_segments(vb.flir_fff()[:0x70]))
    assert places(dirty) == []
    clean_bytes(dirty)


def test_gopro_gpmf_gps_is_a_place_with_its_position():
    found = scan_bytes(vb.gopro_jpeg())[1]
    assert "APP6 GoPro: GPSPosition" in places(vb.gopro_jpeg())
    assert (found.location.latitude, found.location.longitude) == pytest.approx((vb.LAT, vb.LON), abs=1e-6)
    assert b"GPS5" not in clean_bytes(vb.gopro_jpeg())[2]


def test_dji_position_with_its_misspelt_longitude_is_a_location():
    found = scan_bytes(vb.dji_xmp_jpeg())[1]
    assert found.location is not None
    assert (found.location.latitude, found.location.longitude) == pytest.approx((vb.LAT, vb.LON), abs=1e-6)


def test_samsung_trailer_country_code_is_a_place():
    found = scan_bytes(vb.samsung_jpeg())[1]
    mcc = [f for f in found.findings if f.key == "MCCData"]
    assert mcc and mcc[0].category.value == "place" and mcc[0].value == "234"
    assert b"MCC_Data" not in clean_bytes(vb.samsung_jpeg())[2]


def test_exiftool_reads_the_same_flir_position_from_the_builder(tmp_path):
    if shutil.which("exiftool") is None:
        if os.environ.get("GEOSCRUB_REQUIRE_TOOLS") == "1":
            pytest.fail("ExifTool is required (GEOSCRUB_REQUIRE_TOOLS=1) but not installed")
        pytest.skip("ExifTool not installed")
    path = tmp_path / "flir.jpg"
    path.write_bytes(vb.flir_jpeg())
    out = subprocess.run(["exiftool", "-n", "-s3", "-FLIR:GPSLatitude", "-FLIR:GPSLongitude", str(path)],
                         capture_output=True, text=True, check=True).stdout.split()
    assert [float(v) for v in out] == pytest.approx([vb.LAT, vb.LON], abs=1e-6)
