"""--look with the real detectors (the geoscrub[look] extra): words, faces, covered copies, the CLI, watch --hold.

Each case is one small model run on a picture the test draws.  Without the
extra these tests skip, except in CI (GEOSCRUB_REQUIRE_TOOLS=1), where the
extra is installed and a missing one fails.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from PIL import Image

from geoscrub import api
from geoscrub.cli import main
from geoscrub.look.seen import Sight
from tests.builders import look as scenes
from tests.builders.cli import exif_bytes
from tests.builders.core import icc_profile

REQUIRED = os.environ.get("GEOSCRUB_REQUIRE_TOOLS") == "1"


def _extra_or_skip() -> None:
    try:
        import onnxruntime  # noqa: F401
        import rapidocr  # noqa: F401
        from geoscrub.look import detect  # noqa: F401
    except ImportError as err:
        if REQUIRED:
            pytest.fail(f"the look extra is required in CI (GEOSCRUB_REQUIRE_TOOLS=1): {err}")
        pytest.skip(f"needs pip install '.[look]' ({err})")
    if scenes.astronaut_path() is None:
        if REQUIRED:
            pytest.fail("scikit-image's astronaut.png (installed with the look extra) is missing")
        pytest.skip("scikit-image's astronaut.png is missing")


@pytest.fixture(scope="module")
def conditions():
    """The scene damage builders, imported only here: they need numpy, which the core tests must not load."""
    from tests.builders import look_conditions

    return look_conditions


@pytest.fixture(scope="module")
def looker():
    _extra_or_skip()
    from geoscrub.look.run import load

    return load()


def _words(sight: Sight) -> str:
    return " | ".join(w.text.upper() for w in sight.words)


@pytest.mark.parametrize(("text", "height", "angle", "blur"), [
    ("ST MARY'S PRIMARY SCHOOL", 110, 0, 0),
    ("ACACIA AVENUE", 70, 12, 0),
    ("AB12 CDE", 60, -8, 1.5),
    ("HIGH STREET", 60, 180, 0),  # upside down: the orientation step turns the line before reading it
])
def test_words_drawn_at_several_sizes_and_angles_are_read(looker, text, height, angle, blur):
    img = scenes.backdrop(seed=height)
    box = scenes.draw_sign(img, text, height=height, centre=(2200, 1400), angle=angle, blur=blur)
    sight = looker.look(img)
    read = [w for w in sight.words if text.replace(" ", "") in w.text.upper().replace(" ", "")]
    assert read, f"read {_words(sight)!r}"
    assert scenes.overlaps(read[0].box, box)


def test_a_face_is_found_where_it_is(looker):
    img = scenes.backdrop(seed=5)
    face = scenes.place_face(img, scenes.astronaut(), side=260, centre=(1500, 1200))
    sight = looker.look(img)
    assert len(sight.faces) == 1
    assert scenes.overlaps(sight.faces[0].box, face)


def test_a_face_turned_three_quarters_away_is_found(looker, conditions):
    img = scenes.backdrop(seed=6)
    face = scenes.place_face(img, conditions.cameraman(), side=80, centre=(2500, 1500),
                             face_box=conditions.CAMERAMAN_FACE)
    sight = looker.look(img)
    assert [scenes.overlaps(f.box, face) for f in sight.faces] == [True]


def test_words_in_a_very_dark_photo_are_read(looker, conditions):
    img = scenes.backdrop(seed=21)
    box = scenes.draw_sign(img, "HIGH STREET", height=80, centre=(2000, 1200))
    sight = looker.look(conditions.dark(img, 0.03, seed=21))  # 3 % of the light, with sensor noise
    read = [w for w in sight.words if "HIGHSTREET" in w.text.upper().replace(" ", "")]
    assert read, f"read {_words(sight)!r}"
    assert scenes.overlaps(read[0].box, box)


def test_a_dark_photo_without_words_or_faces_shows_neither(looker, conditions):
    sight = looker.look(conditions.dark(scenes.backdrop(seed=9), 0.03, seed=9))
    assert sight.faces == []
    assert len(sight.words) <= 1, _words(sight)


def test_a_photo_without_words_or_faces_shows_neither(looker):
    sight = looker.look(scenes.backdrop(seed=9))
    assert sight.looked
    assert sight.faces == []
    assert len(sight.words) <= 1, _words(sight)  # the target: at most one spurious word per text-free photo


def test_boxes_are_in_pixels_of_the_picture_as_shown(looker):
    """A photo stored sideways (orientation 6) is looked at the way it is shown."""
    img = scenes.backdrop((3000, 2000), seed=3)
    box = scenes.draw_sign(img, "HIGH STREET", height=120, centre=(1500, 1000))
    stored = img.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back clockwise
    data = scenes.jpeg_bytes(stored, exif=exif_bytes(gps=None, artist=None, serial=None, when=None, orientation=6))
    sight = looker.look_at(data)
    assert sight.size == (3000, 2000)
    assert any("HIGH STREET" in w.text.upper() and scenes.overlaps(w.box, box) for w in sight.words), _words(sight)


def test_a_picture_that_cannot_be_decoded_is_not_looked_at(looker):
    sight = looker.look_at(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert not sight.looked
    assert sight.why_not == "the picture is damaged or cut short"  # plain words, never an exception's name
    whole = scenes.jpeg_bytes(scenes.backdrop((640, 480), seed=3))
    assert looker.look_at(whole[: len(whole) // 2]).why_not == "the picture is damaged or cut short"
    assert looker.look_at(b"II*\x00 a raw photo Pillow cannot draw").why_not == "it cannot open this kind of picture"


@pytest.fixture(scope="module")
def street_photo(tmp_path_factory):
    """A 3000 x 2000 JPEG with GPS, an owner and a colour profile, showing a face, a school's name and a plate."""
    _extra_or_skip()
    img = scenes.backdrop((3000, 2000), seed=11)
    school = scenes.draw_sign(img, "OAKFIELD ACADEMY", height=110, centre=(1100, 350))
    plate = scenes.draw_sign(img, "AB12 CDE", height=80, centre=(2300, 1600), colours=((250, 210, 0), (10, 10, 10)))
    face = scenes.place_face(img, scenes.astronaut(), side=220, centre=(800, 1300))
    data = scenes.jpeg_bytes(img, exif=exif_bytes(), icc_profile=icc_profile())
    path = tmp_path_factory.mktemp("street") / "street.jpg"
    path.write_bytes(data)
    return path, {"school": school, "plate": plate, "face": face}


