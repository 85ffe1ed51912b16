"""Turning Reports into words a 12-year-old understands, and into JSON for scripts.

Nothing here reads files or decides exit codes; it only renders.  Every file
name and value shown is escaped first, so a name holding a terminal escape
sequence or a newline cannot rewrite the screen or forge a line of the report.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._version import __version__
from .errors import DiskFull, GeoscrubError
from .metadata.exif import format_metres
from .model import Category, Finding, Report

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


def _json_path(path: Path | str) -> str:
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


# ---------------------------------------------------------------- JSON

def report_json(report: Report) -> dict[str, object]:
    """The contract: geoscrub_version, path, format, status, findings, location (with GPS), error (on error).

    ``status`` is ``identifying_unreadable`` when findings were read before an
    error: both ``findings`` and ``error`` are then filled.
    """
    obj: dict[str, object] = {
        "geoscrub_version": __version__,
        "path": _json_path(report.path),
        "format": report.format,
        "status": report.status,
        "findings": [f.to_dict() for f in report.findings],
    }
    if report.location is not None:
        loc = report.location
        obj["location"] = {
            "latitude": loc.latitude,
            "longitude": loc.longitude,
            "accuracy_m": loc.accuracy_m,
            "place": loc.place,
        }
    if report.error is not None:
        obj["error"] = error_text(report)
    if report.sight is not None:  # --look: what the picture may show (see report_look)
        obj["visible"] = report.sight.to_json()  # type: ignore[attr-defined]
    return obj


def outcome_json(outcome: CleanOutcome) -> dict[str, object]:
    """A check object plus what clean did: ``action`` and ``output``."""
    obj = report_json(outcome.report)
    obj["action"] = outcome.action
    obj["output"] = _json_path(outcome.output) if outcome.output is not None else None
    if outcome.note:
        obj["note"] = outcome.note
    if outcome.warning:
        obj["warning"] = outcome.warning
    if outcome.rebuildable:
        obj["hint"] = REBUILD_HINT
    if outcome.covered is not None:
        from .report_look import covered_json

        obj.update(covered_json(outcome.covered))
    return obj


def not_started_json(path: Path | str) -> dict[str, object]:
    """A file a stopped ``clean`` never started: the array keeps one object per file, and counts these.

    ``status`` and ``action`` are both ``not_started``: nothing was read, so
    nothing is known about it, and it is exactly as it was.
    """
    return {"geoscrub_version": __version__, "path": _json_path(path), "format": None, "status": "not_started",
            "findings": [], "action": "not_started", "output": None}


def dumps(objects: list[dict[str, object]]) -> str:
    """One JSON array, one file's object per line: readable, and fast to write.

    (``json.dumps(indent=...)`` falls back to the pure-Python encoder, which
    costs more than scanning the photos on a big batch.)
    """
    if not objects:
        return "[]"
    return "[\n" + ",\n".join(json.dumps(o, ensure_ascii=True) for o in objects) + "\n]"


# ---------------------------------------------------------------- human words

def location_text(report: Report) -> str | None:
    loc = report.location
    if loc is None:
        return None
    text = loc.place or f"{loc.latitude:.5f}, {loc.longitude:.5f}"
    if loc.accuracy_m is not None:
        text += f" (to about {format_metres(loc.accuracy_m)})"
    return text


#: Longest single value shown in a bullet (JSON keeps the model's longer preview).
MAX_BULLET_VALUE = 48


def _gps_details(report: Report) -> set[Finding]:
    """GPS entries the location bullet already says: the position, reference letters, precision.

    They carry the same explanation as the GPSPosition finding; GPS entries
    with their own story (altitude, which way the camera faced) keep a bullet.
    """
    position = next((f for f in report.findings if f.key == "GPSPosition"), None)
    if report.location is None or position is None:
        return set()
    return {
        f for f in report.findings
        if f.key.startswith("GPS") and (f.explanation == position.explanation or f.key == "GPSHPositioningError")
    }


#: The last bullet of a file read only up to a problem.
UNREAD_PART = "The rest of the file cannot be read, so it may give away more than this"


def bullets(report: Report) -> list[str]:
    """One plain sentence per kind of thing found, worst first.

    When there are more than ``MAX_BULLETS`` kinds, every category still gets
    its first bullet, so a long list of places never hides that the time is there too.
    """
    ranked = _ranked_bullets(report)
    shown_now, hidden, unread = _split_bullets(report, ranked)
    if not hidden:
        return shown_now + unread
    return shown_now + [f"...and {len(hidden)} more kinds of detail (--json lists every one)"] + unread


def _ranked_bullets(report: Report) -> list[tuple[int, int, str]]:
    """Every bullet as (rank within its category, position, text), in the order found."""
    said = _gps_details(report)
    groups: dict[tuple[Category, str], list[str]] = {}
    for finding in sorted(report.findings, key=lambda f: f.category.severity):
        if finding in said:
            continue
        values = groups.setdefault((finding.category, finding.explanation), [])
        if finding.value and finding.value not in values:
            values.append(finding.value)
    ranked: list[tuple[int, int, str]] = []  # (rank within its category, position, text)
    where = location_text(report)
    if where is not None:
        said_where = VIDEO_WORDS["place"] if report.format in VIDEO_FORMATS else "Shows where it was taken"
        ranked.append((0, 0, f"{said_where}: {where}"))
    seen: dict[Category, int] = {Category.PLACE: len(ranked)}
    for (category, explanation), values in groups.items():
        rank = seen.get(category, 0)
        seen[category] = rank + 1
        ranked.append((rank, len(ranked), _bullet(category, explanation, values)))
    return ranked


def _split_bullets(report: Report, ranked: list[tuple[int, int, str]]) -> tuple[list[str], list[str], list[str]]:
    """(bullets shown, bullets left for "and N more", the unread-part line): worst of each category kept."""
    unread = [UNREAD_PART] if report.error is not None and report.findings else []
    if len(ranked) <= MAX_BULLETS:
        return [text for _, _, text in ranked], [], unread
    keep = sorted(sorted(ranked)[: MAX_BULLETS - 1], key=lambda item: item[1])
    rest = [item for item in ranked if item not in keep]
    return [text for _, _, text in keep], [text for _, _, text in rest], unread


def _cut(value: str) -> str:
    return value if len(value) <= MAX_BULLET_VALUE else value[: MAX_BULLET_VALUE - 1].rstrip() + "…"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DATE = r"(?P<y>\d{4})[:-]?(?P<mo>\d{2})[:-]?(?P<d>\d{2})"
_TIME = r"(?P<h>\d{2}):?(?P<mi>\d{2})(?::?(?P<s>\d{2}))?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
_MOMENT = re.compile(rf"{_DATE}(?:[T ]{_TIME})?")
_TIME_ONLY = re.compile(_TIME)


def _moment(value: str) -> tuple[str | None, str | None] | None:
    """(date, time) of a date or time value in any of the forms cameras write, or None."""
    m = _MOMENT.fullmatch(value.strip())
    if m is None:
        m = _TIME_ONLY.fullmatch(value.strip())
        if m is None or (len(value.strip()) < 4 and ":" not in value):
            return None
    fields = m.groupdict()
    date = None
    if fields.get("y"):
        year, month, day = int(fields["y"]), int(fields["mo"]), int(fields["d"])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        date = f"{day} {_MONTHS[month - 1]} {year}"
    time = None
    if fields.get("h"):
        hour, minute, second = int(fields["h"]), int(fields["mi"]), int(fields["s"] or 0)
        if hour > 23 or minute > 59 or second > 60:
            return None if date is None else (date, None)
        time = f"{hour:02d}:{minute:02d}:{second:02d}" if fields["s"] else f"{hour:02d}:{minute:02d}"
    return date, time


def readable_moments(values: Sequence[str]) -> list[str]:
    """Dates and times as people write them, each moment once.

    A camera stores one moment several ways (EXIF, XMP, IPTC; a fraction of
    a second apart; with a time zone): "2025:06:14 16:03:11, 302,
    2025-06-14T16:03:11.302+01:00" reads as "14 June 2025 at 16:03:11".
    Values that are not dates are kept as they are.
    """
    parsed = [(v, _moment(v)) for v in values]
    has_date = any(m is not None and m[0] is not None for _, m in parsed)
    full = [m for _, m in parsed if m is not None and m[0] and m[1]]
    dates = [m for _, m in parsed if m is not None and m[0] and not m[1]]
    times = [m for _, m in parsed if m is not None and m[1] and not m[0]]
    joined = None
    if not full and len(dates) == 1 and len(times) == 1:  # IPTC: a date and a time in two fields
        joined = (dates[0][0], times[0][1])
    out: list[str] = []
    for value, moment in parsed:
        if moment is None:
            if has_date and value.strip().isdigit() and len(value.strip()) <= 9:
                continue  # a fraction of a second (SubSecTime) of a moment already shown
            text = value
        elif joined is not None:
            text = f"{joined[0]} at {joined[1]}"
        elif moment[0] and not moment[1] and any(f[0] == moment[0] for f in full):
            continue  # the day of a moment already shown
        else:
            text = " at ".join(part for part in moment if part)
        if text not in out:
            out.append(text)
    return out


def _bullet(category: Category, explanation: str, values: list[str]) -> str:
    if category is Category.TIME:
        values = readable_moments(values)
    if category is Category.HIDDEN_IMAGE:
        described = [v for v in values if not v.isdigit()]
        return f"{explanation} ({', '.join(described)})" if described else explanation
    if not values:
        return explanation
    if category is Category.OTHER and len(values) > MAX_VALUES:
        return f"{explanation} ({len(values)} items)"
    separator = "; " if category is Category.TIME else ", "  # "14 June 2025 at 16:03:11; 2 May 2024"
    shown_values = separator.join(_cut(escape(v)) for v in values[:MAX_VALUES])
    if len(values) > MAX_VALUES:
        shown_values += f" and {len(values) - MAX_VALUES} more"
    separator = " " if explanation.endswith(("serial number", ":")) else ": "
    return f"{explanation}{separator}{shown_values}"


def verdict(report: Report) -> str:
    if report.error is not None and not report.findings:
        return f"could not be checked: {error_text(report)}"
    if not report.findings:
        if report.sight is not None:
            from .report_look import shows_something

            if shows_something(report):
                return "nothing hidden in the file gives you away, but the picture may"
        return "nothing found that gives you away"
    found = sorted(report.categories(), key=lambda c: c.severity)
    words = GIVES_AWAY_VIDEO if report.format in VIDEO_FORMATS else GIVES_AWAY
    gives = "gives away " + _join([words[c] for c in found])
    if report.error is not None:
        return f"{gives}, and cannot be cleaned: {error_text(report)}"
    return gives


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _paint(text: str, colour: bool, **style: object) -> str:
    if not colour:
        return text
    import click  # only a terminal paints: the web page's engine has no Click

    return click.style(text, **style)  # type: ignore[arg-type]


def _verdict_style(report: Report) -> dict[str, object]:
    if report.error is not None:
        return {"fg": "yellow", "bold": True}
    if report.findings:
        return {"fg": "red", "bold": True}
    return {"fg": "green"}


def worst_first(reports: Iterable[Report]) -> list[Report]:
    """Errors first, then the most revealing files, then clean ones; ties by path."""
    return sorted(reports, key=lambda r: (r.worst, -len(r.categories()), -len(r.findings), os.fspath(r.path)))


def render_check(reports: list[Report], skipped: list[Path], *, colour: bool = False) -> str:
    """The human report for ``check``: worst file first, bullets, then a summary."""
    lines: list[str] = []
    for report in worst_first(reports):
        label = shown(report.path) + (f" ({report.format})" if report.format else "")
        lines.append(f"{_paint(label, colour, bold=True)}: {_paint(verdict(report), colour, **_verdict_style(report))}")
        lines.extend(f"  - {b}" for b in bullets(report))
        lines.extend(f"  - {b}" for b in _look_bullets(report))
    if lines:
        lines.append("")
    lines.append(check_summary(reports, skipped))
    return "\n".join(lines)


def check_summary(reports: list[Report], skipped: list[Path]) -> str:
    if not reports:
        return _skipped_line(skipped) or "No files found to check."
    n = len(reports)
    readable = [r for r in reports if r.error is None]
    parts = []
    for category in SUMMARY_PHRASES:
        films = [r.format in VIDEO_FORMATS for r in reports if category in r.categories()]
        if films:
            phrases = SUMMARY_PHRASES_VIDEO if all(films) else SUMMARY_PHRASES_MIXED if any(films) else SUMMARY_PHRASES
            parts.append(f"{len(films)} {phrases[category][0 if len(films) == 1 else 1]}")
    text = f"Checked {_count(n, 'file')}."
    if parts:
        text += " " + _capital(_join(parts)) + "."
    clean = sum(1 for r in readable if not r.findings and not (r.sight is not None and _shows(r)))
    if clean:
        text += f" {clean} {'has' if clean == 1 else 'have'} nothing identifying."
    damaged = sum(1 for r in reports if r.error is not None and r.findings)
    if damaged:
        text += f" {damaged} cannot be cleaned, because part of {'it' if damaged == 1 else 'them'} cannot be read."
    errors = n - len(readable) - damaged
    if errors:
        text += f" {errors} could not be checked."
    looked = _look_summary(reports)
    if looked:
        text += " " + looked
    extra = _skipped_line(skipped)
    return text + (f"\n{extra}" if extra else "")


def _look_bullets(report: Report) -> list[str]:
    if report.sight is None:
        return []
    from .report_look import look_bullets

    return look_bullets(report)


def _shows(report: Report) -> bool:
    from .report_look import shows_something

    return shows_something(report)


def _look_summary(reports: Sequence[Report]) -> str:
    if all(r.sight is None for r in reports):
        return ""
    from .report_look import look_summary

    return look_summary(reports)


def _skipped_line(skipped: list[Path]) -> str:
    if not skipped:
        return ""
    return f"Skipped {_count(len(skipped), 'link or special file')} inside folders (geoscrub never follows them)."


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    plural = noun.replace("link or special file", "links or special files")
    return f"{n} {plural if plural != noun else noun + 's'}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------- clean

_ACTION_WORDS = {
    "cleaned": ("cleaned", {"fg": "green"}),
    "already_clean": ("already clean", {"fg": "green"}),
    "already_cleaned": ("already cleaned", {"fg": "green"}),
    "would_clean": ("would clean", {"fg": "cyan"}),
    "refused": ("refused", {"fg": "red", "bold": True}),
    "rebuilt": ("rebuilt", {"fg": "yellow", "bold": True}),
    "would_rebuild": ("would rebuild", {"fg": "yellow"}),
}
#: Lines are printed as the batch goes, so the column is as wide as the longest word there can be.
_ACTION_WIDTH = max(len(word) for word, _ in _ACTION_WORDS.values())


#: A dry run's words for a photo ``--in-place`` would clean: its copy has no other name to show.
IN_PLACE_DRY_RUN = "would be replaced in place"


def clean_lines(outcome: CleanOutcome, *, dry_run: bool, colour: bool = False) -> list[str]:
    """The line for one file (with bullets when it is a dry run), printed as soon as it is done."""
    word, style = _ACTION_WORDS[outcome.action]
    head = _paint(word.ljust(_ACTION_WIDTH), colour, **style) + "  " + shown(outcome.report.path)
    if outcome.action == "refused":
        return [f"{head}: {refusal_text(outcome)}"]
    if outcome.output is not None and outcome.output != outcome.report.path:
        head += f" -> {shown(outcome.output)}"
    elif outcome.action == "would_clean" and outcome.output is not None:
        head += f" ({IN_PLACE_DRY_RUN})"
    if outcome.action == "already_cleaned":
        earlier = [head + " (an earlier run made this copy; nothing to do)"]
        return earlier + ([f"  ! {outcome.warning}"] if outcome.warning else []) + _look_lines(outcome)
    if outcome.report.findings and not dry_run:
        head += f" ({removed_text(outcome.report)})"
    if outcome.note:
        head += f" [{outcome.note}]"
    lines = [head]
    if outcome.warning:
        lines.append(f"  ! {outcome.warning}")
    if dry_run:
        lines.extend(f"  - would remove: {b}" for b in bullets(outcome.report))
    return lines + _look_lines(outcome)


def _look_lines(outcome: CleanOutcome) -> list[str]:
    """--look's lines under a file: what the picture may show, and its covered copy (labelled re-encoded)."""
    lines = [f"  - {b}" for b in _look_bullets(outcome.report)]
    if outcome.covered is not None:
        from .report_look import covered_line

        lines.append(f"  ! {covered_line(outcome.covered)}")
    return lines


