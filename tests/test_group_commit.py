"""Batches make their copies durable with few disk flushes, and never show a file before that."""
from __future__ import annotations

import errno
import os
import threading
import time

import pytest

from geoscrub import fsio
from geoscrub.errors import WriteFailed


class CountingSyncfs:
    """Stands in for syncfs(2): records each flush and the temp files it covers."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    def __call__(self, _fd: int) -> int:
        self.calls += 1
        if self.fail:
            import ctypes

            ctypes.set_errno(errno.EIO)
            return -1
        return 0


@pytest.fixture
def syncfs(monkeypatch):
    fake = CountingSyncfs()
    monkeypatch.setattr(fsio, "_syncfs_function", lambda: fake)
    return fake


def test_one_flush_covers_every_file_written_before_it(tmp_path, syncfs):
    group = fsio.GroupCommit()
    pending = [fsio.start_write(tmp_path / f"{i}.jpg", b"photo %d" % i) for i in range(5)]
    places = [group.written(p) for p in pending]
    for p, place in zip(pending, places):
        group.commit(p, place)
    group.finish()
    assert syncfs.calls == 2  # one for the five files, one for their renames
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i}.jpg" for i in range(5)]
    assert (tmp_path / "3.jpg").read_bytes() == b"photo 3"


def test_a_file_written_after_a_flush_gets_a_flush_of_its_own(tmp_path, syncfs):
    group = fsio.GroupCommit()
    first = fsio.start_write(tmp_path / "a.jpg", b"a")
    group.commit(first, group.written(first))
    second = fsio.start_write(tmp_path / "b.jpg", b"b")
    group.commit(second, group.written(second))
    assert syncfs.calls == 2


def test_nothing_is_visible_before_its_flush(tmp_path, monkeypatch):
    seen_at_flush: list[list[str]] = []

    def syncfs(_fd: int) -> int:
        seen_at_flush.append(sorted(p.name for p in tmp_path.iterdir() if not fsio.is_temp_name(p.name)))
        return 0

    monkeypatch.setattr(fsio, "_syncfs_function", lambda: syncfs)
    group = fsio.GroupCommit()
    pending = fsio.start_write(tmp_path / "a.jpg", b"a")
    group.commit(pending, group.written(pending))
    assert seen_at_flush == [[]]
    assert (tmp_path / "a.jpg").exists()


def test_durable_now_flushes_the_rename_before_returning(tmp_path, syncfs):
    group = fsio.GroupCommit()
    pending = fsio.start_write(tmp_path / "a.jpg", b"a")
    group.commit(pending, group.written(pending), durable_now=True)
    assert syncfs.calls == 2
    group.finish()
    assert syncfs.calls == 2  # nothing left to flush


def test_a_failed_flush_removes_the_temp_file_and_shows_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(fsio, "_syncfs_function", lambda: CountingSyncfs(fail=True))
    group = fsio.GroupCommit()
    pending = fsio.start_write(tmp_path / "a.jpg", b"a")
    with pytest.raises(WriteFailed):
        group.commit(pending, group.written(pending))
    assert list(tmp_path.iterdir()) == []


def test_without_syncfs_each_file_is_fsynced(tmp_path, monkeypatch):
    monkeypatch.setattr(fsio, "_syncfs_function", lambda: None)
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(fsio.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    group = fsio.GroupCommit()
    for name in ("a.jpg", "b.jpg"):
        pending = fsio.start_write(tmp_path / name, b"x")
        group.commit(pending, group.written(pending))
    assert len(synced) == 4  # each file and, after its rename, its folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "b.jpg"]


def test_never_overwrite_holds_in_a_group(tmp_path, syncfs):
    (tmp_path / "a.jpg").write_bytes(b"precious")
    group = fsio.GroupCommit()
    pending = fsio.start_write(tmp_path / "a.jpg", b"new", overwrite=False)
    with pytest.raises(FileExistsError):
        group.commit(pending, group.written(pending))
    assert (tmp_path / "a.jpg").read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["a.jpg"]


def test_the_real_syncfs_works_here(tmp_path):
    """On Linux the flush is the real system call; elsewhere the fsync fallback runs."""
    group = fsio.GroupCommit()
    pending = fsio.start_write(tmp_path / "a.jpg", b"a")
    group.commit(pending, group.written(pending))
    group.finish()
    assert (tmp_path / "a.jpg").read_bytes() == b"a"


def test_writing_and_committing_on_two_threads_loses_nothing(tmp_path, syncfs):
    group = fsio.GroupCommit()
    queue: list[tuple[fsio.PendingWrite, int]] = []
    ready = threading.Condition()

    def committer() -> None:
        done = 0
        while done < 50:
            with ready:
                ready.wait_for(lambda: queue)
                pending, place = queue.pop(0)
            group.commit(pending, place)
            done += 1

    thread = threading.Thread(target=committer)
    thread.start()
    for i in range(50):
        pending = fsio.start_write(tmp_path / f"{i:02d}.jpg", bytes([i]) * 1000)
        place = group.written(pending)
        with ready:
            queue.append((pending, place))
            ready.notify()
    thread.join()
    group.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i:02d}.jpg" for i in range(50)]
    assert all((tmp_path / f"{i:02d}.jpg").read_bytes() == bytes([i]) * 1000 for i in range(50))
    assert syncfs.calls <= 51


def test_an_interrupted_batch_leaves_no_temp_files(tmp_path, monkeypatch):
    from geoscrub import jobs
    from geoscrub.model import Policy
    from geoscrub.paths import select
    from tests.builders import core

    photos = tmp_path / "in"
    photos.mkdir()
    for i in range(6):
        (photos / f"{i}.jpg").write_bytes(core.dirty_jpeg())
    out = tmp_path / "out"
    target = jobs.Target(out_dir=out)
    inputs = target.claim_fixed_destinations(select([str(photos)]).inputs)
    real_clean_one = jobs.clean_one
    calls = []

    def interrupted(inp, *args, **kwargs):
        calls.append(inp)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_clean_one(inp, *args, **kwargs)

    monkeypatch.setattr(jobs, "clean_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        jobs.clean_files(inputs, target, Policy(), dry_run=False)
    left = [p.name for p in out.rglob("*")]
    assert not [name for name in left if fsio.is_temp_name(name)]
    assert len(left) <= 3  # the files committed before the interrupt, complete
    for name in left:
        assert (out / name).read_bytes()[:2] == b"\xff\xd8"


def _write_and_commit_on_two_threads(tmp_path, group: fsio.GroupCommit, count: int, *, close: bool = True) -> None:
    """A writer thread (this one) and a committing thread, as ``clean_files`` runs them."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as committer:
        commits = []
        for i in range(count):
            pending = fsio.start_write(tmp_path / f"{i:02d}.jpg", bytes([i]) * 100)
            commits.append(committer.submit(group.commit, pending, group.written(pending)))
        if close:
            group.close()
        for commit in commits:
            commit.result(timeout=10)
        committer.submit(group.finish).result()


