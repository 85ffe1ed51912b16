"""Refusals in plain words: what a person reads, not what Python prints (issue 23, item 7)."""
from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import geoscrub
from geoscrub.cli import main
from geoscrub.errors import EmptyFile, GeoscrubError, UnsupportedFormat
from geoscrub.watch import reasons
from tests.builders import core, hostile


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ------------------------------------------------------------------ an empty file --

def test_an_empty_file_is_refused_as_empty_not_as_an_unknown_format():
    with pytest.raises(EmptyFile) as raised:
        geoscrub.clean_bytes(b"")
    assert isinstance(raised.value, UnsupportedFormat)  # still no photo: handled like one that is not a photo
    assert "empty" in str(raised.value)


def test_check_and_clean_say_an_empty_file_is_empty(tmp_path: Path):
    empty = tmp_path / "IMG_0001.jpg"
    empty.write_bytes(b"")
    checked = run("check", str(empty))
    assert checked.exit_code == 3
    assert "the file is empty" in checked.stdout and "unsupported format" not in checked.stdout
    [obj] = json.loads(run("check", "--json", str(empty)).stdout)
    assert obj["status"] == "error" and obj["error"].startswith("the file is empty")
    cleaned = run("clean", str(empty))
    assert cleaned.exit_code == 3 and "the file is empty" in cleaned.stdout
    assert "--rebuild" not in cleaned.stdout  # nothing to make a picture from


def test_a_file_that_is_not_a_photo_still_lists_the_kinds_geoscrub_knows(tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"hello")
    assert "not a photo or video format geoscrub knows" in run("check", str(notes)).stdout


def test_the_quarantine_note_for_an_empty_upload_says_it_is_empty():
    err = EmptyFile()
    sentence = reasons.refusal_for_error(err)
    assert "empty" in sentence and "kind of photo" not in sentence
    note = reasons.reason_text("IMG_0001.jpg", sentence, str(err))
    assert "Why: the file is empty" in note


# ------------------------------------------------- chunk and box types as plain text --

#: How Python prints bytes: b'IDAT', b"...", bytearray(...).  Never part of a message a person reads.
PYTHON_BYTES = re.compile(r"""(?<![A-Za-z0-9])b['"]|bytearray\(|memoryview\(""")


def refusal(data: bytes) -> str:
    try:
        geoscrub.clean_bytes(data)
    except GeoscrubError as err:
        return str(err)
    return ""


def test_a_png_chunk_cut_short_is_named_as_text():
    png = core.dirty_png()
    at = png.index(b"IDAT")
    message = refusal(png[: at + 20])
    assert "PNG chunk IDAT runs past the end" in message and not PYTHON_BYTES.search(message)


def test_an_unknown_critical_png_chunk_is_named_as_text():
    odd = core.png(before_idat=[core.png_chunk(b"QRST", b"x")])
    assert "unknown critical PNG chunk QRST" in refusal(odd)


def test_webp_chunks_are_named_as_text():
    webp = core.dirty_webp()
    body = webp[12:]
    past_riff = webp[:4] + struct.pack("<I", len(body) - 10) + webp[8:]  # the RIFF ends inside the last chunk
    assert not PYTHON_BYTES.search(refusal(past_riff))
    odd_first = webp[:12] + b"ABCD" + webp[16:]
    message = refusal(odd_first)
    assert "chunk ABCD" in message and not PYTHON_BYTES.search(message)


def test_a_type_that_is_not_text_is_shown_with_escapes_never_as_python_bytes():
    from geoscrub._binary import type_name

    assert type_name(b"ID\x00T") == "ID\\x00T"
    assert type_name(b"IDAT") == "IDAT"


def test_no_refusal_of_any_damaged_file_shows_python_bytes():
    """Hundreds of mutants of every format's samples: every message reads as text."""
    checked = 0
    for name, seeds in sorted(hostile.seed_files().items()):
        for index, seed in enumerate(seeds[:6]):
            for round_ in range(40):
                message = refusal(hostile.mutation(seed, index, round_, base_seed=23))
                assert not PYTHON_BYTES.search(message), (name, index, round_, message)
                checked += 1
    assert checked > 500


# ------------------------------------------------------------- Pillow stays quiet --

def _geoscrub(*args: str) -> subprocess.CompletedProcess[str]:
    """geoscrub in a fresh process, with Python's own warning settings (pytest changes them here)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    return subprocess.run([sys.executable, "-m", "geoscrub", *args], capture_output=True, text=True, env=env,
                          timeout=60)


@pytest.mark.parametrize("how", [["clean", "--dry-run"], ["clean"], ["clean", "--rebuild", "--dry-run"]])
def test_pillow_warnings_about_a_damaged_tiff_never_reach_stderr(tmp_path: Path, how: list[str]):
    from tests.builders import tiff as tb

    damaged = tmp_path / "scan.tif"
    damaged.write_bytes(tb.dirty_tiff()[:92])  # cut inside its first directory: Pillow warns "Corrupt EXIF data"
    result = _geoscrub(*how, str(damaged))
    assert result.returncode == 3, result.stdout
    assert result.stdout.startswith("refused") or result.stdout.startswith("would")
    assert result.stderr == ""


def test_a_rebuild_lets_no_pillow_warning_through_but_leaves_other_warnings_alone():
    import warnings

    from geoscrub import rebuild
    from tests.builders import tiff as tb

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rebuild.can_decode(tb.dirty_tiff()[:92])
        warnings.warn("a warning of the caller's own", UserWarning)
    assert [str(w.message) for w in caught] == ["a warning of the caller's own"]