def render_clean(outcomes: list[CleanOutcome], skipped: list[Path], *, dry_run: bool, colour: bool = False) -> str:
    """One line per file (with bullets when it is a dry run), then the summary."""
    lines = [line for o in outcomes for line in clean_lines(o, dry_run=dry_run, colour=colour)]
    if lines:
        lines.append("")
    lines.append(clean_summary(outcomes, skipped, dry_run=dry_run))
    return "\n".join(lines)


def removed_text(report: Report) -> str:
    """"removed 7 items: where it was taken and when it was taken" for a cleaned file."""
    return f"removed {_count(len(report.findings), 'item')}: {verdict(report)[len('gives away '):]}"


def extension_note(format_name: str, extension: str) -> str:
    """Why a copy's name ends differently from the original's."""
    return f"it is really a {format_name} file, so the copy ends in {extension}"


def outcome_words(outcome: CleanOutcome) -> dict[str, object]:
    """One file's result in the command line's words, for the web page (and any other host).

    ``word`` is the action as ``clean`` prints it, ``detail`` the rest of its
    line (the reason, for a refusal) and ``bullets`` what the original gave
    away, worst first.  Nothing here is HTML: the page shows it as text.
    """
    report = outcome.report
    if outcome.action == "refused":
        detail, found = refusal_text(outcome), []
    elif outcome.warning:
        detail, found = outcome.warning, []
    elif report.findings:
        detail, found = removed_text(report), bullets(report)
    else:
        detail, found = verdict(report), []
    return {
        "action": outcome.action,
        "word": _ACTION_WORDS[outcome.action][0],
        "detail": detail,
        "bullets": found,
        "note": outcome.note,
        "warning": outcome.warning,
    }


