"""A photo that cannot be read whole still says what it gives away; it is still never cleaned."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import geoscrub
from geoscrub.cli import main
from geoscrub.errors import GeoscrubError
from tests.builders import core, damaged


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "IMG_0042.jpg"
    path.write_bytes(damaged.jpeg_gps_then_broken_scan())
    return path


def test_the_damage_is_real_and_cleaning_refuses_the_photo(broken, tmp_path):
    with pytest.raises(GeoscrubError):
        geoscrub.clean_bytes(broken.read_bytes())
    report = geoscrub.clean(broken, tmp_path / "out.jpg")
    assert report.error is not None and not (tmp_path / "out.jpg").exists()
    result = run("clean", "--output", str(tmp_path / "out"), str(broken))
    assert result.exit_code == 3
    assert not list((tmp_path / "out").rglob("*.jpg")) if (tmp_path / "out").exists() else True


def test_scan_reports_the_gps_read_before_the_damage_with_the_error(broken):
    report = geoscrub.scan(broken)
    assert report.error is not None
    assert "GPSPosition" in {f.key for f in report.findings}
    assert report.location is not None and report.location.latitude == pytest.approx(core.LAT, abs=1e-4)
    assert report.format == "JPEG" and report.status == "identifying_unreadable"


def test_check_json_has_findings_error_and_a_status_telling_them_apart(broken):
    result = run("check", "--json", str(broken))
    [obj] = json.loads(result.stdout)
    assert obj["status"] == "identifying_unreadable"
    assert obj["error"] and "GPSPosition" in {f["key"] for f in obj["findings"]}
    assert obj["location"]["latitude"] == pytest.approx(core.LAT, abs=1e-4)
    assert result.exit_code == 1  # identifying wins over unreadable when both hold


def test_check_tells_a_parent_where_it_was_taken_and_that_it_cannot_be_cleaned(broken):
    out = run("check", str(broken)).stdout
    first = out.splitlines()[0]
    assert "gives away where it was taken" in first and "cannot be cleaned" in first
    assert "Shows where it was taken" in out
    assert "1 shows where it was taken" in out and "1 cannot be cleaned" in out


def test_damage_with_nothing_readable_before_it_is_still_just_an_error(tmp_path):
    path = tmp_path / "plain.jpg"
    path.write_bytes(damaged.jpeg_broken_before_anything_identifying())
    result = run("check", "--json", str(path))
    [obj] = json.loads(result.stdout)
    assert obj["status"] == "error" and obj["findings"] == []
    assert result.exit_code == 3


def test_a_batch_with_a_leak_and_a_file_that_could_not_be_checked_at_all_exits_1(broken, tmp_path):
    """Identifying wins over unreadable across a batch too (issue 23): a leak is never hidden behind 3."""
    other = tmp_path / "plain.jpg"
    other.write_bytes(damaged.jpeg_broken_before_anything_identifying())
    result = run("check", str(broken), str(other))
    assert result.exit_code == 1
    assert "plain.jpg" in result.stdout and "could not be checked" in result.stdout


def test_a_tiff_whose_picture_runs_past_the_end_still_reports_its_tags(tmp_path):
    from tests.builders import tiff as tb

    page = tb.rgb_page(16, 8, rows_per_strip=8)
    page.tags += tb.owner_tags()
    page.gps = tb.gps_ifd()
    page.refs = [(8, 1 << 24)]  # the strip runs 16 MB past the end, as in a cut-short download
    cut = tb.tiff([page])
    path = tmp_path / "scan.tif"
    path.write_bytes(cut)
    with pytest.raises(GeoscrubError):
        geoscrub.clean_bytes(cut)
    report = geoscrub.scan(path)
    assert report.status == "identifying_unreadable", report.error
    assert {"Artist", "GPSPosition"} <= {f.key for f in report.findings}


def test_a_png_whose_picture_data_is_broken_still_reports_its_exif_and_text(tmp_path):
    data = damaged.png_gps_then_broken_picture()
    with pytest.raises(GeoscrubError):
        geoscrub.clean_bytes(data)
    path = tmp_path / "shot.png"
    path.write_bytes(data)
    report = geoscrub.scan(path)
    assert report.status == "identifying_unreadable", report.error
    assert {"GPSPosition", "Author"} <= {f.key for f in report.findings}
    assert report.location is not None


def test_a_webp_cut_short_in_its_xmp_still_reports_the_exif_before_it(tmp_path):
    whole = core.dirty_webp()
    cut = whole[: whole.find(b"XMP ") + 40]
    with pytest.raises(GeoscrubError):
        geoscrub.clean_bytes(cut)
    path = tmp_path / "shot.webp"
    path.write_bytes(cut)
    report = geoscrub.scan(path)
    assert report.status == "identifying_unreadable", report.error
    assert "GPSPosition" in {f.key for f in report.findings}


def test_a_heic_cut_short_in_its_picture_data_still_reports_its_exif(tmp_path):
    cut = damaged.heic_exif_then_cut_picture()
    with pytest.raises(GeoscrubError):
        geoscrub.clean_bytes(cut)
    path = tmp_path / "IMG_0042.heic"
    path.write_bytes(cut)
    report = geoscrub.scan(path)
    assert report.status == "identifying_unreadable", report.error
    assert "GPSPosition" in {f.key for f in report.findings}
    assert report.location is not None