def test_check_look_names_the_face_and_words_worst_first(street_photo):
    path, _ = street_photo
    result = CliRunner().invoke(main, ["check", "--look", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    look = [line.strip("- ").strip() for line in lines if "The picture may show" in line]
    assert look[0] == "The picture may show a face"
    assert look[1] == "The picture may show a school's name and a number plate"
    assert look[2].startswith("The picture may show the words: OAKFIELD ACADEMY")
    assert "AB12 CDE" in look[2]
    assert "1 may show faces or words." in lines[-1]


def test_check_look_json_gives_visible_boxes(street_photo):
    path, where = street_photo
    result = CliRunner().invoke(main, ["check", "--look", "--json", str(path)])
    visible = json.loads(result.output)[0]["visible"]
    assert visible["looked"] is True
    assert [scenes.overlaps(tuple(f["box"]), where["face"]) for f in visible["faces"]] == [True]
    kinds = {w["kind"] for w in visible["words"]}
    assert {"school's name", "number plate"} <= kinds


def test_covered_copy_has_solid_boxes_and_clean_metadata(street_photo, tmp_path):
    src, where = street_photo
    photo = tmp_path / "street.jpg"
    photo.write_bytes(src.read_bytes())
    result = CliRunner().invoke(main, ["clean", "--look", "--cover", "all", "--json", str(photo)])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)[0]
    assert obj["action"] == "cleaned" and obj["output"].endswith("street.clean.jpg")  # the lossless copy as ever
    covered = tmp_path / "street.covered.jpg"
    assert obj["covered_output"] == str(covered) and obj["covered"] == len(obj["boxes"]) >= 3
    data = covered.read_bytes()
    # metadata-clean: a fresh scan finds nothing, and cleaning it again would change nothing
    fmt, found = api.scan_bytes(data)
    assert not found.findings and fmt.name == "JPEG"
    api.verify_clean_copy(fmt, data)
    with Image.open(io.BytesIO(data)) as img:
        assert img.info.get("icc_profile") == icc_profile()  # the colour profile is kept
        assert "exif" not in img.info
        pixels = img.convert("RGB")
    boxes = [tuple(b) for b in obj["boxes"]]
    for left, top, right, bottom in boxes:  # each box is one solid colour (JPEG may ring at the very edge)
        extremes = pixels.crop((left + 6, top + 6, right - 6, bottom - 6)).getextrema()
        assert all(high <= 12 for _low, high in extremes), f"box {left, top, right, bottom} is not solid: {extremes}"
    for name, (left, top, right, bottom) in where.items():  # and covers what was drawn
        centre = ((left + right) // 2, (top + bottom) // 2)
        assert any(b[0] <= centre[0] < b[2] and b[1] <= centre[1] < b[3] for b in boxes), f"{name} not covered"


def test_covered_copy_report_says_re_encoded_and_never_replaces(street_photo, tmp_path):
    src, _ = street_photo
    photo = tmp_path / "street.jpg"
    photo.write_bytes(src.read_bytes())
    (tmp_path / "street.covered.jpg").write_bytes(b"someone else's file")
    result = CliRunner().invoke(main, ["clean", "--look", "--cover", "faces", str(photo)])
    assert result.exit_code == 3
    assert (tmp_path / "street.covered.jpg").read_bytes() == b"someone else's file"
    assert "no covered copy" in result.output
    (tmp_path / "street.covered.jpg").unlink()
    result = CliRunner().invoke(main, ["clean", "--look", "--cover", "faces", str(photo)])
    assert "covered 1 face (re-encoded) -> " in result.output
    assert result.exit_code == 0


def test_watch_hold_faces_sends_a_photo_with_a_face_to_review(street_photo, tmp_path):
    import threading
    import time

    from geoscrub.watch.log import EventLog
    from geoscrub.watch.service import WatchConfig, WatchService

    inbox, outbox, quarantine, review = (tmp_path / n for n in ("in", "out", "q", "review"))
    inbox.mkdir()
    (inbox / "club.jpg").write_bytes(street_photo[0].read_bytes())
    (inbox / "wall.jpg").write_bytes(scenes.jpeg_bytes(scenes.backdrop((1200, 900), seed=2)))
    config = WatchConfig(inbox=inbox, outbox=outbox, quarantine=quarantine, settle=0.05, rescan_every=0.2,
                         poll=True, poll_interval=0.1, hold=frozenset({"faces"}), review=review)
    log = io.StringIO()
    service = WatchService(config, EventLog(stream=log, outbox=outbox, quarantine=quarantine))
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not ((review / "club.jpg.seen.txt").exists() and (outbox / "wall.jpg").exists()) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    service.request_stop()
    thread.join(10)
    assert 'held "club.jpg" -> review' in log.getvalue()
    assert sorted(p.name for p in review.iterdir()) == ["club.jpg", "club.jpg.seen.txt"]
    assert "The picture may show a face" in (review / "club.jpg.seen.txt").read_text()
    assert [p.name for p in outbox.iterdir()] == ["wall.jpg"]
    fmt, found = api.scan_bytes((review / "club.jpg").read_bytes())
    assert not found.findings  # cleaned as usual


def test_an_iphone_heic_photo_is_looked_at_and_covered(tmp_path):
    """HEIC is what iPhones take; Pillow alone cannot open it, so --look must not call it "not looked at"."""
    _extra_or_skip()
    from tests.builders import heif  # registers pillow-heif in this process only: the CLI runs in its own

    img = scenes.backdrop((1600, 1200), seed=5)
    face = scenes.place_face(img, scenes.astronaut(), side=300, centre=(800, 600))
    photo = tmp_path / "IMG_0001.HEIC"
    buf = io.BytesIO()
    img.save(buf, format="HEIF", quality=90, exif=exif_bytes())
    photo.write_bytes(buf.getvalue())
    assert heif.decode(photo.read_bytes())  # a real HEIC
    run = subprocess.run([sys.executable, "-m", "geoscrub", "clean", "--look", "--cover", "faces", "--json",
                          str(photo)], capture_output=True, text=True, timeout=300)
    obj = json.loads(run.stdout)[0]
    assert obj["visible"]["looked"] is True, obj["visible"]
    assert [scenes.overlaps(tuple(f["box"]), face) for f in obj["visible"]["faces"]] == [True]
    covered = tmp_path / "IMG_0001.covered.jpg"
    assert obj["covered_output"] == str(covered) and obj["covered"] == 1
    fmt, found = api.scan_bytes(covered.read_bytes())
    assert fmt.name == "JPEG" and not found.findings


def test_a_file_that_is_not_a_photo_gets_no_look_line(tmp_path):
    """A text file is refused as not a photo; saying geoscrub "could not look at the picture" would be noise."""
    _extra_or_skip()
    (tmp_path / "notes.txt").write_text("not a photo\n")
    result = CliRunner().invoke(main, ["check", "--look", str(tmp_path / "notes.txt")])
    assert "not a photo or video format geoscrub knows" in result.output
    assert "could not look at the picture" not in result.output
    assert "could not be looked at" not in result.output