def counts_text(cleaned: int | str, already: int | str, refused: int | str) -> str:
    """How ``clean`` counts its files; the web page fills the same sentence as photos finish."""
    return f"Cleaned {cleaned}, already clean {already}, refused {refused}."


def clean_summary(outcomes: list[CleanOutcome], skipped: list[Path], *, dry_run: bool,
                  not_started: int = 0, stopped_by: str | None = None, disk_full: bool = False) -> str:
    """The closing lines: counts, every refused file again, and what an interruption left undone.

    The photo that found the disk full is not listed again: the line about
    the full disk, just above the counts, already says what happened.
    """
    cleaned = sum(1 for o in outcomes if o.action in ("cleaned", "would_clean"))
    already = sum(1 for o in outcomes if o.action == "already_clean")
    earlier = sum(1 for o in outcomes if o.action == "already_cleaned")
    refused = [o for o in outcomes if o.action == "refused"]
    rebuilt = sum(1 for o in outcomes if o.action in ("rebuilt", "would_rebuild"))
    lines = []
    if stopped_by is not None or disk_full:
        lines.append(stop_text(not_started=not_started, disk_full=disk_full, stopped_by=stopped_by, dry_run=dry_run))
    if dry_run:
        text = f"Dry run, nothing was written: {cleaned} would be cleaned, {already} already clean"
        if rebuilt:
            text += f", {rebuilt} would be rebuilt (re-encoded)"
        text += f", {len(refused)} would be refused."
    else:
        text = counts_text(cleaned, already, len(refused))
        if rebuilt:
            text += f" Rebuilt {rebuilt} (re-encoded: see the warnings above)."
    if earlier:
        text += f" {_count(earlier, 'photo')} had been cleaned by an earlier run: nothing to do."
    recap = [o for o in refused if not isinstance(o.report.error, DiskFull)]
    if recap:
        text += " Refused files are left exactly as they were:"
        text += "".join(f"\n  - {shown(o.report.path)}: {refusal_text(o)}" for o in recap)
    looked = _look_summary([o.report for o in outcomes])
    if looked:
        text += " " + looked
    lines.append(text)
    extra = _skipped_line(skipped)
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def stopped_text(signal_name: str, not_started: int, *, dry_run: bool) -> str:
    """What an interruption did: the photos listed above are done, the rest were not touched."""
    if signal_name == "SIGINT":
        why = "Stopped by Ctrl+C"
    else:
        why = f"Stopped by {signal_name}"
    done = "The photos listed above are done" if not dry_run else "The photos listed above were looked at"
    if not not_started:
        return f"{why}. {done}; nothing was left half-written."
    return (f"{why}. {done}; {_count(not_started, 'photo')} {'was' if not_started == 1 else 'were'} "
            f"not started and {'is' if not_started == 1 else 'are'} exactly as before. Nothing was left half-written.")


