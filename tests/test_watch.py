"""The watch service, with a real observer (native and polling) on temporary folders."""
from __future__ import annotations

import io
import itertools
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoscrub import api
from geoscrub.fsio import is_temp_name
from geoscrub.watch import WatchConfig, WatchService
from geoscrub.watch import service as service_module
from geoscrub.watch.command import watch as watch_command
from geoscrub.watch.inbox import is_ignored
from geoscrub.watch.log import EventLog
from tests.builders.watch import cut_short, dirty_jpeg, random_junk, text_named_like_photo
from tests.builders.systems import POSIX_ONLY

SETTLE = 0.3
#: How long a file that looks unfinished waits in the tests (120 s by default).
PATIENCE = 1.5
MODES = [pytest.param(False, id="native"), pytest.param(True, id="polling")]


# -- helpers ---------------------------------------------------------------------
def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    msg = f"timed out waiting for {what}"
    raise AssertionError(msg)


def files_under(folder: Path) -> list[Path]:
    """Every non-folder entry below ``folder`` (symlinks and FIFOs included)."""
    return sorted(p for p in folder.rglob("*") if p.is_symlink() or not p.is_dir())


def rel_names(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in files_under(folder)}


def assert_clean(path: Path) -> None:
    _fmt, found = api.scan_bytes(path.read_bytes())
    assert found.findings == (), f"{path.name} still has {found.findings}"


class Dirs:
    def __init__(self, root: Path) -> None:
        self.inbox, self.outbox, self.quarantine = root / "inbox", root / "outbox", root / "quarantine"
        self.archive = root / "archive"
        self.outside = root / "outside"
        for folder in (self.inbox, self.outside):
            folder.mkdir()


@pytest.fixture
def dirs(tmp_path: Path) -> Dirs:
    return Dirs(tmp_path)


@contextmanager
def running(dirs: Dirs, *, poll: bool, json_log: bool = False, archive: bool = False,
            rescan_every: float = 1.0, patience: float = PATIENCE) -> Iterator[tuple[WatchService, io.StringIO]]:
    """The service on a thread; stopped (and checked to stop quickly) afterwards."""
    stream = io.StringIO()
    config = WatchConfig(inbox=dirs.inbox, outbox=dirs.outbox, quarantine=dirs.quarantine,
                         archive=dirs.archive if archive else None, poll=poll, settle=SETTLE,
                         json_log=json_log, rescan_every=rescan_every, status_every=60.0, poll_interval=0.1,
                         patience=patience)
    log = EventLog(json_lines=json_log, stream=stream, outbox=dirs.outbox, quarantine=dirs.quarantine)
    service = WatchService(config, log)
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    assert service.started.wait(5)
    try:
        yield service, stream
    finally:
        service.request_stop()
        thread.join(5)
        assert not thread.is_alive(), "the service did not stop within 5 s"


