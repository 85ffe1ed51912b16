"""Trustworthy on first use: nothing replaced, reruns are no-ops, plain hints (issue 13)."""
from __future__ import annotations

import io
import json
import os
import re
import stat
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoscrub import cli, fsio, jobs
from geoscrub.cli import main
from tests.builders import cli as build
from tests.builders.cli import listing, write


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if fsio.is_temp_name(p.name)]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    write(folder / "IMG_0001.jpg", build.identifying_jpeg())
    write(folder / "cat.png", build.png())
    write(folder / "trip" / "beach.png", build.png(author=build.OWNER))
    return folder


# ---------------------------------------------------------------- --output never replaces a file

def test_output_never_replaces_a_file_that_is_not_a_copy_of_the_photo(photos, tmp_path):
    out = tmp_path / "out"
    notes = write(out / "IMG_0001.jpg", b"notes\n")
    result = run("clean", "--output", str(out), str(photos))
    assert result.exit_code == 3
    assert notes.read_bytes() == b"notes\n"
    line = next(ln for ln in result.stdout.splitlines() if "IMG_0001.jpg" in ln and ln.startswith("refused"))
    assert "already exists and is not a clean copy of this photo" in line
    assert "never replaces it" in line
    assert (out / "cat.png").exists() and (out / "trip" / "beach.png").exists()  # the others are still cleaned
    assert temp_files(out) == []


def test_output_into_a_folder_of_other_photos_replaces_none_of_them(photos, tmp_path):
    pictures = tmp_path / "Pictures"
    other = write(pictures / "IMG_0001.jpg", build.identifying_jpeg(artist="Someone Else"))
    before = other.read_bytes()
    result = run("clean", "--output", str(pictures), str(photos / "IMG_0001.jpg"))
    assert result.exit_code == 3
    assert other.read_bytes() == before
    assert result.stdout.startswith("refused ")


