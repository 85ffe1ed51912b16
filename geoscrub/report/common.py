"""What every part of the report shares: what a file gives away, the outcome of cleaning one,
the words for --rebuild, escaping, name clashes, errors, command-line hints.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import GeoscrubError
from ..model import Category, Report

#: Bullets shown per file in the human report; ``--json`` always has everything.
MAX_BULLETS = 10
#: Different values shown in one bullet before "and N more".
MAX_VALUES = 3

#: What a file gives away, finishing the sentence "gives away ...".
GIVES_AWAY = {
    Category.PLACE: "where it was taken",
    Category.PERSON: "who took it or who is in it",
    Category.HIDDEN_IMAGE: "a hidden picture or video",
    Category.DEVICE: "which camera or phone took it",
    Category.TIME: "when it was taken",
    Category.OTHER: "other notes stored in the file",
}

#: The same, for a video (a film is "filmed", not "taken").
GIVES_AWAY_VIDEO = {
    **GIVES_AWAY,
    Category.PLACE: "where it was filmed",
    Category.DEVICE: "which camera or phone filmed it",
    Category.TIME: "when it was filmed",
}

#: Formats that are films (see formats/video.py).
VIDEO_FORMATS = frozenset({"MP4", "MOV", "3GP", "M4V"})

#: Plain words for what a video gives away, used by formats/video_tags.py.
VIDEO_WORDS = {
    "place": "Shows where it was filmed",
    "place_name": "Names the place where it was filmed",
    "timed_gps": "Records where the camera was every second while filming",
    "timed_data": "Has data recorded while filming (such as motion sensors or detected faces)",
    "timecode": "Has a timecode track that tells when it was filmed",
    "text_track": "Has a text track (subtitles or chapter names)",
    "other_track": "Has an extra track that geoscrub does not keep",
    "date": "Tells when the video was filmed or edited:",
    "person": "Names a person",
    "make": "Names the camera or phone maker",
    "model": "Names the camera or phone model",
    "software": "Names the app or software that made it",
    "encoder": "Names the camera or app that encoded the film",
    "serial": "Identifies the camera: serial number",
    "text": "Has a title, comment or description someone typed",
    "note": "Has notes an app or the camera stored about the film",
    "cover": "Hides a cover picture",
    "box": "Carries extra data that geoscrub does not keep",
    "free": "Has leftover data in unused space",
    "unused": "Has hidden data that no film or sound track plays",
    "trailer": "Has extra data after the end of the video",
}

#: Summary wording: (one file, several files).
SUMMARY_PHRASES = {
    Category.PLACE: ("shows where it was taken", "show where they were taken"),
    Category.PERSON: ("names a person", "name a person"),
    Category.HIDDEN_IMAGE: ("hides a picture or video", "hide a picture or video"),
    Category.DEVICE: ("identifies a camera or phone", "identify a camera or phone"),
    Category.TIME: ("tells when it was taken", "tell when they were taken"),
}

#: The same for films, and for photos and films counted together.
SUMMARY_PHRASES_VIDEO = {
    **SUMMARY_PHRASES,
    Category.PLACE: ("shows where it was filmed", "show where they were filmed"),
    Category.TIME: ("tells when it was filmed", "tell when they were filmed"),
}
SUMMARY_PHRASES_MIXED = {
    **SUMMARY_PHRASES,
    Category.PLACE: ("shows where it was taken or filmed", "show where they were taken or filmed"),
    Category.TIME: ("tells when it was taken or filmed", "tell when they were taken or filmed"),
}


@dataclass
class CleanOutcome:
    """What ``clean`` did (or, with ``--dry-run``, would do) with one file."""

    report: Report
    action: str  # "cleaned", "already_clean", "refused", "would_clean", "rebuilt", "would_rebuild"
    output: Path | None = None
    note: str | None = None  # e.g. the extension was corrected
    #: Rebuilt (or would be) from its pixels: the words saying it was re-encoded, and why.
    warning: str | None = None
    #: Refused, but ``--rebuild`` would find a picture in it.
    rebuildable: bool = False
    #: The covered copy (a geoscrub.look.cover.Covered), when --cover asked for one.
    covered: object | None = None


# ---------------------------------------------------------------- --rebuild

#: Told for every photo made again from its pixels, wherever it is reported (never silently).
REBUILT_WARNING = ("re-encoded: this is a new picture made from what the photo shows, because the file could "
                   "not be cleaned without changing it ({why}). It may look very slightly different; nothing "
                   "else from the file was kept")
#: Added when the picture could be decoded only in part.
REBUILT_DAMAGED = "Part of the picture was missing or broken, so some of it may look grey or smeared"
#: Added to a refusal when --rebuild would find a picture in the file.
REBUILD_HINT = "--rebuild can make a new copy from the picture alone, re-encoded"


def rebuilt_warning(why: str, *, damaged: bool) -> str:
    """The warning for a rebuilt photo; ``why`` is the refusal it got around."""
    text = REBUILT_WARNING.format(why=why)
    return f"{text}. {REBUILT_DAMAGED}." if damaged else f"{text}."


def refusal_text(outcome: CleanOutcome) -> str:
    """Why a file was refused, with the --rebuild hint when a rebuild would work."""
    text = error_text(outcome.report)
    return f"{text}; {REBUILD_HINT}" if outcome.rebuildable else text


def rebuilt_extension_note(format_name: str, extension: str) -> str:
    """Why a rebuilt copy's name ends differently from the original's."""
    return f"rebuilt as a {format_name} file, so the copy ends in {extension}"


# ---------------------------------------------------------------- escaping

def escape(text: str) -> str:
    """Printable text only: control and format characters become ``\\xNN``/``\\uNNNN``.

    Bytes that were not valid UTF-8 in a file name (surrogate escapes) are
    shown as the ``\\xNN`` of the original byte.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def shown(path: Path | str) -> str:
    """A path as printed in the human report."""
    return escape(os.fspath(path))


