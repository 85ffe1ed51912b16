"""Refusals in plain words: what a person reads, not what Python prints (issue 23, item 7)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import geoscrub
from geoscrub.cli import main
from geoscrub.errors import EmptyFile, UnsupportedFormat
from geoscrub.watch import reasons


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