def test_a_link_at_the_output_name_is_never_written_through(photos, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    private = write(tmp_path / "private.txt", b"private")
    (out / "IMG_0001.jpg").symlink_to(private)
    result = run("clean", "--output", str(out), str(photos / "IMG_0001.jpg"))
    assert result.exit_code == 3
    assert private.read_bytes() == b"private"
    assert (out / "IMG_0001.jpg").is_symlink()


def test_running_the_same_output_batch_again_is_a_quiet_no_op(photos, tmp_path):
    out = tmp_path / "out"
    assert run("clean", "--output", str(out), str(photos)).exit_code == 0
    copies = listing(out)
    times = {name: (out / name).stat().st_mtime_ns for name in copies}
    again = run("clean", "--output", str(out), str(photos))
    assert again.exit_code == 0
    assert not [ln for ln in again.stdout.splitlines() if ln.startswith("refused")]
    assert listing(out) == copies
    assert {name: (out / name).stat().st_mtime_ns for name in copies} == times  # nothing was rewritten
    assert "Cleaned 0, already clean 0, refused 0. 3 photos had been cleaned by an earlier run" in again.stdout
    objects = json.loads(run("clean", "--json", "--output", str(out), str(photos)).stdout)
    assert [o["action"] for o in objects] == ["already_cleaned"] * 3
    assert all(o["output"] for o in objects)


def test_cleaning_the_same_photo_twice_says_already_cleaned(tmp_path):
    photo = write(tmp_path / "photo.jpg", build.identifying_jpeg())
    assert run("clean", str(photo)).exit_code == 0
    copy = (tmp_path / "photo.clean.jpg").read_bytes()
    again = run("clean", str(photo))
    assert again.exit_code == 0
    assert again.stdout.startswith("already cleaned  ")
    assert "refused" not in again.stdout.split("\n")[0]
    assert (tmp_path / "photo.clean.jpg").read_bytes() == copy
    dry = run("clean", "--dry-run", str(photo))
    assert dry.exit_code == 0 and dry.stdout.startswith("already cleaned  ")


def test_an_earlier_copy_made_with_other_options_is_not_replaced(tmp_path):
    photo = write(tmp_path / "photo.jpg", build.identifying_jpeg(orientation=6))
    assert run("clean", str(photo)).exit_code == 0
    copy = (tmp_path / "photo.clean.jpg").read_bytes()
    other = run("clean", "--drop-orientation", str(photo))
    assert other.exit_code == 3
    assert "is not a clean copy of this photo" in other.stdout
    assert (tmp_path / "photo.clean.jpg").read_bytes() == copy


def test_a_refused_photo_is_never_called_already_cleaned(tmp_path):
    broken = write(tmp_path / "broken.jpg", build.truncated_jpeg())
    write(tmp_path / "broken.clean.jpg", broken.read_bytes())
    result = run("clean", "--json", str(broken))
    assert result.exit_code == 3
    assert json.loads(result.stdout)[0]["action"] == "refused"


def test_cleaning_a_clean_copy_does_not_make_a_clean_clean_copy(tmp_path):
    photo = write(tmp_path / "photo.jpg", build.identifying_jpeg())
    assert run("clean", str(photo)).exit_code == 0
    result = run("clean", str(tmp_path / "photo.clean.jpg"))
    assert result.exit_code == 0
    assert not (tmp_path / "photo.clean.clean.jpg").exists()
    assert result.stdout.startswith("already clean ")
    assert "no new copy was made" in result.stdout


def test_clean_help_tells_the_truth():
    text = " ".join(run("clean", "--help").stdout.split())
    assert "never overwriting" not in text
    assert "never replaced" in text
    assert "already cleaned" in text
    assert "130: stopped by Ctrl+C" in text and "143: stopped by SIGTERM" in text


# ---------------------------------------------------------------- temp files

def test_a_later_run_removes_only_old_temp_files_of_its_own(tmp_path):
    folder = tmp_path / "photos"
    write(folder / "a.jpg", build.identifying_jpeg())
    hour_ago = time.time() - 3600
    old = write(folder / ".geoscrub-0123456789ab.tmp", b"left by a killed run")
    fresh = write(folder / ".geoscrub-ba9876543210.tmp", b"another geoscrub is writing this")
    other_name = write(folder / ".geoscrub-notes.tmp", b"not ours")
    link = folder / ".geoscrub-aaaaaaaaaaaa.tmp"
    link.symlink_to(other_name)
    for path in (old, other_name):
        os.utime(path, (hour_ago, hour_ago))
    os.utime(link, (hour_ago, hour_ago), follow_symlinks=False)
    result = run("clean", str(folder))
    assert result.exit_code == 0
    assert not old.exists()
    assert fresh.exists() and other_name.exists() and link.is_symlink()
    assert "Removed 1 unfinished temp file left behind by an earlier run that was stopped." in result.stdout


def test_dry_run_removes_nothing(tmp_path):
    folder = tmp_path / "photos"
    write(folder / "a.jpg", build.identifying_jpeg())
    old = write(folder / ".geoscrub-0123456789ab.tmp", b"left by a killed run")
    os.utime(old, (time.time() - 3600,) * 2)
    assert run("clean", "--dry-run", str(folder)).exit_code == 0
    assert old.exists()


def test_without_a_commit_thread_copies_are_committed_inline(photos, monkeypatch, tmp_path):
    def no_threads(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_threads)
    out = tmp_path / "out"
    result = run("clean", "--output", str(out), str(photos))
    assert result.exit_code == 0, result.stdout
    assert sorted(listing(out)) == ["IMG_0001.jpg", "cat.png", "trip/beach.png"]
    assert temp_files(out) == []
    assert run("clean", "--in-place", str(photos)).exit_code == 0
    assert temp_files(photos) == []


def test_no_temp_file_is_left_when_handing_a_copy_to_the_commit_thread_fails(photos, monkeypatch, tmp_path):
    def refuse(self, work):
        raise RuntimeError("queue broken")

    monkeypatch.setattr(jobs.Committer, "submit", refuse)
    out = tmp_path / "out"
    inputs = jobs.paths_mod.select([str(photos)]).inputs
    with pytest.raises(RuntimeError):
        jobs.clean_files(inputs, jobs.Target(out_dir=out), jobs.Policy(), dry_run=False)
    assert temp_files(out) == []


# ---------------------------------------------------------------- in place keeps the owner

@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_in_place_as_root_keeps_the_owner_and_group(tmp_path):
    photo = write(tmp_path / "a.jpg", build.identifying_jpeg())
    os.chown(photo, 1234, 5678)
    os.chmod(photo, 0o640)
    assert run("clean", "--in-place", str(photo)).exit_code == 0
    st = photo.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o640)
    assert jobs.scan_file(photo)[1].findings == ()