def drop(path: Path, data: bytes) -> None:
    """What an uploader does: write, then close."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def inbox_is_empty(dirs: Dirs) -> Callable[[], bool]:
    return lambda: not files_under(dirs.inbox)


def file_lines(stream: io.StringIO, name: str) -> list[str]:
    return [line for line in stream.getvalue().splitlines() if f'"{name}"' in line and " status:" not in line]


# -- what is picked up, and when -------------------------------------------------
@pytest.mark.parametrize("poll", MODES)
def test_slow_writer_is_cleaned_once_only_after_it_finishes(dirs: Dirs, poll: bool) -> None:
    data = dirty_jpeg(1, (64, 48), noise=True)
    with running(dirs, poll=poll) as (_service, log):
        target = dirs.inbox / "slow.jpg"
        with open(target, "wb") as upload:
            for start in range(0, len(data), len(data) // 15):
                upload.write(data[start:start + len(data) // 15])
                upload.flush()
                time.sleep(0.04)
                assert not (dirs.outbox / "slow.jpg").exists(), "picked up before the upload finished"
        wait_for(inbox_is_empty(dirs), what="slow.jpg to be handled")
    assert (dirs.outbox / "slow.jpg").read_bytes() == api.clean_bytes(data)[2]
    assert rel_names(dirs.outbox) == {"slow.jpg"}
    assert files_under(dirs.quarantine) == []
    assert len(file_lines(log, "slow.jpg")) == 1


def test_writer_that_closes_between_chunks_is_not_handled_half_way(dirs: Dirs) -> None:
    data = dirty_jpeg(2, (64, 48), noise=True)
    head = len(data) * 6 // 10  # headers complete: only the picture data is still missing
    chunks = [data[:head]] + [data[i:i + 200] for i in range(head, len(data), 200)]
    with running(dirs, poll=False) as (_service, log):
        target = dirs.inbox / "chunks.jpg"
        for piece in chunks:
            with open(target, "ab") as upload:  # close-after-write fires every time
                upload.write(piece)
            time.sleep(0.02)
        wait_for(inbox_is_empty(dirs), what="chunks.jpg to be handled")
    assert rel_names(dirs.outbox) == {"chunks.jpg"}
    assert (dirs.outbox / "chunks.jpg").read_bytes() == api.clean_bytes(data)[2]
    assert files_under(dirs.quarantine) == []


@pytest.mark.parametrize("poll", MODES)
def test_burst_of_200_files_is_all_cleaned(dirs: Dirs, poll: bool) -> None:
    names = {f"event/IMG_{i:04d}.jpg" for i in range(200)}
    with running(dirs, poll=poll):
        for i, name in enumerate(sorted(names)):
            drop(dirs.inbox / name, dirty_jpeg(i))
        wait_for(lambda: len(files_under(dirs.outbox)) >= 200 and not files_under(dirs.inbox), timeout=30,
                 what="200 files in the outbox")
    assert rel_names(dirs.outbox) == names
    for path in files_under(dirs.outbox):
        assert_clean(path)
    assert files_under(dirs.quarantine) == []


@pytest.mark.parametrize("poll", MODES)
def test_junk_is_quarantined_with_a_reason_and_temp_names_wait_for_rename(dirs: Dirs, poll: bool) -> None:
    junk = {
        "notes.jpg": text_named_like_photo(),
        "noise.png": random_junk(3),
        "empty.jpg": b"",
        "cut.jpg": cut_short(dirty_jpeg(4)),
    }
    temp_names = ["a.jpg.part", "b.jpg.crdownload", "c.jpg.tmp", ".~lock.d.jpg", "~$e.jpg", ".hidden.jpg",
                  ".sync/f.jpg"]
    with running(dirs, poll=poll):
        for name, data in junk.items():
            drop(dirs.inbox / name, data)
        for name in temp_names:
            drop(dirs.inbox / name, dirty_jpeg(5))
        wait_for(lambda: len(rel_names(dirs.quarantine)) == 2 * len(junk), what="junk in quarantine")
        time.sleep(SETTLE + 0.3)
        assert rel_names(dirs.inbox) == set(temp_names), "a temporary name was picked up"
        os.rename(dirs.inbox / "a.jpg.part", dirs.inbox / "a.jpg")
        wait_for(lambda: (dirs.outbox / "a.jpg").exists(), what="a.jpg after its rename")
    assert rel_names(dirs.outbox) == {"a.jpg"}
    for name, data in junk.items():
        assert (dirs.quarantine / name).read_bytes() == data, "quarantine changed the file"
        reason = (dirs.quarantine / f"{name}.reason.txt").read_text()
        assert reason.startswith(f'geoscrub did not post this file: "{name}"')
        assert "\nWhy: " in reason
    assert "empty" in (dirs.quarantine / "empty.jpg.reason.txt").read_text().split("\n")[2]
    assert rel_names(dirs.inbox) == set(temp_names) - {"a.jpg.part"}


def regular_single_files_only(folder: Path) -> None:
    """What reaches the quarantine is a plain file with one name: never a link, pipe or second name."""
    for path in files_under(folder):
        st = os.lstat(path)
        assert stat.S_ISREG(st.st_mode), f"{path.name} is not a regular file"
        assert st.st_nlink == 1, f"{path.name} is another name of a file elsewhere"


@POSIX_ONLY
@pytest.mark.parametrize("poll", MODES)
def test_links_are_removed_from_the_inbox_never_moved_to_the_quarantine(dirs: Dirs, poll: bool) -> None:
    private = dirs.outside / "private.jpg"
    private.write_bytes(dirty_jpeg(6))
    other = dirs.outside / "other.jpg"
    other.write_bytes(dirty_jpeg(7))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (private, other)}
    with running(dirs, poll=poll):
        (dirs.inbox / "link.jpg").symlink_to(private)
        (dirs.inbox / "zero.jpg").symlink_to("/dev/zero")
        (dirs.inbox / "album.jpg").symlink_to(dirs.outside, target_is_directory=True)
        os.link(other, dirs.inbox / "hard.jpg")
        wait_for(lambda: not files_under(dirs.inbox), what="links to be handled")
    assert files_under(dirs.outbox) == []
    regular_single_files_only(dirs.quarantine)
    assert rel_names(dirs.quarantine) == {f"{n}.reason.txt" for n in ("link.jpg", "zero.jpg", "album.jpg", "hard.jpg")}
    for name in ("link.jpg", "zero.jpg", "album.jpg"):
        reason = (dirs.quarantine / f"{name}.reason.txt").read_text()
        assert reason.startswith(f'geoscrub did not post this file: "{name}"')
        assert "shortcut" in reason and "removed from the upload folder" in reason
    assert "hard link" in (dirs.quarantine / "hard.jpg.reason.txt").read_text()
    for path, (data, mtime) in before.items():
        assert path.read_bytes() == data
        assert path.stat().st_mtime_ns == mtime
    assert os.stat(other).st_nlink == 1  # only the inbox's name of it went


def test_link_swapped_for_a_real_upload_at_the_last_moment_is_never_deleted(dirs: Dirs) -> None:
    from geoscrub.watch.beneath import open_source

    (dirs.inbox / "a.jpg").symlink_to(dirs.outside / "private.jpg")
    link_id = os.lstat(dirs.inbox / "a.jpg")
    upload = dirs.outside / "upload.jpg"
    upload.write_bytes(dirty_jpeg(23))
    os.replace(upload, dirs.inbox / "a.jpg")  # a sync client renames the real file over the link
    with open_source(str(dirs.inbox), "a.jpg") as src, pytest.raises(FileExistsError):
        src.remove_entry(link_id.st_dev, link_id.st_ino)
    assert (dirs.inbox / "a.jpg").read_bytes() == dirty_jpeg(23)
    assert rel_names(dirs.inbox) == {"a.jpg"}


def test_two_names_of_one_photo_in_the_inbox_lose_nothing(dirs: Dirs) -> None:
    data = dirty_jpeg(30)
    with running(dirs, poll=False):
        drop(dirs.outside / "a.jpg", data)
        os.link(dirs.outside / "a.jpg", dirs.outside / "b.jpg")
        os.rename(dirs.outside / "a.jpg", dirs.inbox / "a.jpg")
        os.rename(dirs.outside / "b.jpg", dirs.inbox / "b.jpg")
        wait_for(inbox_is_empty(dirs), what="both names")
    regular_single_files_only(dirs.quarantine)
    [cleaned] = files_under(dirs.outbox)  # the last name left is a photo of its own: cleaned, not deleted
    assert cleaned.read_bytes() == api.clean_bytes(data)[2]
    [note] = files_under(dirs.quarantine)
    assert "hard link" in note.read_text()


@POSIX_ONLY
@pytest.mark.parametrize("poll", MODES)
def test_fifo_named_like_a_photo_is_not_read_and_blocks_nothing(dirs: Dirs, poll: bool) -> None:
    with running(dirs, poll=poll) as (service, _log):
        os.mkfifo(dirs.inbox / "pipe.jpg")
        (dirs.inbox / "folder.jpg").mkdir()
        drop(dirs.inbox / "folder.jpg" / "after.jpg", dirty_jpeg(8))
        wait_for(lambda: (dirs.outbox / "folder.jpg" / "after.jpg").exists(), timeout=5,
                 what="the photo dropped after the FIFO")
        wait_for(lambda: (dirs.quarantine / "pipe.jpg.reason.txt").exists(), what="the FIFO's note in quarantine")
        assert service.observer_alive()
    assert not os.path.lexists(dirs.inbox / "pipe.jpg")
    assert not os.path.lexists(dirs.quarantine / "pipe.jpg"), "a pipe in the quarantine hangs whoever opens it"
    regular_single_files_only(dirs.quarantine)
    assert rel_names(dirs.outbox) == {"folder.jpg/after.jpg"}


# -- restarts --------------------------------------------------------------------
@pytest.mark.parametrize("poll", MODES)
def test_backlog_waiting_at_start_is_processed_and_old_temp_files_removed(dirs: Dirs, poll: bool) -> None:
    names = {f"trip/day{i % 3}/IMG_{i}.jpg" for i in range(30)} | {"top.jpg"}
    for i, name in enumerate(sorted(names)):
        drop(dirs.inbox / name, dirty_jpeg(100 + i))
    leftovers = [dirs.outbox / "trip" / ".geoscrub-0123456789ab.tmp", dirs.quarantine / ".geoscrub-ba9876543210.tmp"]
    for path in leftovers:
        drop(path, b"half written")
    with running(dirs, poll=poll, rescan_every=60.0):
        wait_for(inbox_is_empty(dirs), what="the backlog")
    assert rel_names(dirs.outbox) == names
    assert not any(p.exists() for p in leftovers)


def test_copy_left_by_a_crash_before_removal_is_not_posted_twice(dirs: Dirs) -> None:
    data = dirty_jpeg(9)
    drop(dirs.inbox / "a.jpg", data)
    drop(dirs.outbox / "a.jpg", api.clean_bytes(data)[2])
    with running(dirs, poll=False) as (_service, log):
        wait_for(inbox_is_empty(dirs), what="a.jpg")
    assert rel_names(dirs.outbox) == {"a.jpg"}
    assert "already in the outbox" in log.getvalue()


def test_name_clash_in_the_outbox_gets_a_suffix_and_never_overwrites(dirs: Dirs) -> None:
    drop(dirs.outbox / "a.jpg", b"someone else's file")
    data = dirty_jpeg(10)
    with running(dirs, poll=False):
        drop(dirs.inbox / "a.jpg", data)
        wait_for(inbox_is_empty(dirs), what="a.jpg")
    assert (dirs.outbox / "a.jpg").read_bytes() == b"someone else's file"
    assert (dirs.outbox / "a-1.jpg").read_bytes() == api.clean_bytes(data)[2]


def test_a_big_upload_is_cleaned_from_disk_a_window_at_a_time(dirs: Dirs, monkeypatch: pytest.MonkeyPatch) -> None:
    from geoscrub import fileview
    from geoscrub.formats import jpeg_layout

    data = dirty_jpeg(21, (320, 240), noise=True)
    expected = api.clean_bytes(data)[2]
    drop(dirs.outbox / "again.jpg", expected)  # left by an earlier run: compared in windows too
    reads: list[int] = []
    real_read_at = fileview.read_at

    def recording(fd: int, offset: int, length: int) -> bytes:
        reads.append(length)
        return real_read_at(fd, offset, length)

    def never_whole(*_args: object) -> bytes:
        msg = "a big upload was read whole"
        raise AssertionError(msg)

    monkeypatch.setattr(api, "IN_MEMORY_MAX", 0)  # every upload counts as big
    monkeypatch.setattr(api, "read_all", never_whole)
    monkeypatch.setattr(fileview, "WINDOW", 4096)
    monkeypatch.setattr(jpeg_layout, "_WINDOW", 4096)
    monkeypatch.setattr(fileview, "read_at", recording)
    assert len(data) > 10 * 4096
    with running(dirs, poll=False) as (_service, log):
        drop(dirs.inbox / "big.jpg", data)
        drop(dirs.inbox / "again.jpg", data)
        wait_for(inbox_is_empty(dirs), what="both uploads")
    assert files_under(dirs.quarantine) == []
    assert (dirs.outbox / "big.jpg").read_bytes() == expected
    assert rel_names(dirs.outbox) == {"big.jpg", "again.jpg"}
    assert "already in the outbox" in log.getvalue()
    assert reads and max(reads) <= 4096 + 1


def test_archive_keeps_the_original_byte_for_byte(dirs: Dirs) -> None:
    data = dirty_jpeg(11)
    with running(dirs, poll=False, archive=True):
        drop(dirs.inbox / "sub" / "a.jpg", data)
        wait_for(inbox_is_empty(dirs), what="a.jpg")
    assert (dirs.archive / "sub" / "a.jpg").read_bytes() == data
    assert_clean(dirs.outbox / "sub" / "a.jpg")


def _start_subprocess(dirs: Dirs) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "geoscrub", "watch", str(dirs.inbox), "--output", str(dirs.outbox),
            "--quarantine", str(dirs.quarantine), "--settle", str(SETTLE), "--rescan-every", "1", "--workers", "1"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=Path(__file__).resolve().parent.parent)


@POSIX_ONLY
def test_kill_9_in_the_middle_then_restart_loses_nothing_and_leaves_nothing_dirty(dirs: Dirs) -> None:
    backlog = {f"IMG_{i:03d}.jpg": dirty_jpeg(200 + i, (320, 240), noise=True) for i in range(40)}
    for name, data in backlog.items():
        drop(dirs.inbox / name, data)
    slow = dirty_jpeg(300, (320, 240), noise=True)
    proc = _start_subprocess(dirs)
    try:
        wait_for(lambda: len(files_under(dirs.outbox)) >= 3, what="the first outputs")
        with open(dirs.inbox / "slow.jpg", "wb") as upload:  # an upload in progress
            upload.write(slow[: len(slow) // 2])
            upload.flush()
            proc.kill()  # SIGKILL while it works through the backlog: no cleanup at all
            proc.wait(5)
            # What a kill during atomic_write leaves behind:
            drop(dirs.outbox / ".geoscrub-deadbeef0000.tmp", slow[:1000])
            upload.write(slow[len(slow) // 2:])
        assert files_under(dirs.inbox), "test too slow: the backlog was finished before the kill"
        proc = _start_subprocess(dirs)
        wait_for(lambda: not files_under(dirs.inbox) and len(files_under(dirs.outbox)) == 41, timeout=20,
                 what="everything to be handled after the restart")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rel_names(dirs.outbox) == set(backlog) | {"slow.jpg"}
    for path in files_under(dirs.outbox):
        assert not is_temp_name(path.name)
        assert_clean(path)
    assert (dirs.outbox / "slow.jpg").read_bytes() == api.clean_bytes(slow)[2]
    assert files_under(dirs.quarantine) == []


# -- staying up ------------------------------------------------------------------
def test_one_file_that_crashes_the_cleaner_does_not_stop_the_service(dirs: Dirs,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    poison = dirty_jpeg(12)
    real_scan = api.scan_photo

    def flaky_scan(fmt: object, data: bytes) -> object:
        if data == poison:
            msg = "bug in a format module"
            raise RuntimeError(msg)
        return real_scan(fmt, data)

    monkeypatch.setattr(api, "scan_photo", flaky_scan)
    with running(dirs, poll=False) as (service, _log):
        drop(dirs.inbox / "poison.jpg", poison)
        wait_for(lambda: (dirs.quarantine / "poison.jpg").exists(), what="the poison file in quarantine")
        drop(dirs.inbox / "fine.jpg", dirty_jpeg(13))
        wait_for(lambda: (dirs.outbox / "fine.jpg").exists(), what="the next file")
        assert service.observer_alive()
    assert "unexpected problem" in (dirs.quarantine / "poison.jpg.reason.txt").read_text()


@pytest.mark.parametrize("poll", MODES)
def test_dead_observer_is_restarted_and_events_flow_again(dirs: Dirs, poll: bool) -> None:
    with running(dirs, poll=poll, rescan_every=60.0) as (service, log):
        assert service.observer is not None
        service.observer.stop()  # as when a share goes away under it
        wait_for(lambda: "restarting it" in log.getvalue(), timeout=5, what="the restart")
        drop(dirs.inbox / "after.jpg", dirty_jpeg(14))
        wait_for(lambda: (dirs.outbox / "after.jpg").exists(), timeout=5, what="a file after the restart")
        assert service.observer_alive()


def test_inotify_limit_falls_back_to_polling(dirs: Dirs, monkeypatch: pytest.MonkeyPatch) -> None:
    class ExhaustedObserver(service_module.PollingObserver):
        def start(self) -> None:
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(service_module, "Observer", ExhaustedObserver)
    with running(dirs, poll=False, rescan_every=60.0) as (service, log):
        drop(dirs.inbox / "a.jpg", dirty_jpeg(15))
        wait_for(lambda: (dirs.outbox / "a.jpg").exists(), timeout=5, what="a.jpg by polling")
        assert service.mode == "polling"
    assert "switching to polling" in log.getvalue()


# -- telling people what happened --------------------------------------------------
def test_json_log_has_one_record_per_file_with_plain_words(dirs: Dirs) -> None:
    with running(dirs, poll=False, json_log=True) as (_service, log):
        drop(dirs.inbox / "a\nb.jpg", dirty_jpeg(16))
        drop(dirs.inbox / "junk.jpg", text_named_like_photo())
        wait_for(inbox_is_empty(dirs), what="both files")
    records = [json.loads(line) for line in log.getvalue().splitlines()]
    files = [r for r in records if r["event"] == "file"]
    assert sorted(r["path"] for r in files) == ["a\nb.jpg", "junk.jpg"]
    cleaned = next(r for r in files if r["outcome"] == "cleaned")
    assert "where it was taken" in cleaned["removed"]
    refused = next(r for r in files if r["outcome"] == "refused")
    assert refused["quarantine"] == "junk.jpg"
    assert refused["reason"]
    assert any(r["event"] == "status" and r["cleaned"] == 1 and r["refused"] == 1 for r in records)


def test_text_log_line_escapes_names_and_says_what_was_removed(dirs: Dirs) -> None:
    with running(dirs, poll=False) as (_service, log):
        drop(dirs.inbox / "evil\x1b[2Jname\n.jpg", dirty_jpeg(17))
        wait_for(inbox_is_empty(dirs), what="the file")
    lines = [line for line in log.getvalue().splitlines() if " cleaned " in line]
    assert len(lines) == 1
    assert '"evil\\x1b[2Jname\\x0a.jpg"' in lines[0]
    assert "where it was taken" in lines[0]
    assert "which phone or camera took it" in lines[0]
    assert "\x1b" not in log.getvalue()


def test_temp_name_rules() -> None:
    for name in ("a.part", "a.JPG.tmp", "a.crdownload", ".~lock", "~$x.jpg", ".x.jpg", ".sync/a.jpg"):
        assert is_ignored(name), name
    for name in ("a.jpg", "part.jpg", "sub/a.jpg", "tmp/a.jpg", "a~.jpg"):
        assert not is_ignored(name), name


def test_outbox_inside_the_inbox_is_a_usage_error(dirs: Dirs) -> None:
    result = CliRunner().invoke(watch_command, [str(dirs.inbox), "--output", str(dirs.inbox / "out"),
                                                "--quarantine", str(dirs.quarantine)])
    assert result.exit_code == 2
    assert "must not be inside the inbox" in result.output


def test_full_outbox_keeps_the_original_and_tries_again(dirs: Dirs, monkeypatch: pytest.MonkeyPatch) -> None:
    from geoscrub.errors import WriteFailed
    from geoscrub.watch.placement import Places

    real_write = Places.write_clean
    calls = []

    def disk_full_once(self: Places, rel: str, fmt: object, photo: bytes) -> tuple[Path, bool]:
        calls.append(rel)
        if len(calls) == 1:
            msg = "could not write a.jpg: No space left on device"
            raise WriteFailed(msg)
        return real_write(self, rel, fmt, photo)

    monkeypatch.setattr(Places, "write_clean", disk_full_once)
    data = dirty_jpeg(18)
    with running(dirs, poll=False) as (_service, log):
        drop(dirs.inbox / "a.jpg", data)
        wait_for(lambda: " error " in log.getvalue(), what="the error line")
        assert (dirs.inbox / "a.jpg").read_bytes() == data
        assert files_under(dirs.quarantine) == []
        wait_for(inbox_is_empty(dirs), what="the retry")
    assert "will try again" in log.getvalue()
    assert (dirs.outbox / "a.jpg").read_bytes() == api.clean_bytes(data)[2]


def test_a_read_error_is_tried_again_and_never_quarantines_the_photo(dirs: Dirs,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    real_read = api.read_photo
    calls = []

    def failing_once(fd: int, size: int) -> object:
        calls.append(size)
        if len(calls) == 1:
            raise OSError(errno.EIO, "Input/output error")
        return real_read(fd, size)

    monkeypatch.setattr(api, "read_photo", failing_once)
    data = dirty_jpeg(22)
    with running(dirs, poll=False) as (_service, log):
        drop(dirs.inbox / "a.jpg", data)
        wait_for(lambda: " error " in log.getvalue(), what="the error line")
        assert files_under(dirs.quarantine) == []
        wait_for(inbox_is_empty(dirs), what="the retry")
    assert files_under(dirs.quarantine) == []
    assert (dirs.outbox / "a.jpg").read_bytes() == api.clean_bytes(data)[2]


def test_a_folder_swapped_for_a_symlink_is_never_read_through(dirs: Dirs) -> None:
    from geoscrub.watch.beneath import OutsideInbox, open_source

    (dirs.outside / "x.jpg").write_bytes(dirty_jpeg(19))
    (dirs.inbox / "album").symlink_to(dirs.outside, target_is_directory=True)
    with pytest.raises(OutsideInbox), open_source(str(dirs.inbox), os.path.join("album", "x.jpg")):
        pass


def test_upload_that_stalls_inside_the_picture_is_never_posted_nor_lost(dirs: Dirs) -> None:
    data = dirty_jpeg(6, (64, 48), noise=True)
    partial = data[: len(data) * 2 // 3]  # stops inside the coded picture: no end marker
    with running(dirs, poll=False):
        drop(dirs.inbox / "stalled.jpg", partial)
        wait_for(lambda: (dirs.quarantine / "stalled.jpg").exists(), what="stalled.jpg in quarantine")
    assert files_under(dirs.outbox) == []
    assert (dirs.quarantine / "stalled.jpg").read_bytes() == partial
    assert "incomplete" in (dirs.quarantine / "stalled.jpg.reason.txt").read_text()


# -- one name on every disk --------------------------------------------------------
def name_keys(folder: Path) -> list[str]:
    """The outbox's names as a Windows or macOS share of it compares them."""
    from geoscrub.paths import name_key

    return sorted(name_key(name) for name in rel_names(folder))


