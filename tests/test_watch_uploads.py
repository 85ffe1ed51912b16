"""The watch service and uploads that pause: held open while empty, sent in pieces, stalled."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geoscrub import api
from tests.builders.watch import cut_short, dirty_jpeg, random_junk
from tests.test_watch import (
    MODES,
    PATIENCE,
    SETTLE,
    Dirs,
    drop,
    file_lines,
    files_under,
    inbox_is_empty,
    rel_names,
    running,
    wait_for,
)

WRITER = """
import sys, time
path, pause, pieces = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
data = sys.stdin.buffer.read()
step = -(-len(data) // pieces)
mode = sys.argv[4]
if mode == "hold-open":  # create the file, keep it open and empty, send everything later
    with open(path, "wb") as f:
        f.flush()
        time.sleep(pause)
        f.write(data)
else:  # "reopen": each piece appended by a new open, as Samba and resumable uploads do
    for i in range(pieces):
        with open(path, "ab") as f:
            f.write(data[i * step:(i + 1) * step])
        if i < pieces - 1:
            time.sleep(pause)
"""


def slow_upload(path: Path, data: bytes, *, pause: float, pieces: int, mode: str) -> subprocess.Popen[bytes]:
    """Another process uploading ``data`` to ``path``."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(pause), str(pieces), mode],
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(data)
    proc.stdin.close()
    return proc


def test_upload_held_open_and_empty_then_sent_is_cleaned_not_quarantined(tmp_path: Path) -> None:
    dirs = Dirs(tmp_path)
    data = dirty_jpeg(24, (64, 48), noise=True)
    with running(dirs, poll=False) as (_service, log):
        writer = slow_upload(dirs.inbox / "held.jpg", data, pause=4 * SETTLE, pieces=1, mode="hold-open")
        assert writer.wait(10) == 0
        wait_for(inbox_is_empty(dirs), what="held.jpg to be handled")
    assert files_under(dirs.quarantine) == [], "an upload still being written was judged"
    assert rel_names(dirs.outbox) == {"held.jpg"}
    assert (dirs.outbox / "held.jpg").read_bytes() == api.clean_bytes(data)[2]
    assert len(file_lines(log, "held.jpg")) == 1


@pytest.mark.parametrize("poll", MODES)
def test_upload_that_pauses_longer_than_settle_is_cleaned_once_never_split(tmp_path: Path, poll: bool) -> None:
    dirs = Dirs(tmp_path)
    data = dirty_jpeg(25, (256, 192), noise=True)
    with running(dirs, poll=poll) as (_service, log):
        writer = slow_upload(dirs.inbox / "stall.jpg", data, pause=2.5 * SETTLE, pieces=4, mode="reopen")
        assert writer.wait(10) == 0
        wait_for(inbox_is_empty(dirs), what="stall.jpg to be handled")
    assert files_under(dirs.quarantine) == [], "a paused upload was quarantined"
    assert rel_names(dirs.outbox) == {"stall.jpg"}
    assert (dirs.outbox / "stall.jpg").read_bytes() == api.clean_bytes(data)[2]
    assert len(file_lines(log, "stall.jpg")) == 1


def test_empty_and_cut_short_files_reach_the_quarantine_only_after_the_patience(tmp_path: Path) -> None:
    dirs = Dirs(tmp_path)
    started = time.monotonic()
    with running(dirs, poll=False):
        drop(dirs.inbox / "empty.jpg", b"")
        drop(dirs.inbox / "cut.jpg", cut_short(dirty_jpeg(26)))
        drop(dirs.inbox / "zeros.jpg", bytes(4096))  # space set aside by an uploader, not written yet
        drop(dirs.inbox / "noise.jpg", random_junk(29))  # plainly not a photo: no need to wait
        wait_for(lambda: (dirs.quarantine / "noise.jpg").exists(), what="noise.jpg in quarantine")
        assert rel_names(dirs.inbox) == {"empty.jpg", "cut.jpg", "zeros.jpg"}
        wait_for(inbox_is_empty(dirs), what="the unfinished-looking files")
    assert time.monotonic() - started >= PATIENCE
    assert rel_names(dirs.quarantine) == {f"{n}{s}" for n in ("empty.jpg", "cut.jpg", "zeros.jpg", "noise.jpg")
                                          for s in ("", ".reason.txt")}
    assert "cut short" in (dirs.quarantine / "cut.jpg.reason.txt").read_text()


def _looks_until(tracker: object, rel: str, end: float) -> list[tuple[float, bool]]:
    """Drive ``tracker`` on a fake clock, answering every look with "looks unfinished"."""
    from geoscrub.watch.settle import SettleTracker

    assert isinstance(tracker, SettleTracker)
    looks = []
    now = 0.0
    tracker.note(rel, now)
    while now <= end:
        for job in tracker.ready(now):
            looks.append((now, job.may_refuse_unfinished))
            tracker.start(job.rel)
            if job.may_refuse_unfinished:
                return looks
            tracker.unfinished(job.rel, now)
        now = round(now + 0.05, 2)
    return looks


def test_a_stall_of_a_minute_with_the_default_settings_is_never_judged(tmp_path: Path) -> None:
    from geoscrub.watch.service import WatchConfig as Config
    from geoscrub.watch.settle import SettleTracker

    defaults = Config(inbox=tmp_path, outbox=tmp_path, quarantine=tmp_path)
    (tmp_path / "stall.jpg").write_bytes(cut_short(dirty_jpeg(27)))
    tracker = SettleTracker(str(tmp_path), defaults.settle, defaults.patience)
    looks = _looks_until(tracker, "stall.jpg", end=defaults.patience + 60)
    times = [t for t, _ in looks]
    assert not any(final for t, final in looks if t < 60), "judged final within a minute"
    assert looks[-1][1] and defaults.patience <= looks[-1][0] <= defaults.patience + 1
    waits = [b - a for a, b in itertools.pairwise(times)]
    assert waits[0] <= defaults.settle + 0.1, "the first look again comes soon"
    # each wait is at least the one before (the last one only reaches up to the patience)
    assert all(b >= a - 0.1 for a, b in itertools.pairwise(waits[:-1])), f"waits do not grow: {waits}"
    assert len(looks) <= 12, f"looked {len(looks)} times: no backoff"


def test_a_change_during_the_wait_starts_settling_again(tmp_path: Path) -> None:
    from geoscrub.watch.settle import SettleTracker

    path = tmp_path / "a.jpg"
    path.write_bytes(b"")
    tracker = SettleTracker(str(tmp_path), 0.2, 5.0)
    tracker.note("a.jpg", 0.0)
    assert tracker.ready(0.0) == []  # first seen: settling
    [job] = tracker.ready(0.25)
    tracker.start(job.rel)
    tracker.unfinished(job.rel, 0.25)
    assert tracker.ready(0.3) == []
    path.write_bytes(dirty_jpeg(28))
    tracker.note("a.jpg", 0.35)
    assert tracker.ready(0.35) == []  # changed: settle again
    [job] = tracker.ready(0.6)
    assert job.sig.size == path.stat().st_size and not job.may_refuse_unfinished


def test_upload_given_its_full_size_up_front_is_not_posted_until_all_written(tmp_path: Path) -> None:
    from tests.builders import heif as heif_builders

    dirs = Dirs(tmp_path)
    data = heif_builders.with_thumbnail_and_depth()  # its picture data sits near the end
    half = len(data) // 2
    with running(dirs, poll=False):
        with open(dirs.inbox / "big.heic", "wb") as upload:
            upload.truncate(len(data))  # the full size at once, as a copy to a Windows share does
            upload.write(data[:half])
            upload.flush()
            if os.lseek(upload.fileno(), 0, getattr(os, "SEEK_HOLE", 0)) >= len(data):
                pytest.skip("this file system does not report unwritten parts")
            time.sleep(4 * SETTLE)  # a stall: the size and time stay the same
            assert files_under(dirs.outbox) == [], "posted while half of it was never written"
            upload.write(data[half:])
        wait_for(inbox_is_empty(dirs), what="big.heic to be handled")
    assert files_under(dirs.quarantine) == []
    assert rel_names(dirs.outbox) == {"big.heic"}
    assert (dirs.outbox / "big.heic").read_bytes() == api.clean_bytes(data)[2]


def test_a_short_text_file_is_judged_once_settled_while_an_empty_one_waits_for_the_patience(
        tmp_path: Path) -> None:
    dirs = Dirs(tmp_path)
    with running(dirs, poll=False, patience=60.0) as (_service, log):
        started = time.monotonic()
        drop(dirs.inbox / "empty.jpg", b"")  # an upload that has not begun may still come
        drop(dirs.inbox / "notes.txt", b"shopping: milk, eggs")  # 20 bytes that can never become a photo
        wait_for(lambda: (dirs.quarantine / "notes.txt").exists(), timeout=20, what="notes.txt in quarantine")
        took = time.monotonic() - started
        assert rel_names(dirs.inbox) == {"empty.jpg"}, "the empty upload was judged before the patience"
    assert took < 10, f"a 20-byte text file waited {took:.1f} s, as if it were an unfinished upload"
    assert (dirs.quarantine / "notes.txt").read_bytes() == b"shopping: milk, eggs"
    assert len(file_lines(log, "notes.txt")) == 1


@pytest.mark.parametrize(("head", "unfinished"), [
    (b"", True),
    (b"\xff\xd8", True),  # the first bytes of a JPEG
    (b"\x89PNG\r", True),
    (b"GIF8", True),
    (b"II*", True),
    (b"RIFF\x10\x00\x00\x00WE", True),
    (b"\x00\x00\x00\x18ft", True),  # an ISO media box (HEIF, MP4) has begun
    (b"\x00" * 30, True),  # space set aside, nothing written yet
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", False),  # a sound file: more bytes will not make it a photo
    (b"shopping: milk, eggs", False),
    (b"%PDF-1.7\n", False),
    (b"\x00\x00\x00\x18abcd", False),
])
def test_a_short_file_looks_unfinished_only_when_it_could_still_become_a_photo(
        tmp_path: Path, head: bytes, unfinished: bool) -> None:
    from geoscrub.errors import UnsupportedFormat
    from geoscrub.watch.worker import looks_unfinished

    path = tmp_path / "upload"
    path.write_bytes(head)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert looks_unfinished(UnsupportedFormat("not a photo"), fd, len(head)) is unfinished
    finally:
        os.close(fd)


def test_quarantine_notes_tell_the_uploader_what_to_do_in_plain_words(tmp_path: Path) -> None:
    dirs = Dirs(tmp_path)
    with running(dirs, poll=False, patience=0.5):
        drop(dirs.inbox / "cut.jpg", cut_short(dirty_jpeg(31)))
        drop(dirs.inbox / "empty.jpg", b"")
        drop(dirs.inbox / "notes.jpg", b"this is not a photo, just some words\n" * 3)
        wait_for(inbox_is_empty(dirs), what="the three files")
    notes = {name: (dirs.quarantine / f"{name}.reason.txt").read_text() for name in ("cut.jpg", "empty.jpg",
                                                                                     "notes.jpg")}
    for name, note in notes.items():
        assert " --" not in note and "`" not in note, f"{name}'s note speaks to command-line users: {note}"
        assert "This file was not posted" in note
    assert "Send the photo again" in notes["cut.jpg"] and "Send the photo again" in notes["empty.jpg"]
    assert "Why: the file is empty" in notes["empty.jpg"]
    assert "save or export a new copy as JPEG" in notes["notes.jpg"]