def stop_text(*, not_started: int, disk_full: bool, stopped_by: str | None, dry_run: bool) -> str:
    """Why a batch ended early: the full disk (which needs seeing to before a rerun) or the signal."""
    if disk_full:
        return disk_full_text(not_started, dry_run=dry_run)
    assert stopped_by is not None
    return stopped_text(stopped_by, not_started, dry_run=dry_run)


def disk_full_text(not_started: int, *, dry_run: bool) -> str:
    """A batch stopped by a full disk: one line, however many photos were left."""
    if not_started:
        pronoun = "it is" if not_started == 1 else "they are"
        head = f"The disk is full: {_count(not_started, 'photo')} not started ({pronoun} exactly as before)."
    else:
        head = "The disk is full: no photo was left to start."
    done = "The photos listed above are done" if not dry_run else "The photos listed above were looked at"
    return (f"{head} {done} and nothing was left half-written; free some space, then run the same command "
            f"again to finish.")


def stopped_check_text() -> str:
    return "Stopped by Ctrl+C before every photo was checked; nothing was changed."


def existing_file_reason(dest: Path, *, in_output_folder: bool) -> str:
    """Why a copy was not written: its name is taken by a file that is not this photo's copy."""
    fix = "move that file away or choose another --output folder" if in_output_folder else "move that file away first"
    return (f"{shown(dest)} already exists and is not a clean copy of this photo; "
            f"geoscrub never replaces it ({fix})")


