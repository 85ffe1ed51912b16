"""The library API: detection by content, fail-closed errors, and safe writing."""
from __future__ import annotations

import errno
import os
import stat

import pytest

import geoscrub
from geoscrub import Policy, UnsupportedFormat, clean, scan
from geoscrub.api import clean_bytes
from geoscrub import fsio
from geoscrub.errors import DiskFull, GeoscrubError, NotARegularFile, WriteFailed
from tests.builders import core
from tests.builders.systems import POSIX_ONLY


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


@POSIX_ONLY
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
    report = clean(src, dest, overwrite=False)
    assert isinstance(report.error, WriteFailed) and "already exists" in str(report.error)
    assert dest.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir() if fsio.is_temp_name(p.name)] == []


@POSIX_ONLY
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
    assert isinstance(report.error, DiskFull) and isinstance(report.error, WriteFailed)
    assert str(report.error) == "no room left for b.jpg" and report.error.reason == "the disk is full"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg"]


def test_every_error_is_a_geoscrub_error():
    for name in geoscrub.__all__:
        obj = getattr(geoscrub, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, GeoscrubError)


def test_policy_defaults_keep_how_the_photo_looks():
    assert Policy() == Policy(keep_orientation=True, keep_color_profile=True)


def test_verification_refuses_changed_image_data():
    from geoscrub.errors import VerificationFailed
    from geoscrub.formats import jpeg
    from geoscrub.verify import verify_clean

    original = core.dirty_jpeg()
    cleaned = bytearray(jpeg.FORMAT.strip(original, Policy()))
    cleaned[-10] ^= 0x01  # one flipped bit inside the coded picture
    with pytest.raises(VerificationFailed, match="image data"):
        verify_clean(jpeg.FORMAT, original, bytes(cleaned), Policy())


def test_verification_refuses_leftover_metadata():
    from geoscrub.errors import VerificationFailed
    from geoscrub.formats import jpeg
    from geoscrub.verify import verify_clean

    original = core.dirty_jpeg()
    with pytest.raises(VerificationFailed, match="still present"):
        verify_clean(jpeg.FORMAT, original, original[: original.index(b"ftyp") - 4], Policy())


def test_the_copy_holds_exactly_the_bytes_that_were_verified_even_if_the_source_changes(tmp_path):
    from geoscrub.api import scan_bytes, write_clean_copy

    from PIL import Image

    big = core.encode(Image.effect_noise((600, 400), 60).convert("RGB"), "JPEG", quality=95)
    src = tmp_path / "a.jpg"
    data = core.jpeg([core.app1_exif(core.exif_tiff())], base=big)
    src.write_bytes(data)
    fmt, _ = scan_bytes(data)
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0xFF  # inside the coded picture
    src.write_bytes(bytes(tampered))  # someone rewrote the file after geoscrub read it
    write_clean_copy(fmt, data, tmp_path / "out.jpg")
    out = (tmp_path / "out.jpg").read_bytes()
    assert out == clean_bytes(data)[2]
    middle = len(data) // 2
    assert out.endswith(data[middle:]) and not out.endswith(bytes(tampered[middle:]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "out.jpg"]


def test_a_write_that_fails_leaves_no_temp_file(tmp_path, monkeypatch):
    from geoscrub.api import scan_bytes, write_clean_copy
    from geoscrub.errors import WriteFailed

    data = core.dirty_jpeg()
    fmt, _ = scan_bytes(data)

    def disk_full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsio, "_write_all", disk_full)
    with pytest.raises(WriteFailed, match="no room left for out.jpg"):
        write_clean_copy(fmt, data, tmp_path / "out.jpg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("renameat2_works", [True, False])
def test_never_overwrite_also_works_where_hard_links_do_not(tmp_path, monkeypatch, renameat2_works):
    """FAT and exFAT (SD cards, USB sticks) refuse hard links with EPERM."""
    def no_links(*_args, **_kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    if not renameat2_works:
        monkeypatch.setattr(fsio, "_renameat2_noreplace", lambda tmp, target: False)
    fsio.atomic_write(tmp_path / "new.jpg", b"fresh", overwrite=False)
    assert (tmp_path / "new.jpg").read_bytes() == b"fresh"
    (tmp_path / "taken.jpg").write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        fsio.atomic_write(tmp_path / "taken.jpg", b"fresh", overwrite=False)
    assert (tmp_path / "taken.jpg").read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.jpg", "taken.jpg"]
