"""The human words of ``check``: bullets worst first, verdicts, readable moments, the summary line.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..metadata.exif import format_metres
from ..model import Category, Finding, Report
from .common import (
    GIVES_AWAY,
    GIVES_AWAY_VIDEO,
    MAX_BULLETS,
    MAX_VALUES,
    SUMMARY_PHRASES,
    SUMMARY_PHRASES_MIXED,
    SUMMARY_PHRASES_VIDEO,
    VIDEO_FORMATS,
    VIDEO_WORDS,
    capitalised,
    error_text,
    escape,
    join_words,
    paint,
    plural_count,
    shown,
)

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
    ranked = ranked_bullets(report)
    shown_now, hidden, unread = split_bullets(report, ranked)
    if not hidden:
        return shown_now + unread
    return shown_now + [f"...and {len(hidden)} more kinds of detail (--json lists every one)"] + unread


def ranked_bullets(report: Report) -> list[tuple[int, int, str]]:
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


def split_bullets(report: Report, ranked: list[tuple[int, int, str]]) -> tuple[list[str], list[str], list[str]]:
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
            from ..report_look import shows_something

            if shows_something(report):
                return "nothing hidden in the file gives you away, but the picture may"
        return "nothing found that gives you away"
    found = sorted(report.categories(), key=lambda c: c.severity)
    words = GIVES_AWAY_VIDEO if report.format in VIDEO_FORMATS else GIVES_AWAY
    gives = "gives away " + join_words([words[c] for c in found])
    if report.error is not None:
        return f"{gives}, and cannot be cleaned: {error_text(report)}"
    return gives






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
        lines.append(f"{paint(label, colour, bold=True)}: {paint(verdict(report), colour, **_verdict_style(report))}")
        lines.extend(f"  - {b}" for b in bullets(report))
        lines.extend(f"  - {b}" for b in sight_bullets(report))
    if lines:
        lines.append("")
    lines.append(check_summary(reports, skipped))
    return "\n".join(lines)


def check_summary(reports: list[Report], skipped: list[Path]) -> str:
    if not reports:
        return skipped_line(skipped) or "No files found to check."
    n = len(reports)
    readable = [r for r in reports if r.error is None]
    parts = []
    for category in SUMMARY_PHRASES:
        films = [r.format in VIDEO_FORMATS for r in reports if category in r.categories()]
        if films:
            phrases = SUMMARY_PHRASES_VIDEO if all(films) else SUMMARY_PHRASES_MIXED if any(films) else SUMMARY_PHRASES
            parts.append(f"{len(films)} {phrases[category][0 if len(films) == 1 else 1]}")
    text = f"Checked {plural_count(n, 'file')}."
    if parts:
        text += " " + capitalised(join_words(parts)) + "."
    clean = sum(1 for r in readable if not r.findings and not (r.sight is not None and _shows(r)))
    if clean:
        text += f" {clean} {'has' if clean == 1 else 'have'} nothing identifying."
    damaged = sum(1 for r in reports if r.error is not None and r.findings)
    if damaged:
        text += f" {damaged} cannot be cleaned, because part of {'it' if damaged == 1 else 'them'} cannot be read."
    errors = n - len(readable) - damaged
    if errors:
        text += f" {errors} could not be checked."
    looked = sight_summary(reports)
    if looked:
        text += " " + looked
    extra = skipped_line(skipped)
    return text + (f"\n{extra}" if extra else "")


def sight_bullets(report: Report) -> list[str]:
    if report.sight is None:
        return []
    from ..report_look import look_bullets

    return look_bullets(report)


def _shows(report: Report) -> bool:
    from ..report_look import shows_something

    return shows_something(report)


def sight_summary(reports: Sequence[Report]) -> str:
    if all(r.sight is None for r in reports):
        return ""
    from ..report_look import look_summary

    return look_summary(reports)


def skipped_line(skipped: list[Path]) -> str:
    if not skipped:
        return ""
    return f"Skipped {plural_count(len(skipped), 'link or special file')} inside folders (geoscrub never follows them)."
