"""Windows, macOS and Pyodide, proved on Linux: each Unix-only feature taken away, the same results.

Every command runs in this process (so the monkeypatch reaches it) on the
same photos, once as Linux runs it and once with a feature removed the way
Python lacks it elsewhere (see ``tests/builders/systems.py``).  Clean copies
must be byte-identical, reports and exit codes the same, and the watch
service must deliver the same photos.
"""
from __future__ import annotations

import errno
import io
import os
import re
import shutil
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from geoscrub import api, batch, fsio, oscaps
from geoscrub.cli import main
from geoscrub.errors import NotARegularFile
from geoscrub.watch import WatchConfig, WatchService
from geoscrub.watch.inbox import is_ignored_name
from geoscrub.watch.log import EventLog
from tests.builders import cli as build
from tests.builders import systems
from tests.builders.watch import dirty_jpeg, random_junk, text_named_like_photo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="imitates other systems on Linux (needs /proc); elsewhere the suite runs for real")

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
#: Files read a window at a time above this size in these tests, so the FileView path is taken too.
SMALL_IN_MEMORY_MAX = 16 * 1024


# ---------------------------------------------------------------- the photos and the runs

def make_photos(folder: Path) -> Path:
    """The repository's samples plus built photos: more than MIN_FILES_FOR_WORKERS, one refused."""
    shutil.copytree(SAMPLES, folder)
    for seed in range(4):
        (folder / "built" / f"IMG_{seed:04d}.jpg").parent.mkdir(parents=True, exist_ok=True)
        (folder / "built" / f"IMG_{seed:04d}.jpg").write_bytes(dirty_jpeg(seed, (96, 64), noise=True))
    (folder / "built" / "cut-short.jpg").write_bytes(build.truncated_jpeg())
    (folder / "built" / "Thumbs.db").write_bytes(b"\x00" * 64)  # clutter: skipped, never an error
    assert sum(1 for p in folder.rglob("*") if p.is_file()) > 16  # batch.MIN_FILES_FOR_WORKERS
    return folder


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``folder``: its bytes and permission bits."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
            for p in sorted(folder.rglob("*")) if p.is_file() or p.is_symlink()}