def swept_text(count: int) -> str:
    """After removing temp files a stopped run left behind."""
    return f"Removed {_count(count, 'unfinished temp file')} left behind by an earlier run that was stopped."


def already_renamed_note() -> str:
    return "it already has a neutral name and nothing is left to remove, so it was left as it is"


def already_a_copy_note() -> str:
    return "its name says it is a cleaned copy and nothing is left to remove, so no new copy was made"


# ---------------------------------------------------------------- command-line hints

def not_a_command_hint(name: str) -> str:
    """``geoscrub photo.jpg``: say which command was probably meant."""
    quoted = escape(name)
    return (f"No such command '{quoted}'. To look at a photo, put a command before it: "
            f"did you mean `geoscrub check {quoted}` or `geoscrub clean {quoted}`?")


def quotes_hint(parts: Sequence[str], joined: str) -> str:
    """``geoscrub clean My Photos``: the shell split one name with a space into several."""
    listed = _join([f"'{escape(p)}'" for p in parts])
    return (f"{listed} do not exist, but '{escape(joined)}' does. A name with spaces needs quotes "
            f"around it: \"{escape(joined)}\"")


# ---------------------------------------------------------------- the web page's words

#: The page shows its first bullets and keeps the rest behind this button (it has no ``--json``).
PAGE_MORE_DETAILS = "Show all details ({n} more)"
#: The page's count of its list, a part for each outcome that happened: (one photo, several).
PAGE_COUNT_PARTS = {
    "cleaned": ("1 photo cleaned", "{n} photos cleaned"),
    "already_clean": ("1 was already clean", "{n} were already clean"),
    "refused": ("1 could not be cleaned", "{n} could not be cleaned"),
}