def test_a_name_differing_only_in_case_from_one_in_the_outbox_is_posted_with_a_suffix(dirs: Dirs) -> None:
    first, second = dirty_jpeg(40), dirty_jpeg(41)
    with running(dirs, poll=False):
        drop(dirs.inbox / "IMG_1.JPG", first)
        wait_for(inbox_is_empty(dirs), what="IMG_1.JPG")
        drop(dirs.inbox / "img_1.jpg", second)
        wait_for(inbox_is_empty(dirs), what="img_1.jpg")
    assert rel_names(dirs.outbox) == {"IMG_1.JPG", "img_1-1.jpg"}
    assert (dirs.outbox / "IMG_1.JPG").read_bytes() == api.clean_bytes(first)[2]
    assert (dirs.outbox / "img_1-1.jpg").read_bytes() == api.clean_bytes(second)[2]


def test_names_with_accents_written_two_ways_are_posted_as_two_names(dirs: Dirs) -> None:
    composed, decomposed = "caf\u00e9.jpg", "cafe\u0301.jpg"
    with running(dirs, poll=False):
        drop(dirs.inbox / composed, dirty_jpeg(42))
        wait_for(inbox_is_empty(dirs), what=composed)
        drop(dirs.inbox / decomposed, dirty_jpeg(43))
        wait_for(inbox_is_empty(dirs), what=decomposed)
    if len(rel_names(dirs.outbox)) == 1:
        pytest.skip("this file system stores both forms as one name")
    assert rel_names(dirs.outbox) == {composed, "cafe\u0301-1.jpg"}
    assert len(set(name_keys(dirs.outbox))) == 2


