"""The web page's engine: the library's own cleaning and the command line's own words (issue 15).

These run natively; tests/test_web_page.py runs the same engine in Pyodide.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoscrub import report as render
from geoscrub.api import clean_bytes
from geoscrub.cli import main
from geoscrub.errors import GeoscrubError
from geoscrub.model import Report
from geoscrub.web.engine import clean_for_page, page_phrases
from tests.builders import core
from tests.web.support import sample_photos


@pytest.mark.parametrize("photo", sample_photos(), ids=lambda p: p.name)
def test_page_engine_gives_the_bytes_clean_bytes_gives(photo: Path) -> None:
    data = photo.read_bytes()
    result = clean_for_page(data, photo.name)
    _, found, cleaned = clean_bytes(data)
    assert result["cleaned"] == cleaned
    assert result["status"] == ("cleaned" if found.findings else "already_clean")


def test_page_says_what_the_command_line_says_for_a_cleaned_photo(tmp_path: Path) -> None:
    photo = tmp_path / "holiday.jpg"
    photo.write_bytes(core.dirty_jpeg())
    result = clean_for_page(photo.read_bytes(), photo.name)
    printed = CliRunner().invoke(main, ["clean", str(photo)]).output
    assert result["word"] == "cleaned"
    assert f"({result['detail']})" in printed
    assert result["bullets"] and result["bullets"][0].startswith("Shows where it was taken")
    assert result["download_name"] == "holiday.clean.jpg" and (tmp_path / "holiday.clean.jpg").exists()
    assert result["mime"] == "image/jpeg"


def test_page_refusal_gives_the_command_lines_reason(tmp_path: Path) -> None:
    photo = tmp_path / "broken.jpg"
    photo.write_bytes(core.dirty_jpeg()[:300])
    result = clean_for_page(photo.read_bytes(), photo.name)
    printed = CliRunner().invoke(main, ["clean", str(photo)]).output
    assert result["status"] == "refused" and result["word"] == "refused"
    assert result["cleaned"] is None and result["download_name"] is None
    assert f"{photo}: {result['detail']}" in printed


def test_page_refuses_what_is_not_a_photo_in_plain_words() -> None:
    result = clean_for_page(b"hello, this is text", "notes.txt")
    with pytest.raises(GeoscrubError) as raised:
        clean_bytes(b"hello, this is text")
    expected = Report(Path("notes.txt"), error=raised.value)
    assert result["status"] == "refused"
    assert result["detail"] == render.error_text(expected)


def test_page_already_clean_photo_is_offered_as_it_is() -> None:
    data = core.jpeg()
    result = clean_for_page(data, "plain.jpg")
    assert result["status"] == "already_clean"
    assert result["cleaned"] == clean_bytes(data)[2]
    assert result["detail"] == "nothing found that gives you away" and result["bullets"] == []


def test_page_copy_gets_the_real_formats_extension_with_the_clis_note() -> None:
    result = clean_for_page(core.dirty_png(), "screenshot.jpg")
    assert result["download_name"] == "screenshot.clean.png"
    assert result["note"] == render.extension_note("PNG", ".png")
    assert result["mime"] == "image/png"


@pytest.mark.parametrize("name", ["../../etc/passwd.jpg", "C:\\Users\\sam\\photo.jpg", "", "..", "/"])
def test_a_browsers_file_name_never_becomes_a_path(name: str) -> None:
    result = clean_for_page(core.dirty_jpeg(), name)
    assert "/" not in result["download_name"] and "\\" not in result["download_name"]
    assert not result["download_name"].startswith(".")


def test_page_engine_runs_without_click_threads_or_files() -> None:
    """What Pyodide offers: no Click, no threads; the engine must not need them."""
    program = """
import sys, threading, builtins
sys.modules["click"] = None
def no_threads(*a, **k): raise RuntimeError("can't start new thread")
threading.Thread.start = no_threads
real_open = builtins.open
def no_files(file, mode="r", *a, **k):
    if any(c in mode for c in "wax+"): raise AssertionError(f"wrote {file}")
    return real_open(file, mode, *a, **k)
builtins.open = no_files
from geoscrub.web.engine import clean_for_page, page_phrases
from tests.builders import core
result = clean_for_page(core.dirty_jpeg(), "a.jpg")
assert result["status"] == "cleaned", result
assert "click" not in [m for m in sys.modules if sys.modules[m] is not None]
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_page_counts_photos_in_the_sentence_clean_ends_with(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(core.dirty_jpeg())
    (tmp_path / "b.jpg").write_bytes(core.jpeg())
    (tmp_path / "c.jpg").write_bytes(b"not a photo")
    printed = CliRunner().invoke(main, ["clean", str(tmp_path)]).output
    filled = page_phrases()["counts"].format(cleaned=1, already_clean=1, refused=1)
    assert filled == render.counts_text(1, 1, 1) and filled in printed
