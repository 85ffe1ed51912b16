"""What the page's worker runs when looking: found boxes into report words, and the covered copy made safe.

The models run in the browser (look-worker.js); everything said about what
they found comes from geoscrub's look package, as on the command line.  The
covered copy is drawn and encoded by the browser, then brought back here:
the photo's colour profile is put back in, and the copy goes through the
same clean and verification as every copy, so it leaves the page
metadata-clean or not at all.  Pure Python, no I/O: it runs in Pyodide.
"""
from __future__ import annotations

import json
import struct
from pathlib import PurePosixPath
from typing import Any

from .. import report_look
from ..api import clean_bytes
from ..errors import GeoscrubError, InternalError
from ..formats import jpeg
from ..look import cover
from ..look.kinds import kind_of
from ..look.seen import Box, SeenFace, SeenWord, Sight
from ..paths import CLEAN_MARK, COVERED_MARK

#: An APP2 segment holds at most this much of the profile (65,535 less the length, name and numbering).
_ICC_CHUNK = 65535 - 2 - len(jpeg.ICC_ID) - 2
#: What the page says about the covered copy's colours.
PROFILE_KEPT = "the photo's colour profile is kept"
PROFILE_NONE = "the photo had no colour profile"
NOTHING_FOUND = "It found no faces or words in the picture."
PROFILE_LOST = "the photo's colour profile could not be kept, so colours may look a little different"


def seen_for_page(seen_json: str) -> dict[str, Any]:
    """What the look worker found (JSON: width, height, words [{text, score, box}], faces [{box, score}])
    -> what the page shows: ``lines`` (the report's words, worst first), ``words`` (for ``data-words``),
    ``faces`` (a count), ``note`` and ``boxes`` [{kind, box, label, text}] to draw and cover, padded a little."""
    seen = json.loads(seen_json)
    params = seen.get("params") or {}
    text_score = float(params.get("text_score", 0.6))
    min_characters = int(params.get("min_characters", 2))
    if seen.get("video"):
        return _not_looked(report_look.look_lines(Sight.not_looked_at(report_look.VIDEO_WHY))[0])
    if not seen.get("looked", True):
        return _not_looked(report_look.look_lines(Sight.not_looked_at(str(seen.get("why") or "")))[0])
    width, height = int(seen["width"]), int(seen["height"])
    sight = Sight(
        words=[SeenWord(str(w["text"]).strip(), _box(w["box"]), float(w.get("score", 1.0)))
               for w in seen.get("words", [])
               if float(w.get("score", 1.0)) >= text_score
               and sum(ch.isalnum() for ch in str(w.get("text", ""))) >= min_characters],
        faces=[SeenFace(_box(f["box"]), float(f.get("score", 1.0))) for f in seen.get("faces", [])],
        size=(width, height),
    )
    size = (width, height)
    boxes = [{"kind": "face", "box": list(cover.padded(f.box, size, cover.FACE_PAD_SHARE)), "label": "A face",
              "text": None} for f in sight.faces]
    for word in sight.words:
        kind = kind_of(word.text)
        label = f"The words {word.text}" + (f" (a {kind})" if kind else "")
        boxes.append({"kind": "word", "box": list(cover.padded(word.box, size)), "label": label, "text": word.text})
    lines = report_look.look_lines(sight)
    return {
        "lines": lines,
        "words": [part for word in sight.words for part in word.text.split()],
        "faces": len(sight.faces),
        "boxes": boxes,
        "note": (report_look.LOOK_CAVEAT if lines else f"{NOTHING_FOUND} {report_look.LOOK_CAVEAT}"),
        "looked": True,
    }


def _not_looked(line: str) -> dict[str, Any]:
    """A picture the page could not look at: never said to show nothing."""
    return {"lines": [line], "words": [], "faces": 0, "boxes": [], "note": "", "looked": False}


def covered_words(faces: int, words: list[str], drawn: int) -> str:
    """What a covered copy covered, in the report's words, with the areas the user drew counted too."""
    marked = [f"{drawn} area{'' if drawn == 1 else 's'} you marked"] if drawn else []
    return report_look.covered_text(faces, words, marked)


def _box(values: Any) -> Box:
    left, top, right, bottom = (int(round(float(v))) for v in values)
    return (left, top, right, bottom)