def test_case_twins_uploaded_together_never_share_a_name_on_any_disk(dirs: Dirs) -> None:
    uploads = {}
    for i in range(8):  # the workers race for the names
        uploads[f"pic_{i}.jpg"] = dirty_jpeg(50 + i)
        uploads[f"PIC_{i}.JPG"] = dirty_jpeg(70 + i)
        uploads[f"Pic_{i}.jpg"] = dirty_jpeg(90 + i)
    with running(dirs, poll=False):
        for name, data in uploads.items():
            drop(dirs.outside / name, data)
        for name in uploads:
            os.rename(dirs.outside / name, dirs.inbox / name)
        wait_for(inbox_is_empty(dirs), what="the case twins")
    keys = name_keys(dirs.outbox)
    assert len(keys) == len(uploads) == len(set(keys)), sorted(rel_names(dirs.outbox))
    posted = sorted(p.read_bytes() for p in files_under(dirs.outbox))
    assert posted == sorted(api.clean_bytes(data)[2] for data in uploads.values()), "a photo was lost"


def test_a_folder_differing_only_in_case_goes_into_the_folder_already_in_the_outbox(dirs: Dirs) -> None:
    with running(dirs, poll=False):
        drop(dirs.inbox / "Trip" / "a.jpg", dirty_jpeg(44))
        wait_for(inbox_is_empty(dirs), what="Trip/a.jpg")
        drop(dirs.inbox / "trip" / "a.jpg", dirty_jpeg(45))
        drop(dirs.inbox / "trip" / "b.jpg", dirty_jpeg(46))
        wait_for(inbox_is_empty(dirs), what="trip/a.jpg and trip/b.jpg")
    assert rel_names(dirs.outbox) == {"Trip/a.jpg", "Trip/a-1.jpg", "Trip/b.jpg"}