def test_a_group_commit_makes_several_files_durable_with_one_flush(tmp_path, syncfs):
    group = fsio.GroupCommit(group_size=4)
    _write_and_commit_on_two_threads(tmp_path, group, 8)
    # files 1-4, files 5-8 (and the first renames), the last renames; 2 when the committer starts late
    assert 2 <= syncfs.calls <= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i:02d}.jpg" for i in range(8)]


def test_a_commit_waits_for_the_rest_of_its_group_then_flushes_once_for_all(tmp_path, syncfs):
    from concurrent.futures import ThreadPoolExecutor

    group = fsio.GroupCommit(group_size=4)
    with ThreadPoolExecutor(max_workers=1) as committer:
        commits = []
        for i in range(4):
            pending = fsio.start_write(tmp_path / f"{i}.jpg", b"x")
            commits.append(committer.submit(group.commit, pending, group.written(pending)))
            if i == 0:
                time.sleep(0.2)
                assert syncfs.calls == 0 and not commits[0].done()  # waiting for three more files
        for commit in commits:
            commit.result(timeout=10)
        assert syncfs.calls == 1
        group.close()
        committer.submit(group.finish).result()
    assert syncfs.calls == 2


def test_a_group_cut_short_by_the_end_of_the_batch_is_flushed_at_once(tmp_path, syncfs, monkeypatch):
    monkeypatch.setattr(fsio, "MAX_GROUP_WAIT", 60.0)
    group = fsio.GroupCommit(group_size=4)
    began = time.perf_counter()
    _write_and_commit_on_two_threads(tmp_path, group, 2)
    assert time.perf_counter() - began < 30  # close() ended the wait, not the minute-long limit
    assert syncfs.calls == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00.jpg", "01.jpg"]