def run_cli(args: list[str], *, encoding: str = "utf-8") -> tuple[int, bytes]:
    """``geoscrub ARGS`` in this process, stdout a file in ``encoding`` that refuses what it cannot hold."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="\n")
    saved = sys.stdout
    sys.stdout = out
    try:
        try:
            main.main(args, prog_name="geoscrub", standalone_mode=True)
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out.flush()
    finally:
        sys.stdout = saved
    return code, raw.getvalue()


@contextmanager
def working_in(folder: Path) -> Iterator[None]:
    """Relative paths in commands, so reports from different folders compare equal."""
    was = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(was)


def run_all_commands(root: Path) -> dict[str, object]:
    """check (words and JSON), clean beside, clean --output, clean --in-place: what each printed and wrote."""
    results: dict[str, object] = {}
    with working_in(root):
        make_photos(root / "photos")
        results["check"] = run_cli(["check", "photos"])
        results["check --json"] = run_cli(["check", "--json", "photos"])
        results["clean --output"] = run_cli(["clean", "--output", "out", "photos"])
        results["output tree"] = tree(root / "out")
        results["clean"] = run_cli(["clean", "photos"])  # NAME.clean.EXT beside: the no-overwrite rename
        results["beside tree"] = tree(root / "photos")
    (root / "again").mkdir()
    with working_in(root / "again"):
        make_photos(root / "again" / "photos")
        results["clean --in-place"] = run_cli(["clean", "--in-place", "photos"])
        results["in-place tree"] = tree(root / "again" / "photos")
    here = os.fsencode(root.resolve())
    return {what: (got[0], got[1].replace(here, b"ROOT")) if isinstance(got, tuple) else got
            for what, got in results.items()}


WATCH_SETTLE = 0.2


def watch_delivers(root: Path, *, poll: bool = True) -> dict[str, object]:
    """``watch --poll`` (or native events) on an inbox with photos in a subfolder and one text file: what came out where."""
    inbox, outbox, quarantine = root / "inbox", root / "outbox", root / "quarantine"
    inbox.mkdir()
    config = WatchConfig(inbox=inbox, outbox=outbox, quarantine=quarantine, poll=poll, settle=WATCH_SETTLE,
                         rescan_every=0.5, status_every=60.0, poll_interval=0.1, workers=2, patience=0.5)
    stream = io.StringIO()
    service = WatchService(config, EventLog(stream=stream, outbox=outbox, quarantine=quarantine))
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    assert service.started.wait(5)
    try:
        (inbox / "album").mkdir()
        (inbox / "album" / "IMG_0001.jpg").write_bytes(dirty_jpeg(1, (64, 48), noise=True))
        (inbox / "IMG_0002.jpg").write_bytes(dirty_jpeg(2, (64, 48), noise=True))
        (inbox / "notes.jpg").write_bytes(text_named_like_photo())
        (inbox / "noise.jpg").write_bytes(random_junk(7, 4000))  # big enough to be looked into
        (inbox / "desktop.ini").write_bytes(b"[.ShellClassInfo]\r\n")  # clutter: left alone
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            left = sorted(p.name for p in inbox.rglob("*") if p.is_file())
            if left == ["desktop.ini"]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"the watch service did not deliver in time; log:\n{stream.getvalue()}")
    finally:
        service.request_stop()
        thread.join(10)
    assert not thread.is_alive()
    return {"outbox": tree(outbox), "errors": service.log.counts.errors,  # tried again: not as on Linux
            "quarantined": sorted(p.relative_to(quarantine).as_posix() for p in quarantine.rglob("*") if p.is_file()),
            "inbox": sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file())}


@pytest.fixture(autouse=True)
def small_in_memory_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "IN_MEMORY_MAX", SMALL_IN_MEMORY_MAX)


@pytest.fixture(autouse=True)
def fresh_cached_answers() -> Iterator[None]:
    systems.forget_cached_answers()
    yield
    systems.forget_cached_answers()


@pytest.fixture(scope="module")
def on_linux(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """What every command gives with everything Linux offers."""
    mp = pytest.MonkeyPatch()
    mp.setattr(api, "IN_MEMORY_MAX", SMALL_IN_MEMORY_MAX)
    try:
        return run_all_commands(tmp_path_factory.mktemp("linux"))
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def watched_on_linux(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return watch_delivers(tmp_path_factory.mktemp("linux-watch"))


def test_the_normal_run_cleans_refuses_and_skips_clutter_as_expected(on_linux: dict[str, object]) -> None:
    """The baseline itself is worth comparing against: photos cleaned, the cut-short one refused."""
    code, words = on_linux["clean --output"]  # type: ignore[misc]
    assert code == 3  # the cut-short photo is refused
    output = on_linux["output tree"]
    assert "built/IMG_0000.jpg" in output and "built/cut-short.jpg" not in output  # type: ignore[operator]
    assert "Thumbs.db" not in words.decode()
    assert on_linux["check"][0] in (1, 3)  # type: ignore[index]  # found something (and one is unreadable)


# ---------------------------------------------------------------- each feature taken away

@pytest.mark.parametrize("removal", list(systems.REMOVALS), ids=list(systems.REMOVALS))
def test_every_command_gives_byte_identical_results_without(removal: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             on_linux: dict[str, object]) -> None:
    systems.REMOVALS[removal](monkeypatch)
    elsewhere = run_all_commands(tmp_path)
    for what, expected in on_linux.items():
        assert elsewhere[what] == expected, f"{what} differs with {removal}"


@pytest.mark.parametrize("removal", list(systems.REMOVALS), ids=list(systems.REMOVALS))
def test_watch_poll_delivers_the_same_photos_without(removal: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      watched_on_linux: dict[str, object]) -> None:
    systems.REMOVALS[removal](monkeypatch)
    delivered = watch_delivers(tmp_path)
    assert delivered == watched_on_linux
    assert set(delivered["outbox"]) == {"album/IMG_0001.jpg", "IMG_0002.jpg"}  # type: ignore[arg-type]
    assert delivered["quarantined"] == ["noise.jpg", "noise.jpg.reason.txt", "notes.jpg", "notes.jpg.reason.txt"]


@pytest.mark.parametrize("removal", ["no-dir_fd", "windows"])
def test_watch_with_native_events_delivers_the_same_photos_without(removal: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   watched_on_linux: dict[str, object]) -> None:
    systems.REMOVALS[removal](monkeypatch)
    assert watch_delivers(tmp_path, poll=False) == watched_on_linux


# ---------------------------------------------------------------- proof each stand-in was the one used

def test_without_pread_reads_seek_and_put_the_position_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    systems.no_pread(monkeypatch)
    path = tmp_path / "data"
    path.write_bytes(bytes(range(256)))
    fd = os.open(path, os.O_RDONLY)
    try:
        os.lseek(fd, 7, os.SEEK_SET)
        assert fsio.read_at(fd, 100, 5) == bytes(range(100, 105))
        assert os.lseek(fd, 0, os.SEEK_CUR) == 7
    finally:
        os.close(fd)


def test_without_nonblocking_open_a_fifo_is_refused_before_it_is_opened(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    systems.no_nonblocking_open(monkeypatch)
    result: list[BaseException] = []
    reader = threading.Thread(target=lambda: _capture(result, lambda: fsio.read_regular_file(fifo)), daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "opening the FIFO blocked"
    assert isinstance(result[0], NotARegularFile)


def test_without_nofollow_a_link_is_refused_by_looking_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "private.jpg"
    secret.write_bytes(build.identifying_jpeg())
    link = tmp_path / "link.jpg"
    link.symlink_to(secret)
    systems.no_nofollow(monkeypatch)
    with pytest.raises(NotARegularFile):
        fsio.read_regular_file(link, follow_symlinks=False)
    assert fsio.read_regular_file(link)[0] == secret.read_bytes()  # named on purpose: followed


def test_a_file_swapped_between_look_and_open_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo, other = tmp_path / "a.jpg", tmp_path / "b.jpg"
    photo.write_bytes(b"a")
    other.write_bytes(b"b")
    systems.no_nofollow(monkeypatch)
    real_open = os.open

    def swap_then_open(path: object, *args: object, **kwargs: object) -> int:
        os.replace(other, photo)
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", swap_then_open)
    with pytest.raises(NotARegularFile):
        fsio.read_regular_file(photo, follow_symlinks=False)


def test_every_file_opened_is_opened_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows translates line ends and stops at Ctrl-Z in text mode: that would corrupt photos."""
    opened: list[tuple[str, int]] = []
    systems.binary_flag(monkeypatch, opened)
    monkeypatch.setattr(batch, "MIN_FILES_FOR_WORKERS", 10_000)  # one process: see every open
    with working_in(tmp_path):
        make_photos(tmp_path / "photos")
        assert run_cli(["clean", "--output", "out", "photos"])[0] == 3
        assert run_cli(["clean", "photos"])[0] == 3
        assert run_cli(["clean", "--in-place", "photos"])[0] == 3
        assert run_cli(["check", "photos"])[0] in (1, 3)
        files = [(path, flags) for path, flags in opened if not os.path.isdir(path)]
    assert len(files) > 40
    assert [path for path, flags in files if not flags & systems.O_BINARY] == []