def covered_for_page(encoded: bytes, photo: bytes, name: str, covered: str) -> dict[str, Any]:
    """Finish the browser's covered JPEG: put back ``photo``'s colour profile, clean and verify it.

    ``photo`` is the copy the boxes were drawn on (the clean copy shown on the
    page) and ``name`` the name it is saved under.  Returns ``status`` ("covered" or "refused"), ``cleaned`` (bytes or
    None), ``download_name`` (``NAME.covered.jpg``), ``mime``, ``detail`` and
    ``profile`` (a sentence about the colours).  ``covered`` is JSON {faces, words, drawn}: what
    the boxes filled were (a count of faces, the covered lines of words, a count of areas drawn).
    Never raises for bad bytes.
    """
    shown = _base_name(name)
    try:
        profile = _profile_of(bytes(photo))
        data = bytes(encoded)
        profile_words = PROFILE_NONE if profile is None else PROFILE_KEPT
        if profile is not None:
            data = with_icc_profile(data, profile)
        _, _, cleaned = clean_bytes(data)
    except GeoscrubError as err:
        return _refused(err.reason if hasattr(err, "reason") else str(err))
    except Exception as err:  # noqa: BLE001 - a bug refuses the copy; the page must go on
        return _refused(str(InternalError.from_exception(err)))
    if profile is not None and _profile_of(cleaned) != profile:
        profile_words = PROFILE_LOST
    return {
        "status": "covered",
        "cleaned": cleaned,
        "download_name": covered_name(shown),
        "mime": "image/jpeg",
        "detail": _covered_detail(covered),
        "profile": profile_words,
    }


def covered_name(copy_name: str) -> str:
    """The covered copy's name, from the clean copy's: ``NAME.clean.EXT`` or ``photo-RANDOM.EXT`` ->
    ``NAME.covered.jpg`` / ``photo-RANDOM.covered.jpg`` (never the clean copy's name)."""
    base = _base_name(copy_name)
    mark = f"{CLEAN_MARK}."
    stem = base.rsplit(mark, 1)[0] if mark in base else PurePosixPath(base).stem or base
    return f"{stem}{COVERED_MARK}.jpg"


def with_icc_profile(data: bytes, profile: bytes) -> bytes:
    """``data`` (a JPEG with no profile) with ``profile`` in APP2 segments after its JFIF header."""
    layout = jpeg.parse(data, headers_only=True)
    if any(s.marker == 0xE2 and s.payload(data).startswith(jpeg.ICC_ID) for s in layout.segments):
        raise GeoscrubError("the covered copy already holds a colour profile")
    chunks = [profile[i:i + _ICC_CHUNK] for i in range(0, len(profile), _ICC_CHUNK)]
    if not 0 < len(chunks) < 256:
        raise GeoscrubError("the colour profile is too big for a JPEG")
    segments = b"".join(
        b"\xff\xe2" + struct.pack(">H", 2 + len(jpeg.ICC_ID) + 2 + len(chunk)) + jpeg.ICC_ID
        + bytes((number, len(chunks))) + chunk
        for number, chunk in enumerate(chunks, 1))
    after = 2  # just after SOI, or after the JFIF header when it comes first (JFIF must lead)
    first = layout.segments[0] if layout.segments else None
    if first is not None and first.marker == 0xE0 and first.payload(data).startswith(b"JFIF\x00"):
        after = first.end
    return data[:after] + segments + data[after:]


def _profile_of(photo: bytes) -> bytes | None:
    """The photo's ICC profile when it is a JPEG holding a sound one; else None."""
    if not photo.startswith(b"\xff\xd8"):
        return None
    try:
        layout = jpeg.parse(photo, headers_only=True)
    except GeoscrubError:
        return None
    return jpeg.icc_profile(photo, layout.segments)


def _covered_detail(covered: str) -> str:
    what = json.loads(covered)
    return covered_words(int(what.get("faces", 0)), [str(w) for w in what.get("words", [])], int(what.get("drawn", 0)))


def _refused(detail: str) -> dict[str, Any]:
    return {"status": "refused", "cleaned": None, "download_name": None, "mime": None,
            "detail": f"the covered copy could not be made clean, so it was not saved ({detail})", "profile": None}


def _base_name(name: str) -> str:
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base if base not in ("", ".", "..") else "photo"
