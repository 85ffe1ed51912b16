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


def test_a_batch_with_a_file_that_could_not_be_checked_at_all_still_exits_3(broken, tmp_path):
    other = tmp_path / "plain.jpg"
    other.write_bytes(damaged.jpeg_broken_before_anything_identifying())
    assert run("check", str(broken), str(other)).exit_code == 3


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


# ------------------------------------------- a JPEG cut short inside its picture --

def test_a_jpeg_cut_inside_its_picture_data_is_refused_as_incomplete():
    from geoscrub.errors import TruncatedFile

    with pytest.raises(TruncatedFile, match="incomplete"):
        geoscrub.clean_bytes(damaged.jpeg_cut_inside_picture())


def test_check_says_the_picture_of_a_cut_jpeg_is_incomplete_and_still_tells_its_gps(tmp_path):
    path = tmp_path / "IMG_0042.jpg"
    path.write_bytes(damaged.jpeg_cut_inside_picture())
    result = run("check", str(path))
    first = result.stdout.splitlines()[0]
    assert "cannot be cleaned" in first and "the picture itself is incomplete" in first
    assert "Shows where it was taken" in result.stdout
    assert result.exit_code == 1
    [obj] = json.loads(run("check", "--json", str(path)).stdout)
    assert obj["status"] == "identifying_unreadable" and "incomplete" in obj["error"]


def test_clean_refuses_a_cut_jpeg_with_the_rebuild_hint_and_writes_nothing(tmp_path):
    path = tmp_path / "IMG_0042.jpg"
    path.write_bytes(damaged.jpeg_cut_inside_picture())
    result = run("clean", str(path))
    assert result.exit_code == 3
    assert result.stdout.startswith("refused") and "incomplete" in result.stdout and "--rebuild" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["IMG_0042.jpg"]


def test_the_page_refuses_a_cut_jpeg_in_the_same_words_as_check(tmp_path):
    from geoscrub.web.engine import clean_for_page

    result = clean_for_page(damaged.jpeg_cut_inside_picture(), "IMG_0042.jpg")
    assert result["status"] == "refused" and result["cleaned"] is None
    assert "the picture itself is incomplete" in result["detail"]


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.999])
def test_a_jpeg_cut_anywhere_inside_its_picture_is_never_cleaned(keep):
    from geoscrub.errors import TruncatedFile

    with pytest.raises(TruncatedFile):
        geoscrub.clean_bytes(damaged.jpeg_cut_inside_picture(keep))


@pytest.mark.parametrize("ending", [b"\x00" * 300, b"junk after the end\r\n", b"\xff\xff\xff\xff"],
                         ids=["zero padding", "text", "fill bytes"])
def test_a_whole_jpeg_with_bytes_after_its_end_marker_still_cleans(ending):
    whole = core.jpeg([core.app1_exif(core.exif_tiff())])
    _, found, cleaned = geoscrub.clean_bytes(whole + ending)
    assert cleaned.endswith(b"\xff\xd9") and any(f.key == "GPSPosition" for f in found.findings)


def test_a_whole_jpeg_whose_end_marker_is_padded_with_fill_bytes_still_cleans():
    whole = core.jpeg([core.app1_exif(core.exif_tiff())])
    padded = whole[:-2] + b"\xff\xff\xff" + whole[-2:]  # T.81 B.1.1.2: any marker may be preceded by fill bytes
    _, _, cleaned = geoscrub.clean_bytes(padded)
    assert cleaned.endswith(b"\xff\xd9")
