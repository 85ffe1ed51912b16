"""The web page's engine: the library's own cleaning and the report package's words for the page (issues 15, 23).

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
from geoscrub.paths import NEUTRAL_STEM
from geoscrub.web.engine import clean_for_page, page_phrases
from tests.builders import core
from tests.web.support import SAMPLES, sample_photos

#: A phone photo with more kinds of detail than the first bullets show.
MANY_KINDS = SAMPLES / "jpeg" / "phone_photo_gps_owner_video.jpg"


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
    assert result["kept_name"] == "holiday.clean.jpg" and (tmp_path / "holiday.clean.jpg").exists()
    assert result["mime"] == "image/jpeg"


def test_page_refusal_gives_the_command_lines_reason(tmp_path: Path) -> None:
    photo = tmp_path / "broken.jpg"
    photo.write_bytes(core.dirty_jpeg()[:300])
    result = clean_for_page(photo.read_bytes(), photo.name)
    printed = CliRunner().invoke(main, ["clean", str(photo)]).output
    assert result["status"] == "refused" and result["word"] == "refused"
    assert result["cleaned"] is None and result["download_name"] is None and result["kept_name"] is None
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
    result = clean_for_page(core.dirty_png(), "screenshot.jpg", neutral=False)
    assert result["download_name"] == result["kept_name"] == "screenshot.clean.png"
    assert result["neutral_name"].endswith(".png")
    assert result["note"] == render.extension_note("PNG", ".png")
    assert result["mime"] == "image/png"


@pytest.mark.parametrize("name", ["../../etc/passwd.jpg", "C:\\Users\\sam\\photo.jpg", "", "..", "/"])
def test_a_browsers_file_name_never_becomes_a_path(name: str) -> None:
    result = clean_for_page(core.dirty_jpeg(), name)
    for copy_name in (result["kept_name"], result["neutral_name"]):
        assert "/" not in copy_name and "\\" not in copy_name
        assert not copy_name.startswith(".")


def test_page_engine_runs_without_click_threads_or_files() -> None:
    """What Pyodide offers: no Click, no threads; the engine must not need them.

    Nor what the built site leaves out: geoscrub's command line and watch
    service, and the standard-library modules the page never uses (issue 23).
    """
    program = """
import sys, threading, builtins
from tests.builders import core  # test helpers first: they may use what the page has not
from tests.web.support import sample_photos
photos = [(p.name, p.read_bytes()) for p in sample_photos()]
dirty = core.dirty_jpeg()
from geoscrub.web.packing import PAGE_NEVER_MODULES, UNUSED_STDLIB
left_out = [name.removesuffix(".py").replace("/", ".") for name in UNUSED_STDLIB] + list(PAGE_NEVER_MODULES)
for name in left_out:
    sys.modules[name] = None
sys.modules["click"] = None
def no_threads(*a, **k): raise RuntimeError("can't start new thread")
threading.Thread.start = no_threads
real_open = builtins.open
def no_files(file, mode="r", *a, **k):
    if any(c in mode for c in "wax+"): raise AssertionError(f"wrote {file}")
    return real_open(file, mode, *a, **k)
builtins.open = no_files
from geoscrub.web.engine import clean_for_page, page_phrases
result = clean_for_page(dirty, "a.jpg")
assert result["status"] == "cleaned", result
for name, data in photos:  # every format, XMP read and places named
    assert clean_for_page(data, name)["status"] == "cleaned", name
assert "click" not in [m for m in sys.modules if sys.modules[m] is not None]
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# ---------------------------------------------------------------- the copy's name (issue 23)

def test_page_copy_gets_a_neutral_name_like_clean_rename_by_default(tmp_path: Path) -> None:
    photo = tmp_path / "IMG_20250614_160311.jpg"
    photo.write_bytes(core.dirty_jpeg())
    result = clean_for_page(photo.read_bytes(), photo.name)
    assert CliRunner().invoke(main, ["clean", "--rename", str(photo)]).exit_code == 0
    by_cli = [p for p in tmp_path.iterdir() if p != photo]
    assert len(by_cli) == 1 and NEUTRAL_STEM.fullmatch(by_cli[0].stem)
    name = Path(result["download_name"])
    assert NEUTRAL_STEM.fullmatch(name.stem) and name.suffix == by_cli[0].suffix
    assert "2025" not in result["download_name"] and result["neutral_name"] == result["download_name"]
    assert clean_for_page(photo.read_bytes(), photo.name)["download_name"] != result["download_name"]  # random