def test_a_group_never_waits_forever_for_files_that_do_not_come(tmp_path, syncfs, monkeypatch):
    monkeypatch.setattr(fsio, "MAX_GROUP_WAIT", 0.05)
    group = fsio.GroupCommit(group_size=4)
    _write_and_commit_on_two_threads(tmp_path, group, 1, close=False)
    assert (tmp_path / "00.jpg").exists()


def test_nothing_is_visible_before_the_flush_that_covers_its_group(tmp_path, monkeypatch):
    flushed: set[str] = set()
    written: list[str] = []

    def syncfs(_fd: int) -> int:
        flushed.update(written)
        return 0

    real_start_write = fsio.start_write
    monkeypatch.setattr(fsio, "_syncfs_function", lambda: syncfs)
    group = fsio.GroupCommit(group_size=3)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as committer:
        commits = []
        for i in range(7):
            pending = real_start_write(tmp_path / f"{i}.jpg", b"x")
            written.append(f"{i}.jpg")
            commits.append(committer.submit(group.commit, pending, group.written(pending)))
            visible = {p.name for p in tmp_path.iterdir() if not fsio.is_temp_name(p.name)}
            assert visible <= flushed
        group.close()
        for commit in commits:
            commit.result(timeout=10)
    assert len(list(tmp_path.iterdir())) == 7


def test_a_batch_of_photos_takes_few_flushes(tmp_path, syncfs):
    from geoscrub import jobs
    from geoscrub.model import Policy
    from geoscrub.paths import select
    from tests.builders import core

    photos = tmp_path / "in"
    photos.mkdir()
    for i in range(8):
        (photos / f"{i}.jpg").write_bytes(core.dirty_jpeg())
    target = jobs.Target(out_dir=tmp_path / "out")
    inputs = target.claim_fixed_destinations(select([str(photos)]).inputs)
    outcomes = jobs.clean_files(inputs, target, Policy(), dry_run=False)
    assert [o.action for o in outcomes] == ["cleaned"] * 8
    assert syncfs.calls <= 8 // jobs.COMMIT_GROUP + 1  # was one or more per photo


def test_a_file_leaves_the_page_cache_only_after_the_flush_that_made_it_durable(tmp_path, monkeypatch):
    """Its memory goes back for the next photo's write; the bytes on disk are untouched."""
    events: list[str] = []
    monkeypatch.setattr(fsio, "_syncfs_function", lambda: lambda _fd: events.append("flush") or 0)
    if hasattr(os, "posix_fadvise"):
        real_advise = os.posix_fadvise
        monkeypatch.setattr(fsio.os, "posix_fadvise",
                            lambda fd, offset, length, advice: (events.append(f"drop {advice}"),
                                                                real_advise(fd, offset, length, advice))[1])
    group = fsio.GroupCommit()
    pending = fsio.start_write(tmp_path / "a.jpg", b"photo" * 1000)
    group.commit(pending, group.written(pending))
    assert (tmp_path / "a.jpg").read_bytes() == b"photo" * 1000
    if hasattr(os, "posix_fadvise"):
        assert events == ["flush", f"drop {os.POSIX_FADV_DONTNEED}"]
