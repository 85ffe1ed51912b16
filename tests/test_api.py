"""The library API: detection by content, fail-closed errors, and safe writing."""
from __future__ import annotations

import errno
import os
import stat

import pytest

import geoscrub
from geoscrub import Policy, UnsupportedFormat, clean, scan
from geoscrub import fsio
from geoscrub.errors import GeoscrubError, NotARegularFile, WriteFailed
from tests.builders import core


def test_png_named_jpg_is_detected_by_its_bytes(tmp_path):
    path = tmp_path / "holiday.jpg"
    path.write_bytes(core.dirty_png())
    report = scan(path)
    assert report.format == "PNG" and report.status == "identifying"


def test_scan_of_a_clean_file_is_clean(tmp_path):
    path = tmp_path / "plain.png"
    path.write_bytes(core.encode(core.picture(), "PNG"))
    assert scan(path).status == "clean"


def test_unknown_bytes_are_refused_never_passed_through(tmp_path):
    src, dest = tmp_path / "notes.jpg", tmp_path / "out.jpg"
    src.write_bytes(b"%PDF-1.7 this is not a photo")
    report = clean(src, dest)
    assert isinstance(report.error, UnsupportedFormat)
    assert not dest.exists()


def test_clean_writes_a_verified_copy_and_leaves_the_original(tmp_path):
    src, dest = tmp_path / "a.jpg", tmp_path / "out" / "a.jpg"
    dest.parent.mkdir()
    original = core.dirty_jpeg()
    src.write_bytes(original)
    report = clean(src, dest)
    assert report.error is None and report.cleaned_to == dest
    assert src.read_bytes() == original
    assert scan(dest).status == "clean"
    assert {f.key for f in report.findings} >= {"GPSPosition", "Artist"}


def test_clean_keeps_the_mode_but_not_the_mtime(tmp_path):
    src, dest = tmp_path / "a.jpg", tmp_path / "b.jpg"
    src.write_bytes(core.dirty_jpeg())
    os.chmod(src, 0o640)
    os.utime(src, (1_000_000_000, 1_000_000_000))
    clean(src, dest)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert dest.stat().st_mtime > 1_500_000_000


def test_clean_without_overwrite_never_replaces_an_existing_file(tmp_path):
    src, dest = tmp_path / "a.jpg", tmp_path / "b.jpg"
    src.write_bytes(core.dirty_jpeg())
    dest.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        clean(src, dest, overwrite=False)
    assert dest.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir() if fsio.is_temp_name(p.name)] == []


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "x.jpg"
    os.mkfifo(fifo)
    report = scan(fifo)
    assert isinstance(report.error, NotARegularFile)


def test_folder_named_like_a_photo_is_refused(tmp_path):
    (tmp_path / "d.jpg").mkdir()
    assert isinstance(scan(tmp_path / "d.jpg").error, NotARegularFile)


def test_symlink_is_refused_when_not_following(tmp_path):
    target = tmp_path / "real.jpg"
    target.write_bytes(core.dirty_jpeg())
    link = tmp_path / "link.jpg"
    link.symlink_to(target)
    with pytest.raises(NotARegularFile):
        fsio.read_regular_file(link, follow_symlinks=False)


def test_disk_full_while_writing_leaves_no_temp_file_and_no_target(tmp_path, monkeypatch):
    src, dest = tmp_path / "a.jpg", tmp_path / "b.jpg"
    src.write_bytes(core.dirty_jpeg())
    real_fsync = os.fsync

    def full(fd):
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    report = clean(src, dest)
    assert isinstance(report.error, WriteFailed) and "No space" in str(report.error)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg"]


def test_every_error_is_a_geoscrub_error():
    for name in geoscrub.__all__:
        obj = getattr(geoscrub, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, GeoscrubError)


def test_policy_defaults_keep_how_the_photo_looks():
    assert Policy() == Policy(keep_orientation=True, keep_color_profile=True)