# -- a full disk -------------------------------------------------------------------
def test_a_full_disk_lets_one_photo_at_a_time_try_again_after_waits_from_seconds_to_half_a_minute() -> None:
    from geoscrub.watch.diskfull import FullDisk
    from geoscrub.watch.settle import Job, Kind, Signature

    def job(rel: str) -> Job:
        return Job(rel, Kind.REGULAR, Signature(0, 0, 10, 0), True)

    disk = FullDisk()
    waiting = [job("a.jpg"), job("b.jpg"), job("c.jpg")]
    assert disk.choose(waiting) == waiting and disk.may_start(0.0)
    assert disk.ran_out("a.jpg", 0.0) is True  # the one line in the log
    assert disk.ran_out("b.jpg", 0.1) is False  # was already on its way: no second line, no new wait
    probes, now = [], 0.0
    while len(probes) < 8:  # the disk stays full; the clock is a fake one
        now = round(now + 0.1, 1)
        if not disk.may_start(now):
            continue
        [probe] = disk.choose(waiting)
        disk.started(probe.rel)
        assert not disk.may_start(now), "a second photo tried while the first was still trying"
        probes.append((now, probe.rel))
        disk.ran_out(probe.rel, now + 0.05)
    waits = [b[0] - a[0] for a, b in itertools.pairwise([(0.0, ""), *probes])]
    assert 1.0 <= waits[0] <= 5.0, f"the first try again comes after {waits[0]} s"
    assert all(b >= a - 0.2 for a, b in itertools.pairwise(waits)), waits
    assert max(waits) <= 31.0, f"waits {waits} go past half a minute"
    assert {rel for _t, rel in probes[:3]} == {"a.jpg", "b.jpg", "c.jpg"}, "probes do not take turns"
    # space comes back: the next probe is written, and everything may go at once
    while not disk.may_start(now):
        now += 0.1
    [probe] = disk.choose(waiting)
    disk.started(probe.rel)
    assert disk.finished(probe.rel, now, wrote=True) is True  # the one "room again" line
    assert disk.may_start(now) and disk.choose(waiting) == waiting