def test_with_full_fsync_every_copy_is_written_through_the_drive_cache(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    systems.full_fsync(monkeypatch, calls)
    monkeypatch.setattr(oscaps, "group_flush", lambda: None)  # macOS has no syncfs
    with working_in(tmp_path):
        make_photos(tmp_path / "photos")
        monkeypatch.setattr(batch, "MIN_FILES_FOR_WORKERS", 10_000)  # one process: count every call
        run_cli(["clean", "--output", "out", "photos"])
    assert len(calls) >= len(tree(tmp_path / "out"))


def test_a_library_that_raises_type_error_is_no_library(monkeypatch: pytest.MonkeyPatch) -> None:
    systems.cdll_raises_type_error(monkeypatch)
    assert oscaps.c_library() is None
    assert oscaps.c_function("mallopt") is None
    assert oscaps.group_flush() is None
    batch.reuse_freed_buffers()  # no TypeError


class _RecordingLibrary:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return 1


@pytest.mark.parametrize(("libc", "expected_calls"), [(("glibc", "2.36"), 2), (("", ""), 0), (("musl", ""), 0)])
def test_mallopt_is_set_only_on_glibc(libc: tuple[str, str], expected_calls: int,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import platform

    library = _RecordingLibrary()
    monkeypatch.setattr(oscaps, "c_library", lambda: library)
    monkeypatch.setattr(platform, "libc_ver", lambda *a, **k: libc)
    batch.reuse_freed_buffers.cache_clear()
    batch.reuse_freed_buffers()
    assert len(library.calls) == expected_calls


def test_fork_is_used_on_linux_and_spawn_where_fork_is_missing_or_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    assert oscaps.process_start_method() == ("fork" if "fork" in multiprocessing.get_all_start_methods()
                                             else "spawn")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert oscaps.process_start_method() == "spawn"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert oscaps.process_start_method() == "spawn"
    systems.no_multiprocessing(monkeypatch)
    assert oscaps.process_start_method() is None


def test_a_batch_starts_spawned_workers_where_fork_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    systems.no_fork(monkeypatch)
    started: list[str] = []
    import multiprocessing

    real = multiprocessing.get_context

    def recording(method: str | None = None) -> object:
        started.append(str(method))
        return real(method)

    monkeypatch.setattr(multiprocessing, "get_context", recording)
    assert list(batch.map_files(abs, range(-20, 0), workers=2)) == list(range(20, 0, -1))
    assert started == ["spawn"]


def test_without_multiprocessing_a_batch_runs_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    systems.no_multiprocessing(monkeypatch)
    seen: list[int] = []

    def job(n: int) -> int:
        seen.append(os.getpid())
        return n * 2

    assert list(batch.map_files(job, range(30), workers=2)) == [n * 2 for n in range(30)]
    assert set(seen) == {os.getpid()}


def test_without_dir_fd_a_folder_swapped_for_a_link_is_never_read_through(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from geoscrub.watch.beneath import OutsideInbox, open_source

    systems.no_dir_fd(monkeypatch)
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    (inbox / "album").mkdir(parents=True)
    outside.mkdir()
    (outside / "private.jpg").write_bytes(build.identifying_jpeg())
    (inbox / "album" / "private.jpg").write_bytes(b"placeholder")
    with open_source(str(inbox), os.path.join("album", "private.jpg")) as src:
        (inbox / "album").rename(tmp_path / "album-moved")
        (inbox / "album").symlink_to(outside)  # swapped after the look, before the open
        with pytest.raises(OutsideInbox):
            src.open()
    with pytest.raises(OutsideInbox), open_source(str(inbox), os.path.join("album", "private.jpg")):
        pass


#: Calls and flags some systems lack: only ``oscaps`` may use them directly (it knows the stand-ins).
UNIX_ONLY = re.compile(r"os\.(pread|fchmod|O_NONBLOCK|O_NOFOLLOW|O_DIRECTORY|O_CLOEXEC|copy_file_range|"
                       r"sched_getaffinity)\b|ctypes\.CDLL|/proc/self|get_all_start_methods")


def test_unix_only_calls_are_made_through_oscaps_alone() -> None:
    package = Path(__file__).resolve().parent.parent / "geoscrub"
    found = [f"{path.relative_to(package)}:{number}: {line.strip()}"
             for path in sorted(package.rglob("*.py")) if path.name != "oscaps.py"
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if UNIX_ONLY.search(line)]
    assert found == []


# ---------------------------------------------------------------- Windows behaviour

def test_a_rename_blocked_by_another_program_is_tried_again_briefly(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    src, dst = tmp_path / "new", tmp_path / "photo.jpg"
    src.write_bytes(b"new")
    dst.write_bytes(b"old")
    real = os.replace
    failures = [2]

    def busy_twice(a: object, b: object) -> None:
        if failures[0]:
            failures[0] -= 1
            err = PermissionError(errno.EACCES, "used by another process")
            err.winerror = 32  # type: ignore[attr-defined]
            raise err
        real(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", busy_twice)
    slept: list[float] = []
    oscaps.replace(src, dst, sleep=slept.append)
    assert dst.read_bytes() == b"new" and len(slept) == 2


def test_a_plain_permission_error_is_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*_a: object) -> None:
        raise PermissionError(errno.EACCES, "denied")

    monkeypatch.setattr(os, "replace", denied)
    slept: list[float] = []
    with pytest.raises(PermissionError):
        oscaps.replace(tmp_path / "a", tmp_path / "b", sleep=slept.append)
    assert slept == []


def test_cleaning_in_place_waits_for_a_viewer_that_holds_the_photo_open(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(build.identifying_jpeg())
    expected_dir = tmp_path / "expected"
    expected_dir.mkdir()
    shutil.copy(photo, expected_dir / photo.name)
    assert run_cli(["clean", "--in-place", str(expected_dir / photo.name)])[0] == 0
    systems.open_files_stay_put(monkeypatch)
    viewer = open(photo, "rb")  # noqa: SIM115 - closed by the timer, while the clean waits
    closer = threading.Timer(0.15, viewer.close)
    closer.start()
    try:
        code, _ = run_cli(["clean", "--in-place", str(photo)])
    finally:
        closer.join()
    assert code == 0
    assert photo.read_bytes() == (expected_dir / photo.name).read_bytes()


def test_an_emoji_or_japanese_name_on_a_cp1252_stdout_is_escaped_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "My Photos"
    folder.mkdir()
    (folder / "party \U0001f389.jpg").write_bytes(build.identifying_jpeg())
    (folder / "\u65e5\u672c.jpg").write_bytes(build.identifying_jpeg())
    with working_in(tmp_path):
        utf8_code, utf8_words = run_cli(["check", "My Photos"])
        code, words = run_cli(["check", "My Photos"], encoding="cp1252")
        clean_code, clean_words = run_cli(["clean", "--output", "out", "My Photos"], encoding="cp1252")
    assert (code, utf8_code) == (1, 1)
    assert words.decode("cp1252") == utf8_words.decode("utf-8").encode("cp1252", "backslashreplace").decode("cp1252")
    assert b"\\U0001f389" in words and b"\\u65e5\\u672c" in words
    assert clean_code == 0 and b"\\u65e5\\u672c" in clean_words
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["party \U0001f389.jpg", "\u65e5\u672c.jpg"]


def test_a_stream_made_encodable_escapes_what_its_encoding_cannot_hold() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252", errors="strict")
    oscaps.make_encodable(stream)
    stream.write('cleaned "party \U0001f389.jpg" caf\u00e9\n')
    stream.flush()
    assert raw.getvalue() == b'cleaned "party \\U0001f389.jpg" caf\xe9\n'


# ---------------------------------------------------------------- clutter and case

CLUTTER = ["Thumbs.db", "thumbs.db", "desktop.ini", "Desktop.ini", ".DS_Store", "._IMG_0001.jpg", "Icon\r",
           "ehthumbs.db"]


def test_os_clutter_files_are_skipped_not_reported_as_errors(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "IMG_0001.jpg").write_bytes(build.identifying_jpeg())
    for name in CLUTTER:
        (folder / name).write_bytes(b"\x00\x05\x16\x07 not a photo")
    (folder / "System Volume Information").mkdir()
    (folder / "System Volume Information" / "IndexerVolumeGuid").write_bytes(b"{guid}")
    code, words = run_cli(["check", str(folder)])
    assert code == 1  # found something, and no error
    assert b"Thumbs" not in words and b"desktop" not in words and b"Indexer" not in words
    assert all(is_ignored_name(name) for name in CLUTTER)
    assert not is_ignored_name("IMG_0001.jpg")


def test_names_differing_only_in_case_are_never_written_over_each_other(tmp_path: Path) -> None:
    """On Windows and macOS disks IMG_1.JPG and img_1.jpg are one file: the second is refused."""
    folder = tmp_path / "photos"
    folder.mkdir()
    first, second = build.identifying_jpeg(), build.identifying_jpeg(artist="Someone Else")
    assert first != second
    (folder / "IMG_1.JPG").write_bytes(first)
    (folder / "img_1.jpg").write_bytes(second)
    code, words = run_cli(["clean", "--output", str(tmp_path / "out"), str(folder)])
    assert code == 3
    refusal = next(line for line in words.decode().splitlines() if "img_1.jpg" in line)
    # says what differs, and names the other photo (not a copy that does not exist)
    assert "differs from" in refusal and "IMG_1.JPG only in upper/lower case" in refusal, refusal
    assert str(folder / "IMG_1.JPG") in refusal
    written = list((tmp_path / "out").iterdir())
    assert [p.name for p in written] == ["IMG_1.JPG"]
    expected = tmp_path / "expected.jpg"
    assert api.clean(folder / "IMG_1.JPG", expected).error is None
    assert written[0].read_bytes() == expected.read_bytes()


def test_names_differing_only_in_unicode_form_are_one_name(tmp_path: Path) -> None:
    """macOS stores names decomposed: "é" and "e" + combining accent name one file there."""
    composed, decomposed = "caf\u00e9.jpg", "cafe\u0301.jpg"
    assert oscaps.name_key(tmp_path / composed) == oscaps.name_key(tmp_path / decomposed.upper())


def test_names_with_accents_written_two_ways_are_refused_saying_so(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    composed, decomposed = "caf\u00e9.jpg", "cafe\u0301.jpg"
    (folder / composed).write_bytes(build.identifying_jpeg())
    (folder / decomposed).write_bytes(build.identifying_jpeg(artist="Someone Else"))
    if len(list(folder.iterdir())) != 2:
        pytest.skip("this file system stores both forms as one name")
    code, words = run_cli(["clean", "--output", str(tmp_path / "out"), str(folder)])
    assert code == 3
    refusal = next(line for line in words.decode().splitlines() if line.startswith("refused"))
    assert "are the same name with accents written two ways" in refusal, refusal
    assert str(folder / composed) in refusal
    assert len(list((tmp_path / "out").iterdir())) == 1


def _capture(into: list[BaseException], fn: Callable[[], object]) -> None:
    try:
        fn()
    except BaseException as err:  # noqa: BLE001 - handed to the test
        into.append(err)


def test_heap_trimming_is_a_no_op_where_the_c_library_has_no_malloc_trim(monkeypatch) -> None:
    monkeypatch.setattr(oscaps, "runs_on_glibc", lambda: False)  # macOS, Windows, musl, Pyodide
    assert oscaps.heap_trimmer()() is None
    monkeypatch.setattr(oscaps, "runs_on_glibc", lambda: True)
    monkeypatch.setattr(oscaps, "c_function", lambda name: None)  # a glibc without it
    assert oscaps.heap_trimmer()() is None
