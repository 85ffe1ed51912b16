"""clean --rebuild: a damaged photo becomes a fresh, re-scanned, clearly labelled copy, and only when asked."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from geoscrub import api, rebuild
from geoscrub import report as render
from geoscrub.cli import main
from geoscrub.errors import CannotRebuild, LimitExceeded
from geoscrub.model import Policy
from tests.builders import core, damaged, hostile

DAMAGED = {
    "pixels_damaged_after_exif.jpg": damaged.jpeg_pixels_damaged_after_exif,
    "progressive_cut_short.jpg": damaged.progressive_jpeg_cut_short,
    "cut_inside_picture.jpg": damaged.jpeg_cut_inside_picture,
    "bad_crc.png": damaged.png_with_bad_crc,
    "bad_text_crc.png": damaged.png_with_bad_text_crc,
}


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def decoded(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    return image


@pytest.mark.parametrize("name", DAMAGED)
def test_the_damaged_builders_are_refused_by_the_lossless_path(tmp_path, name):
    report = api.scan(write(tmp_path / name, DAMAGED[name]()))
    assert report.error is not None and rebuild.may_rescue(report.error)


@pytest.mark.parametrize("name", DAMAGED)
def test_rebuild_is_never_used_without_being_asked_and_the_refusal_mentions_it(tmp_path, name):
    photo = write(tmp_path / name, DAMAGED[name]())
    before = photo.read_bytes()
    result = run("clean", str(photo))
    assert result.exit_code == 3
    assert result.output.startswith("refused") and "--rebuild" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [name] and photo.read_bytes() == before
    (obj,) = json.loads(run("clean", "--json", str(photo)).output)
    assert obj["action"] == "refused" and "--rebuild" in obj["hint"]


@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_photo_is_rebuilt_into_a_clean_labelled_copy(tmp_path, name):
    photo = write(tmp_path / name, DAMAGED[name]())
    before = photo.read_bytes()
    result = run("clean", "--rebuild", str(photo))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("rebuilt") and "re-encoded" in result.output
    copy = photo.with_name(photo.stem + ".clean" + photo.suffix)
    assert api.scan(copy).status == "clean"  # geoscrub's own re-scan finds nothing
    assert decoded(copy).size == damaged.SIZE if name.endswith(".jpg") else decoded(copy).size == (64, 48)
    assert photo.read_bytes() == before
    copy.unlink()
    (obj,) = json.loads(run("clean", "--rebuild", "--json", str(photo)).output)
    assert obj["action"] == "rebuilt" and "re-encoded" in obj["warning"] and obj["output"] == str(copy)


def test_nothing_of_the_file_survives_but_the_picture(tmp_path):
    photo = write(tmp_path / "a.jpg", damaged.jpeg_pixels_damaged_after_exif())
    run("clean", "--rebuild", str(photo))
    data = (tmp_path / "a.clean.jpg").read_bytes()
    for secret in (core.OWNER, core.SERIAL, "Exif", "2025:06:14"):
        assert secret.encode() not in data


def test_jpeg_like_photos_are_rebuilt_as_high_quality_jpeg_and_others_as_png():
    jpeg = rebuild.rebuild_photo(damaged.jpeg_pixels_damaged_after_exif())
    assert jpeg.format == "JPEG" and jpeg.damaged
    assert Image.open(io.BytesIO(jpeg.data)).quantization[0][0] <= 3  # quality 95 tables
    assert rebuild.rebuild_photo(damaged.png_with_bad_crc()).format == "PNG"
    assert rebuild.rebuild_photo(core.encode(core.picture(), "BMP")).format == "PNG"
    assert rebuild.rebuild_photo(core.encode(core.picture(mode="RGBA"), "WEBP", quality=80)).format == "PNG"


def test_an_unsupported_format_gets_the_right_extension(tmp_path):
    photo = write(tmp_path / "scan.bmp", core.encode(core.picture(), "BMP"))
    result = run("clean", "--rebuild", "--output", str(tmp_path / "out"), str(photo))
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["scan.png"]
    assert decoded(tmp_path / "out" / "scan.png").format == "PNG"


def test_the_orientation_is_applied_to_the_pixels():
    rebuilt = rebuild.rebuild_photo(damaged.jpeg_pixels_damaged_after_exif(orientation=6))
    width, height = damaged.SIZE
    assert Image.open(io.BytesIO(rebuilt.data)).size == (height, width)
    kept_as_stored = rebuild.rebuild_photo(damaged.jpeg_pixels_damaged_after_exif(orientation=6),
                                           Policy(keep_orientation=False))
    assert Image.open(io.BytesIO(kept_as_stored.data)).size == damaged.SIZE


def test_a_sound_colour_profile_is_kept_and_an_unsound_one_dropped():
    profile = core.icc_profile()
    kept = rebuild.rebuild_photo(damaged.jpeg_pixels_damaged_after_exif(icc=profile))
    assert kept.kept_profile and Image.open(io.BytesIO(kept.data)).info["icc_profile"] == profile
    dropped = rebuild.rebuild_photo(damaged.jpeg_pixels_damaged_after_exif(icc=profile),
                                    Policy(keep_color_profile=False))
    assert "icc_profile" not in Image.open(io.BytesIO(dropped.data)).info
    smuggling = profile + b"secret after the end"  # size field no longer matches
    unsound = rebuild.rebuild_photo(damaged.jpeg_pixels_damaged_after_exif(icc=smuggling))
    assert not unsound.kept_profile and b"secret" not in unsound.data


@pytest.mark.parametrize("bomb", [hostile.jpeg_huge_frame, hostile.png_huge_frame, hostile.webp_huge_frame])
def test_pillow_limits_give_a_typed_refusal(bomb):
    with pytest.raises(LimitExceeded, match="MAX_REBUILD_PIXELS"):
        rebuild.rebuild_photo(bomb())


def test_a_file_with_no_picture_in_it_is_refused_in_plain_words(tmp_path):
    with pytest.raises(CannotRebuild):
        rebuild.rebuild_photo(hostile.jpeg_truncated_exif())
    photo = write(tmp_path / "empty.jpg", hostile.jpeg_truncated_exif())
    result = run("clean", "--rebuild", str(photo))
    assert result.exit_code == 3 and result.output.startswith("refused")
    assert "could not be rebuilt" in result.output and "Traceback" not in result.output
    assert "--rebuild can" not in run("clean", str(photo)).output  # no hint for what cannot work


def test_an_animation_is_not_flattened_into_one_frame():
    frames = [core.picture(), core.picture().rotate(90)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(CannotRebuild, match="2 pictures"):
        rebuild.rebuild_photo(buf.getvalue())


def test_safety_limits_are_never_rebuilt_around(tmp_path):
    photo = write(tmp_path / "bomb.png", hostile.png_huge_frame())
    result = run("clean", "--rebuild", str(photo))
    assert result.exit_code == 3 and result.output.startswith("refused") and "exceeded" in result.output


def test_rebuild_never_replaces_the_original(tmp_path):
    photo = write(tmp_path / "a.jpg", damaged.jpeg_pixels_damaged_after_exif())
    result = CliRunner().invoke(main, ["clean", "--rebuild", "--in-place", str(photo)])
    assert result.exit_code == 2 and "--in-place" in result.output


def test_a_dry_run_says_it_would_rebuild_and_writes_nothing(tmp_path):
    photo = write(tmp_path / "a.png", damaged.png_with_bad_crc())
    result = run("clean", "--rebuild", "--dry-run", str(photo))
    assert result.exit_code == 0 and result.output.startswith("would rebuild") and "re-encoded" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


# -- the watch service's outbox ----------------------------------------------------
def _watch(tmp_path: Path, *, rebuild: bool, uploads: dict[str, bytes]) -> tuple[Path, Path, list[dict]]:
    """Run the service until the inbox is empty; (outbox, quarantine, JSON log records)."""
    import threading
    import time

    from geoscrub.watch import WatchConfig, WatchService
    from geoscrub.watch.log import EventLog

    inbox, outbox, quarantine = tmp_path / "inbox", tmp_path / "outbox", tmp_path / "quarantine"
    inbox.mkdir()
    stream = io.StringIO()
    config = WatchConfig(inbox=inbox, outbox=outbox, quarantine=quarantine, poll=True, settle=0.2,
                         json_log=True, rescan_every=0.5, status_every=60.0, poll_interval=0.1, patience=0.5,
                         rebuild=rebuild)
    service = WatchService(config, EventLog(json_lines=True, stream=stream, outbox=outbox, quarantine=quarantine))
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    assert service.started.wait(5)
    try:
        for name, data in uploads.items():
            (inbox / name).write_bytes(data)
        deadline = time.monotonic() + 20
        while any(inbox.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(inbox.iterdir()), "the inbox was not emptied"
    finally:
        service.request_stop()
        thread.join(5)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    return outbox, quarantine, [r for r in records if r["event"] == "file"]


def test_watch_rebuild_posts_a_labelled_copy_instead_of_quarantining(tmp_path):
    uploads = {name: build() for name, build in DAMAGED.items()} | {"scan.bmp": core.encode(core.picture(), "BMP")}
    outbox, quarantine, records = _watch(tmp_path, rebuild=True, uploads=uploads)
    expected = {*DAMAGED, "scan.png"}
    assert {p.name for p in outbox.iterdir()} == expected
    assert not quarantine.exists() or not any(quarantine.iterdir())
    for path in outbox.iterdir():
        assert api.scan(path).status == "clean"
        decoded(path)
    assert sorted(r["outcome"] for r in records) == ["rebuilt"] * len(expected)
    assert all("re-encoded" in r["warning"] for r in records)


def test_watch_without_rebuild_still_quarantines_damaged_photos(tmp_path):
    outbox, quarantine, records = _watch(tmp_path, rebuild=False, uploads={"a.png": damaged.png_with_bad_crc()})
    assert [r["outcome"] for r in records] == ["refused"]
    assert (quarantine / "a.png").read_bytes() == damaged.png_with_bad_crc()
    assert not outbox.exists() or not any(outbox.iterdir())
    reason = (quarantine / "a.png.reason.txt").read_text()
    assert "--rebuild" in reason and records[0]["detail"].endswith(render.REBUILD_HINT)


def test_a_failed_rebuild_still_says_why_the_file_was_refused(tmp_path):
    photo = write(tmp_path / "notes.jpg", b"just some text named like a photo\n" * 10)
    result = run("clean", "--rebuild", str(photo))
    assert result.exit_code == 3
    assert "could not be rebuilt" in result.output and "unsupported format" in result.output


def test_running_rebuild_again_finds_its_earlier_copy_and_writes_nothing(tmp_path):
    photo = write(tmp_path / "a.jpg", damaged.jpeg_pixels_damaged_after_exif())
    assert run("clean", "--rebuild", str(photo)).exit_code == 0
    copy = tmp_path / "a.clean.jpg"
    made = copy.stat().st_mtime_ns
    again = run("clean", "--rebuild", str(photo))
    assert again.exit_code == 0 and again.output.startswith("already cleaned") and "re-encoded" in again.output
    assert copy.stat().st_mtime_ns == made
    copy.write_bytes(b"someone else's file")
    assert run("clean", "--rebuild", str(photo)).exit_code == 3
    assert copy.read_bytes() == b"someone else's file"