def test_the_cause_of_a_write_failure_tells_a_full_disk() -> None:
    import errno

    from geoscrub.errors import WriteFailed
    from geoscrub.watch.diskfull import is_disk_full

    def failed(code: int) -> WriteFailed:
        try:
            try:
                raise OSError(code, os.strerror(code))
            except OSError as err:
                raise WriteFailed(f"could not write a.jpg: {err.strerror}") from None
        except WriteFailed as failure:
            return failure

    assert is_disk_full(failed(errno.ENOSPC)) and is_disk_full(failed(errno.EDQUOT))
    assert not is_disk_full(failed(errno.EACCES)) and not is_disk_full(WriteFailed("no free name"))


def test_a_nearly_full_outbox_tries_one_photo_at_a_time_and_moves_soon_after_space_returns(
        dirs: Dirs, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from geoscrub.errors import WriteFailed
    from geoscrub.watch import diskfull
    from geoscrub.watch.placement import Places

    monkeypatch.setattr(diskfull, "FIRST_WAIT", 0.2)
    monkeypatch.setattr(diskfull, "MOST_WAIT", 0.8)
    real_write = Places.write_clean
    room = {"photos": 1}  # room for one photo
    lock = threading.Lock()
    attempts: list[tuple[float, float]] = []  # (start, end) of each write that found the disk full
    at_once = {"now": 0, "most": 0}

    def write_in_little_room(self: Places, rel: str, fmt: object, photo: bytes) -> tuple[Path, bool]:
        with lock:
            if room["photos"] > 0:
                room["photos"] -= 1
                full = False
            else:
                full = True
                at_once["now"] += 1
                at_once["most"] = max(at_once["most"], at_once["now"])
        if not full:
            return real_write(self, rel, fmt, photo)
        started = time.monotonic()
        time.sleep(0.05)
        with lock:
            at_once["now"] -= 1
            attempts.append((started, time.monotonic()))
        try:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError as err:  # as fsio reports it
            raise WriteFailed(f"could not write {Path(rel).name}: {err.strerror}") from None

    monkeypatch.setattr(Places, "write_clean", write_in_little_room)
    photos = {f"IMG_{i}.jpg": dirty_jpeg(60 + i) for i in range(3)}
    with running(dirs, poll=False) as (service, log):
        for name, data in photos.items():
            drop(dirs.outside / name, data)
        for name in photos:
            os.rename(dirs.outside / name, dirs.inbox / name)
        wait_for(lambda: len(attempts) >= 6, what="six tries on the full disk")
        assert len(files_under(dirs.outbox)) == 1
        assert set(rel_names(dirs.inbox)) | set(rel_names(dirs.outbox)) == set(photos), "a photo was lost"
        assert files_under(dirs.quarantine) == []
        room["photos"] = 10  # space is freed
        freed = time.monotonic()
        wait_for(inbox_is_empty(dirs), timeout=5, what="the waiting photos once there is room")
        took = time.monotonic() - freed
    assert took <= 0.8 + 1.7, f"{took:.1f} s after space returned"
    # after the first try found the disk full, one photo at a time tried again, never two at once
    later = sorted(attempts)[2:]  # the first ones may have been on their way already
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(later)), "two photos tried at the same time"
    text = log.getvalue()
    assert text.count("the disk is full") == 1, text
    assert text.count("there is room on the disk again") == 1
    assert " error " not in text, "one line per failed try"
    assert rel_names(dirs.outbox) == set(photos)
    for name, data in photos.items():
        assert (dirs.outbox / name).read_bytes() == api.clean_bytes(data)[2]