# ---------------------------------------------------------------- hints for first-time users

def test_a_photo_named_instead_of_a_command_gets_a_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "photo.jpg", build.identifying_jpeg())
    result = run("photo.jpg")
    assert result.exit_code == 2
    assert "did you mean `geoscrub check photo.jpg` or `geoscrub clean photo.jpg`" in result.output
    missing = run("holiday.JPG")  # not there, but clearly a photo's name
    assert missing.exit_code == 2 and "geoscrub check holiday.JPG" in missing.output
    assert "did you mean" not in run("frobnicate").output


@pytest.mark.parametrize("command", ["check", "clean"])
def test_a_name_with_a_space_split_by_the_shell_gets_a_hint_about_quotes(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "My Photos" / "a.jpg", build.identifying_jpeg())
    result = run(command, "My", "Photos")
    assert result.exit_code == 2
    assert "'My Photos' does" in result.output and "quotes" in result.output
    assert '"My Photos"' in result.output
    assert not (tmp_path / "My Photos" / "a.clean.jpg").exists()


# ---------------------------------------------------------------- the report

def test_empty_values_are_not_listed(tmp_path):
    photo = write(tmp_path / "phone.jpg", build.phone_jpeg())
    result = run("check", str(photo))
    assert "0 bytes" not in result.stdout
    assert "Has text someone typed" not in result.stdout
    keys = {f["key"] for f in json.loads(run("check", "--json", str(photo)).stdout)[0]["findings"]}
    assert "UserComment" not in keys


def test_a_phone_model_in_host_computer_is_a_device_not_a_person(tmp_path):
    photo = write(tmp_path / "phone.jpg", build.phone_jpeg())
    [obj] = json.loads(run("check", "--json", str(photo)).stdout)
    host = next(f for f in obj["findings"] if f["key"] == "HostComputer")
    assert host["category"] == "device"
    assert "who took it" not in run("check", str(photo)).stdout
    named = write(tmp_path / "named.jpg", build.jpeg(build.exif_bytes(artist=None, host="Alex's MacBook Pro")))
    [obj] = json.loads(run("check", "--json", str(named)).stdout)
    assert next(f for f in obj["findings"] if f["key"] == "HostComputer")["category"] == "person"


def test_several_dates_for_one_moment_read_as_one(tmp_path):
    photo = write(tmp_path / "phone.jpg", build.phone_jpeg())
    out = run("check", str(photo)).stdout
    [line] = [ln for ln in out.splitlines() if "Tells when the photo was taken" in ln]
    assert line.endswith(": 14 June 2025 at 16:03:11"), line