# ---------------------------------------------------------------- names one disk takes for one

#: How a name differs from one already used, when Windows and macOS disks take the two for one name
#: (keys are ``paths.NameClash`` values).
NAME_CLASH_WORDS = {
    "case": "its name differs from {other} only in upper/lower case",
    "accents": "its name and {other} are the same name with accents written two ways",
    "case and accents": "its name differs from {other} only in upper/lower case and in how its accents are written",
}


def name_clash_reason(other: Path | str, dest: Path | str, how: str) -> str:
    """Why a copy is not written: another input of the batch already goes to that name.

    ``other`` is that input, ``dest`` its copy, ``how`` a ``paths.NameClash``.
    """
    if how not in NAME_CLASH_WORDS:
        return f"another file in this batch, {shown(other)}, is also written to {shown(dest)}"
    words = NAME_CLASH_WORDS[how].format(other=shown(other))
    return (f"{words}; Windows and macOS disks (and memory cards) take the two for one name, "
            f"so only {shown(other)} is copied, to {shown(dest)}")


def json_path(path: Path | str) -> str:
    """A path for JSON: exact, except undecodable bytes (which JSON cannot hold) are escaped.

    JSON output is ASCII-only, so control characters arrive as ``\\u001b`` text.
    """
    text = os.fspath(path)
    if any(0xDC80 <= ord(ch) <= 0xDCFF for ch in text):
        return escape(text)
    return text


def error_text(report: Report) -> str:
    """The plain reason first ("file is cut short"), then the technical detail, on one line."""
    err = report.error
    if err is None:
        return ""
    detail, reason = str(err), err.reason
    if type(err) is GeoscrubError or not detail:  # the base class carries its own plain words
        return escape(detail or reason)
    if reason.lower() in detail.lower():
        return escape(detail)
    return escape(f"{reason}: {detail}")


# ---------------------------------------------------------------- command-line hints

def not_a_command_hint(name: str) -> str:
    """``geoscrub photo.jpg``: say which command was probably meant."""
    quoted = escape(name)
    return (f"No such command '{quoted}'. To look at a photo, put a command before it: "
            f"did you mean `geoscrub check {quoted}` or `geoscrub clean {quoted}`?")


def quotes_hint(parts: Sequence[str], joined: str) -> str:
    """``geoscrub clean My Photos``: the shell split one name with a space into several."""
    listed = join_words([f"'{escape(p)}'" for p in parts])
    return (f"{listed} do not exist, but '{escape(joined)}' does. A name with spaces needs quotes "
            f"around it: \"{escape(joined)}\"")


# ---------------------------------------------------------------- small helpers used by every part
def join_words(items: Sequence[str]) -> str:
    """ "a, b and c": a list as a sentence says it."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def paint(text: str, colour: bool, **style: object) -> str:
    """``text`` in colour for a terminal that shows it, else as it is."""
    if not colour:
        return text
    import click  # only a terminal paints: the web page's engine has no Click

    return click.style(text, **style)  # type: ignore[arg-type]


def plural_count(n: int, noun: str) -> str:
    """ "1 photo", "3 photos" (and the one irregular plural the report uses)."""
    if n == 1:
        return f"1 {noun}"
    plural = noun.replace("link or special file", "links or special files")
    return f"{n} {plural if plural != noun else noun + 's'}"


def capitalised(text: str) -> str:
    """The text with its first letter in capitals (the rest untouched)."""
    return text[:1].upper() + text[1:]
