"""The pure-Python half of --look: what a line of words is, and the report's words (no detector needed)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from geoscrub.look.kinds import KINDS, RULES, kind_of, kinds_in
from geoscrub.look.seen import SeenFace, SeenWord, Sight
from geoscrub.report_look import covered_text, faces_line, hold_note, look_lines, words_line


@pytest.mark.parametrize(("text", "kind"), [
    ("ST MARY'S PRIMARY SCHOOL", "school's name"),
    ("Oakfield Academy", "school's name"),
    ("Scoil Bhríde", "school's name"),
    ("Grundschule am Park", "school's name"),
    ("12 Acacia Avenue", "address"),
    ("12 School Lane", "address"),
    ("HIGH STREET", "street name"),
    ("Church Rd", "street name"),
    ("Baker St.", "street name"),
    ("Rue de la Paix", "street name"),
    ("SW1A 1AA", "postcode"),
    ("M1 1AE", "postcode"),
    ("D02 X285", "postcode"),
    ("AB12 CDE", "number plate"),
    ("191-D-12345", "number plate"),
    ("AB-123-CD", "number plate"),
])
def test_lines_that_give_a_place_away_are_named(text, kind):
    assert kind_of(text) == kind


@pytest.mark.parametrize("text", ["EXIT", "WAY OUT", "ST MARY'S", "SALE 50% OFF", "Coffee", "hello world", "2024"])
def test_everyday_words_are_no_kind(text):
    assert kind_of(text) is None


def test_rules_can_be_limited_to_countries():
    assert kind_of("D02 X285", countries=["IE"]) == "postcode"
    assert kind_of("D02 X285", countries=["GB"]) is None
    assert all(rule.kind in KINDS for rule in RULES)


def test_kinds_are_counted_worst_first():
    assert list(kinds_in(["AB12 CDE", "HIGH STREET", "ST MARY'S SCHOOL", "AB12 CDF"])) == ["school", "street", "plate"]


def test_faces_are_counted_in_plain_words():
    assert faces_line(1) == "The picture may show a face"
    assert faces_line(3) == "The picture may show 3 faces"


def test_report_lines_are_worst_first_and_name_the_words():
    sight = Sight(words=[SeenWord("AB12 CDE", (0, 0, 9, 9), 0.9), SeenWord("ST MARY'S PRIMARY SCHOOL", (0, 0, 9, 9), 0.9)],
                  faces=[SeenFace((0, 0, 9, 9), 0.8)])
    assert look_lines(sight) == [
        "The picture may show a face",
        "The picture may show a school's name and a number plate",
        "The picture may show the words: ST MARY'S PRIMARY SCHOOL, AB12 CDE",
    ]


def test_many_words_end_in_and_more_and_escapes_control_characters():
    line = words_line([f"WORD{n}" for n in range(12)] + ["\x1b[2J"])
    assert line.endswith("and 5 more")
    assert "\x1b" not in words_line(["\x1b[2J"])


def test_a_picture_not_looked_at_never_shows_nothing():
    lines = look_lines(Sight.not_looked_at("it could not be decoded"))
    assert lines == ["geoscrub could not look at the picture (it could not be decoded), so it may still show faces or words"]
    assert Sight.not_looked_at("x").to_json() == {"looked": False, "why": "x"}


def test_json_gives_words_with_boxes_and_faces():
    sight = Sight(words=[SeenWord("HIGH STREET", (1, 2, 30, 40), 0.9)], faces=[SeenFace((5, 6, 7, 8), 0.7)])
    data = sight.to_json()
    assert data == {"looked": True, "words": [{"text": "HIGH STREET", "box": [1, 2, 30, 40], "kind": "street name"}],
                    "faces": [{"box": [5, 6, 7, 8]}]}
    assert Sight.from_json(data).to_json() == data


def test_covered_copy_is_labelled_re_encoded():
    assert covered_text(2, ["ST MARY'S SCHOOL"]) == "covered 2 faces and 1 school's name (re-encoded)"
    assert covered_text(0, ["AB12 CDE"]) == "covered 1 number plate (re-encoded)"
    assert covered_text(0, []) == "covered nothing it could find (re-encoded)"


def test_covered_words_are_named_by_kind_and_screen_text_is_not_called_a_sign():
    words = ["PASSWORD", "OAKFIELD ACADEMY", "HIGH STREET", "Settings", "YK19 PLX", "MILL LANE"]
    assert covered_text(1, words) == ("covered 1 face, 1 school's name, 2 street names, 1 number plate "
                                      "and 2 other lines of words (re-encoded)")
    assert covered_text(0, ["Settings"]) == "covered 1 line of words (re-encoded)"


def test_hold_note_says_why_and_what_was_seen():
    note = hold_note(Sight(faces=[SeenFace((0, 0, 1, 1), 0.9)] * 2), ["faces"])
    assert note.splitlines()[:2] == ["Held for a person to look at first, because the picture may show faces.",
                                     "The picture may show 2 faces"]


def test_the_words_import_no_numpy_pillow_or_detector():
    code = ("import sys, geoscrub.report_look, geoscrub.look.kinds, geoscrub.look.seen\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'numpy','PIL','onnxruntime','rapidocr'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