def test_different_moments_are_each_shown_readably():
    from geoscrub import report

    assert report.readable_moments(["2016:09:13 11:58:16", "2004-06-21T23:37:53", "06", "2003-08-30"]) == [
        "13 September 2016 at 11:58:16", "21 June 2004 at 23:37:53", "30 August 2003"]
    assert report.readable_moments(["20150612", "134032"]) == ["12 June 2015 at 13:40:32"]  # IPTC's two fields
    assert report.readable_moments(["+01:00"]) == ["+01:00"]  # a time zone is not a moment
    assert report.readable_moments(["01:27:52 UTC"]) == ["01:27:52 UTC"]
    assert report.readable_moments(["2025:06:14 16:03:11", "302", "2025-06-14T16:03:11.302+01:00"]) == [
        "14 June 2025 at 16:03:11"]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_reaches_the_total(tmp_path, monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    inputs = [jobs.Input(tmp_path / f"{i}.jpg", Path(f"{i}.jpg"), problem="does not exist") for i in range(3)]
    results = [r for r, _ in cli.run_batch(cli.check_one, inputs, "Checking")]
    assert len(results) == 3
    assert "3/3" in terminal.getvalue()


def test_running_the_same_rename_batch_again_adds_no_second_copy(photos, tmp_path):
    out = tmp_path / "to-post"
    assert run("clean", "--rename", "--output", str(out), str(photos)).exit_code == 0
    first = listing(out)
    again = run("clean", "--json", "--rename", "--output", str(out), str(photos))
    assert again.exit_code == 0
    assert listing(out) == first
    objects = json.loads(again.stdout)
    assert [o["action"] for o in objects] == ["already_cleaned"] * 3
    assert sorted(str(Path(o["output"]).relative_to(out)) for o in objects) == sorted(first)
    beside = run("clean", "--rename", str(photos / "cat.png"))
    assert beside.exit_code == 0
    assert run("clean", "--rename", str(photos / "cat.png")).stdout.startswith("already cleaned")
    assert len(list(photos.glob("photo-*.png"))) == 1


def test_in_place_rename_leaves_a_clean_neutral_name_as_it_is(tmp_path):
    photo = write(tmp_path / "IMG_20250614_160311.jpg", build.identifying_jpeg())
    assert run("clean", "--in-place", "--rename", str(photo)).exit_code == 0
    [renamed] = list(tmp_path.iterdir())
    again = run("clean", "--in-place", "--rename", str(tmp_path))
    assert again.exit_code == 0 and again.stdout.startswith("already clean ")
    assert list(tmp_path.iterdir()) == [renamed]


def test_check_stopped_by_ctrl_c_exits_130_and_says_nothing_changed(photos, monkeypatch):
    def interrupted(_inp):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "check_one", interrupted)
    result = run("check", str(photos))
    assert result.exit_code == 130
    assert "nothing was changed" in result.stderr
    assert "Aborted" not in result.output


# ---------------------------------------------------------------- --in-place speaks like the other modes (issue 23)

@pytest.fixture
def typed(tmp_path, monkeypatch) -> Path:
    """Photos under the current folder, to be named by relative paths as a user types them."""
    monkeypatch.chdir(tmp_path)
    write(Path("photos/IMG_1.jpg"), build.identifying_jpeg())
    write(Path("photos/cat.png"), build.png())
    return tmp_path


def test_an_in_place_dry_run_says_the_photo_would_be_replaced_in_place(typed):
    result = run("clean", "--in-place", "--dry-run", "photos")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "would clean      photos/IMG_1.jpg (would be replaced in place)"
    assert "already clean    photos/cat.png" in lines
    assert " -> " not in result.stdout and str(typed) not in result.stdout
    [obj, _] = json.loads(run("clean", "--in-place", "--dry-run", "--json", "photos").stdout)
    assert obj["output"] == "photos/IMG_1.jpg"


def test_in_place_names_files_as_they_were_typed_in_lines_and_errors(typed, monkeypatch):
    renamed = run("clean", "--in-place", "--rename", "--dry-run", "photos")
    assert re.search(r"^would clean      photos/IMG_1\.jpg -> photos/photo-[0-9a-f]{12}\.jpg$", renamed.stdout, re.M)
    twice = run("clean", "--in-place", "--dry-run", "photos/IMG_1.jpg", "./photos/IMG_1.jpg")
    assert "refused          photos/IMG_1.jpg: another file in this batch, photos/IMG_1.jpg, is also written to photos/IMG_1.jpg" \
        in twice.stdout
    real_open = os.open

    def folder_not_writable(path, *args, **kwargs):
        if fsio.is_temp_name(os.path.basename(os.fsdecode(path))):
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", folder_not_writable)
    for args in (("--in-place",), ("--in-place", "--rename"), ()):
        result = run("clean", *args, "photos/IMG_1.jpg")
        assert result.exit_code == 3
        assert "photos/IMG_1.jpg: could not write the cleaned copy: cannot write in photos: Permission denied" \
            in result.stdout, args
        assert str(typed) not in result.stdout, args