def page_outcome_words(outcome: CleanOutcome) -> dict[str, object]:
    """``outcome_words`` for the web page: no command-line flags, and every bullet within reach.

    ``bullets`` are the first ones, worst first; ``more_bullets`` are the rest,
    which the page shows behind ``PAGE_MORE_DETAILS`` instead of pointing at ``--json``.
    """
    words = outcome_words(outcome)
    more: list[str] = []
    if words["bullets"]:
        shown_now, more, unread = _split_bullets(outcome.report, _ranked_bullets(outcome.report))
        words["bullets"] = shown_now + unread
    words["more_bullets"] = more
    return words


def page_counts_text(cleaned: int, already: int, refused: int) -> str:
    """The page's count of its photos: "2 photos cleaned, 1 could not be cleaned." (parts that are 0 are left out)."""
    parts = []
    for key, count in (("cleaned", cleaned), ("already_clean", already), ("refused", refused)):
        if count:
            one, several = PAGE_COUNT_PARTS[key]
            parts.append(one if count == 1 else several.format(n=count))
    return _capital(", ".join(parts)) + "." if parts else ""


def page_copy_note() -> str:
    """An already-cleaned copy chosen again on the page (the command line's ``already_a_copy_note``)."""
    return "its name says it is a cleaned copy and nothing is left to remove, so it is offered as it is"
