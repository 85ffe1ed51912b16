"""Ctrl+C and SIGTERM are normal events for ``clean`` (issue 13): a real process, a real signal."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import geoscrub
from geoscrub import fsio
from tests.builders import cli as build

PHOTOS = 100

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX signals and process groups")

#: Runs the real command, with each photo's temp file held a moment before its commit,
#: so the signal lands while photos are in hand (a fast disk would otherwise finish first).
SLOW_CHILD = textwrap.dedent("""
    import sys, time
    from geoscrub import cli, jobs
    start = jobs.Target.start
    def slow_start(*args, **kwargs):
        prepared = start(*args, **kwargs)
        time.sleep(0.03)
        return prepared
    jobs.Target.start = slow_start
    sys.argv = ["geoscrub", *sys.argv[1:]]
    cli.main()
""")


@pytest.fixture(scope="module")
def photo() -> bytes:
    return build.big_jpeg()


def make_batch(folder: Path, photo: bytes) -> dict[str, bytes]:
    folder.mkdir()
    for i in range(PHOTOS):
        (folder / f"IMG_{i:04d}.jpg").write_bytes(photo)
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", SLOW_CHILD, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(Path(geoscrub.__file__).parents[1])})


def interrupt_after_lines(proc: subprocess.Popen[str], signum: int, *, lines: int, whole_group: bool
                          ) -> tuple[list[str], str]:
    """Read ``lines`` per-file lines as they appear, send the signal, then collect the rest."""
    early = [proc.stdout.readline() for _ in range(lines)]  # type: ignore[union-attr]
    (os.killpg if whole_group else os.kill)(proc.pid, signum)
    rest = proc.stdout.read()  # type: ignore[union-attr]  # (communicate would lose what readline buffered)
    proc.wait(timeout=60)
    return early, rest


def is_clean(data: bytes) -> bool:
    return not geoscrub.scan_bytes(data)[1].findings


@pytest.mark.parametrize(
    ("signum", "whole_group", "mode"),
    [
        (signal.SIGINT, True, "--in-place"),  # Ctrl+C in a terminal reaches every process of the group
        (signal.SIGTERM, False, "--in-place"),  # kill PID
        (signal.SIGTERM, True, "--output"),  # systemctl stop, docker stop
    ],
    ids=["ctrl-c-in-place", "kill-in-place", "group-sigterm-output"],
)
def test_a_signal_mid_batch_finishes_the_photo_in_hand_and_leaves_no_temp_files(
        tmp_path, photo, signum, whole_group, mode):
    folder = tmp_path / "photos"
    originals = make_batch(folder, photo)
    out = tmp_path / "out"
    args = ["clean", mode, *([str(out)] if mode == "--output" else []), "photos"]
    proc = start(args, tmp_path)
    early, rest = interrupt_after_lines(proc, signum, lines=3, whole_group=whole_group)
    assert proc.returncode == 128 + signum, rest
    assert all(line.startswith("cleaned ") for line in early), early  # lines appear as the batch goes
    done = [line.split()[1] for line in early + rest.splitlines() if line.startswith("cleaned ")]
    assert 3 <= len(done) < PHOTOS
    assert "Stopped by " + ("Ctrl+C" if signum == signal.SIGINT else "SIGTERM") in rest
    assert f"{PHOTOS - len(done)} photos were not started" in rest
    assert [p for p in tmp_path.rglob("*") if fsio.is_temp_name(p.name)] == []
    done_names = {Path(p).name for p in done}
    for name, data in originals.items():
        now = (folder / name).read_bytes()
        if mode == "--in-place":
            assert is_clean(now) if name in done_names else now == data, name
        else:
            assert now == data
            copy = out / "photos" / name if (out / "photos").exists() else out / name
            assert copy.exists() == (name in done_names), name
            if copy.exists():
                assert is_clean(copy.read_bytes())


def test_after_a_stop_the_same_command_finishes_the_batch(tmp_path, photo):
    folder = tmp_path / "photos"
    make_batch(folder, photo)
    out = tmp_path / "out"
    proc = start(["clean", "--output", str(out), "photos"], tmp_path)
    interrupt_after_lines(proc, signal.SIGINT, lines=2, whole_group=True)
    assert proc.returncode == 130
    again = subprocess.run([sys.executable, "-m", "geoscrub", "clean", "--output", str(out), "photos"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stdout
    assert "had been cleaned by an earlier run" in again.stdout
    assert len(list(out.iterdir())) == PHOTOS


def test_exit_codes_for_a_stop_are_documented():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("<!-- cli:start -->"):readme.index("<!-- cli:end -->")]
    assert "130" in section and "143" in section and "Ctrl+C" in section


def test_in_one_process_a_stop_request_finishes_the_photo_in_hand_and_starts_no_other(tmp_path, monkeypatch):
    from geoscrub import interrupt, jobs

    folder = tmp_path / "photos"
    for i in range(5):
        (folder / f"{i}.jpg").parent.mkdir(exist_ok=True)
        (folder / f"{i}.jpg").write_bytes(build.identifying_jpeg())
    asked = iter([False, False, True, True, True])
    monkeypatch.setattr(interrupt, "requested", lambda: next(asked))
    inputs = jobs.paths_mod.select([str(folder)]).inputs
    outcomes = jobs.clean_files(inputs, jobs.Target(), jobs.Policy(), dry_run=False)
    assert [o.action for o in outcomes] == ["cleaned", "cleaned", "not_started", "not_started", "not_started"]
    assert sorted(p.name for p in folder.iterdir()) == ["0.clean.jpg", "0.jpg", "1.clean.jpg", "1.jpg",
                                                       "2.jpg", "3.jpg", "4.jpg"]


# ---------------------------------------------------------------- what a stop shows (issue 23)

def ctrl_c_after(monkeypatch, photos: int) -> None:
    """A real SIGINT to this process once ``photos`` photos were handled (one process: the test's)."""
    from geoscrub import batch, jobs

    monkeypatch.setattr(batch, "MIN_FILES_FOR_WORKERS", 10_000)
    real = jobs.clean_one
    handled = []

    def then_ctrl_c(*args, **kwargs):
        result = real(*args, **kwargs)
        handled.append(1)
        if len(handled) == photos:
            os.kill(os.getpid(), signal.SIGINT)
        return result

    monkeypatch.setattr(jobs, "clean_one", then_ctrl_c)


def small_batch(folder: Path, count: int = 5) -> Path:
    for i in range(count):
        build.write(folder / f"IMG_{i}.jpg", build.identifying_jpeg())
    return folder


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_after_ctrl_c_the_progress_bar_ends_at_the_photos_done_not_the_total(tmp_path, monkeypatch, capsys):
    from geoscrub.cli import main

    folder = small_batch(tmp_path / "photos")
    ctrl_c_after(monkeypatch, 2)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with pytest.raises(SystemExit) as stopped:
        main(["clean", str(folder)])
    assert stopped.value.code == 130
    assert "3 photos were not started" in capsys.readouterr().out
    bar = terminal.getvalue()
    assert "2/5" in bar and "3/5" not in bar and "5/5" not in bar


def test_an_interrupted_json_run_is_one_array_with_an_object_for_each_photo_not_started(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from geoscrub.cli import main

    folder = small_batch(tmp_path / "photos")
    ctrl_c_after(monkeypatch, 2)
    result = CliRunner().invoke(main, ["clean", "--json", str(folder)])
    assert result.exit_code == 130
    objects = json.loads(result.stdout)
    assert [o["action"] for o in objects] == ["cleaned", "cleaned", "not_started", "not_started", "not_started"]
    assert [o["path"] for o in objects] == [str(folder / f"IMG_{i}.jpg") for i in range(5)]
    assert objects[2] == {"geoscrub_version": geoscrub.__version__, "path": str(folder / "IMG_2.jpg"),
                          "format": None, "status": "not_started", "findings": [], "action": "not_started",
                          "output": None}
    assert "Stopped by Ctrl+C" in result.stderr and "3 photos were not started" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["IMG_0.clean.jpg", "IMG_0.jpg", "IMG_1.clean.jpg",
                                                       "IMG_1.jpg", "IMG_2.jpg", "IMG_3.jpg", "IMG_4.jpg"]


def test_a_stop_is_forgotten_when_its_batch_ends(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from geoscrub import interrupt
    from geoscrub.cli import main

    ctrl_c_after(monkeypatch, 1)
    assert CliRunner().invoke(main, ["clean", str(small_batch(tmp_path / "a", 3))]).exit_code == 130
    assert not interrupt.requested() and interrupt.received() is None
    monkeypatch.undo()
    assert CliRunner().invoke(main, ["clean", str(small_batch(tmp_path / "b", 3))]).exit_code == 0