def test_page_keeps_the_original_name_when_asked() -> None:
    result = clean_for_page(core.dirty_jpeg(), "IMG_20250614_160311.jpg", neutral=False)
    assert result["download_name"] == result["kept_name"] == "IMG_20250614_160311.clean.jpg"
    assert NEUTRAL_STEM.fullmatch(Path(result["neutral_name"]).stem)


@pytest.mark.parametrize("neutral", [True, False])
def test_page_never_names_a_copy_clean_clean(neutral: bool) -> None:
    result = clean_for_page(core.dirty_jpeg(), "x.clean.jpg", neutral=neutral)
    assert result["status"] == "cleaned"
    assert result["kept_name"] == "x.clean.jpg"
    assert ".clean.clean" not in result["download_name"]
    fixed = clean_for_page(core.dirty_png(), "x.clean.jpg", neutral=False)
    assert fixed["download_name"] == "x.clean.png"


def test_page_says_an_already_clean_copy_is_one_like_the_cli(tmp_path: Path) -> None:
    copy = tmp_path / "x.clean.jpg"
    copy.write_bytes(core.jpeg())
    printed = CliRunner().invoke(main, ["clean", str(copy)]).output
    assert render.already_a_copy_note() in printed
    result = clean_for_page(copy.read_bytes(), copy.name, neutral=False)
    assert result["status"] == "already_clean" and result["note"] == render.page_copy_note()
    assert result["download_name"] == "x.clean.jpg"


def test_a_neutral_name_is_kept_when_the_photo_already_has_one() -> None:
    result = clean_for_page(core.dirty_jpeg(), "photo-0123456789ab.jpg")
    assert result["download_name"] == "photo-0123456789ab.jpg"


# ---------------------------------------------------------------- the page's own words (issue 23)

def test_page_words_name_no_command_line_flag_and_hide_no_detail() -> None:
    data = MANY_KINDS.read_bytes()
    result = clean_for_page(data, MANY_KINDS.name)
    fmt, found, _ = clean_bytes(data)
    report = Report(MANY_KINDS)
    report.fill(fmt.name, found)
    cli_bullets = render.bullets(report)
    hint = cli_bullets[-1]
    assert "--json" in hint  # the command line's hint is what the page must not say
    everything = result["bullets"] + result["more_bullets"]
    assert result["more_bullets"] and not any("--" in line for line in everything)
    assert result["bullets"][1:] == cli_bullets[1:-1]  # the same first bullets, worst first (the first names the place)
    assert f"{len(result['more_bullets'])} more kinds" in hint  # and every one the command line left out
    assert len(set(everything)) == len(everything)


def test_page_phrases_are_the_pages_own() -> None:
    phrases = page_phrases()
    assert phrases["more"].format(n=5) == "Show all details (5 more)"
    text = render.page_counts_text(1, 0, 0)
    assert text == "1 photo cleaned." and text != render.counts_text(1, 0, 0)
    assert render.page_counts_text(2, 1, 3) == "2 photos cleaned, 1 was already clean, 3 could not be cleaned."
    assert render.page_counts_text(0, 0, 0) == ""
    # the page assembles the same sentence from these parts (see app.js countsText)
    assert phrases["counts"]["cleaned"] == ["1 photo cleaned", "{n} photos cleaned"]
    assert "already clean 0" not in render.page_counts_text(1, 0, 0)


def test_warm_up_loads_every_format_module_before_the_first_photo() -> None:
    """The page warms up while it says "Getting ready", and the build compiles what that loads (issue 23)."""
    program = """
import sys
from geoscrub.web.engine import warm_up
warm_up()
print(" ".join(sorted(m for m in sys.modules if m.startswith("geoscrub.formats."))))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    for module in ("jpeg", "png", "webp", "tiff", "gif", "heif", "video"):
        assert f"geoscrub.formats.{module}" in loaded
