"""A full disk stops `clean` like Ctrl+C does (issue 23, item 5): one line, not one refusal per photo.

The disk is imitated (``systems.disk_with_room``, ``systems.syncfs_fails``):
writes into the output folder fail with ENOSPC (or EDQUOT) once the room is
used up, as on a real disk, so nothing here fills a real one.
"""
from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import geoscrub
from geoscrub import batch, cli, fsio
from geoscrub.cli import main
from tests.builders import cli as build
from tests.builders import systems
from tests.builders.cli import listing, write

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="the imitated disk needs /proc/self/fd")

PHOTOS = 120
ROOM_FOR = 7  # copies that fit before the disk is full


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    for i in range(PHOTOS):
        write(folder / f"IMG_{i:04d}.jpg", build.identifying_jpeg(serial=f"SN{i:06d}"))
    return folder


def copy_size(photos: Path) -> int:
    return len(geoscrub.clean_bytes((photos / "IMG_0000.jpg").read_bytes())[2])


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if fsio.is_temp_name(p.name)]


def one_process(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    if workers == 1:
        monkeypatch.setattr(batch, "MIN_FILES_FOR_WORKERS", 10_000)
    else:
        monkeypatch.setenv(batch.WORKERS_ENV, str(workers))


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "two-workers"])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT], ids=["ENOSPC", "EDQUOT"])
def test_a_full_disk_stops_the_batch_with_one_refusal_and_one_line(photos, tmp_path, monkeypatch, workers, code):
    out = tmp_path / "out"
    out.mkdir()
    before = listing(photos)
    systems.disk_with_room(monkeypatch, out, int(copy_size(photos) * (ROOM_FOR + 0.5)), code)
    one_process(monkeypatch, workers)
    result = run("clean", "--output", str(out), str(photos))
    assert result.exit_code == cli.ExitCode.DISK_FULL == 4, result.stdout
    lines = result.stdout.splitlines()
    refused = [line for line in lines if line.startswith("refused")]
    assert len(refused) == 1, refused  # not one refusal per photo left
    assert "the disk is full: " in refused[0] and "no room left for IMG_" in refused[0]
    assert "Traceback" not in result.output and "Errno" not in result.stdout
    cleaned = [line for line in lines if line.startswith("cleaned")]
    assert 1 <= len(cleaned) <= ROOM_FOR + workers - 1  # two workers may both see the last room free
    assert len(listing(out)) == len(cleaned)  # every copy listed is there, and nothing else
    left = PHOTOS - len(cleaned) - 1
    assert left > 90
    assert f"The disk is full: {left} photos not started" in result.stdout
    assert result.stdout.count("the disk is full") == 1  # the photo is named once, not again in the summary
    assert temp_files(tmp_path) == []
    assert listing(photos) == before


def test_in_place_on_a_full_disk_leaves_every_photo_not_done_exactly_as_it_was(photos, monkeypatch):
    before = listing(photos)
    systems.disk_with_room(monkeypatch, photos, int(copy_size(photos) * 3.5))
    one_process(monkeypatch, 1)
    result = run("clean", "--in-place", str(photos))
    assert result.exit_code == 4
    done = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("cleaned")}
    assert 1 <= len(done) <= 3
    assert f"The disk is full: {PHOTOS - len(done) - 1} photos not started" in result.stdout
    for name, data in listing(photos).items():
        assert (data != before[name]) == (str(photos / name) in done), name
    assert temp_files(photos) == []


def test_a_flush_that_finds_the_disk_full_stops_the_batch_and_rolls_back_the_photos_in_hand(photos, monkeypatch):
    before = listing(photos)
    systems.syncfs_fails(monkeypatch)
    one_process(monkeypatch, 1)
    result = run("clean", str(photos))
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith(("refused", "cleaned"))] == [
        f"refused          {photos / 'IMG_0000.jpg'}: the disk is full: no room left for IMG_0000.clean.jpg"]
    assert f"The disk is full: {PHOTOS - 1} photos not started" in result.stdout
    assert listing(photos) == before  # no copy, no temp file
    assert temp_files(photos) == []


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "two-workers"])
def test_json_on_a_full_disk_is_one_whole_array_that_counts_the_photos_not_started(photos, tmp_path, monkeypatch,
                                                                                   workers):
    out = tmp_path / "out"
    out.mkdir()
    systems.disk_with_room(monkeypatch, out, int(copy_size(photos) * (ROOM_FOR + 0.5)))
    one_process(monkeypatch, workers)
    result = CliRunner().invoke(main, ["clean", "--json", "--output", str(out), str(photos)])
    assert result.exit_code == 4
    objects = json.loads(result.stdout)
    assert len(objects) == PHOTOS  # one object per file, in order
    assert [o["path"] for o in objects] == [str(photos / f"IMG_{i:04d}.jpg") for i in range(PHOTOS)]
    actions = [o["action"] for o in objects]
    [full] = [o for o in objects if o["action"] == "refused"]
    assert full["error"].startswith("the disk is full: no room left for ")
    waiting = [o for o in objects if o["action"] == "not_started"]
    assert len(waiting) == PHOTOS - actions.count("cleaned") - 1
    assert all(o["status"] == "not_started" and o["output"] is None and o["findings"] == [] for o in waiting)
    assert f"The disk is full: {len(waiting)} photos not started" in result.stderr


def test_clean_help_and_readme_give_the_full_disk_exit_code():
    help_text = " ".join(run("clean", "--help").stdout.split())
    assert "4: stopped because the disk is full" in help_text
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = " ".join(readme[readme.index("<!-- cli:start -->"):readme.index("<!-- cli:end -->")].split())
    assert "4 when it stopped because the disk is full" in section
    assert "the disk is full: n photos not started" in section.lower()