def test_a_photo_written_while_the_disk_filled_up_does_not_end_the_wait() -> None:
    from geoscrub.watch.diskfull import FullDisk

    disk = FullDisk()
    disk.started("a.jpg")  # four workers: a, b and c start together, room for one
    disk.started("b.jpg")
    disk.started("c.jpg")
    assert disk.ran_out("c.jpg", 0.0) is True
    assert disk.finished("a.jpg", 0.01, wrote=True) is False, "it took the last room: the disk is still full"
    assert disk.ran_out("b.jpg", 0.02) is False  # no second "the disk is full" line
    assert disk.full and not disk.may_start(0.5)


def test_space_freed_on_the_outbox_disk_is_tried_within_a_second_not_after_the_wait() -> None:
    from geoscrub.watch.diskfull import GROWTH, LOOK_EVERY, FullDisk

    free = {"bytes": 1000}
    disk = FullDisk(first_wait=2.0, most_wait=30.0, free=lambda: free["bytes"])
    disk.ran_out("a.jpg", 0.0)
    now = 0.0
    for _ in range(4):  # waits grow to 16 s
        while not disk.may_start(now):
            now = round(now + 0.1, 1)
        disk.started("a.jpg")
        disk.ran_out("a.jpg", now)
    failed_at = now
    assert disk.wait >= 16
    free["bytes"] += GROWTH  # someone frees space
    while not disk.may_start(now):
        now = round(now + 0.1, 1)
    assert now - failed_at <= LOOK_EVERY + 0.2, f"tried {now - failed_at:.1f} s after space was freed"
