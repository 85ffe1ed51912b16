"""The words for what a look at the picture found (``--look``), for the CLI, the watch notes and the web page.

Kept beside the ``report`` package (which holds every other report word) and, like it,
pure Python: the web page's Pyodide worker imports this module to word what its
in-browser detectors found.  It never says a photo is safe: finding nothing is
not reported as "shows nothing", and a picture that was not looked at says so.
"""
from __future__ import annotations

from collections.abc import Sequence

from .look import INSTALL_HINT
from .look.kinds import KIND_NAMES, KINDS, kind_key, kinds_in
from .look.seen import Sight
from .report.check import MAX_BULLET_VALUE
from .report.common import escape, join_words

#: Lines of words listed in one report line before "and N more"; ``--json`` always has all of them.
MAX_WORDS_SHOWN = 8

#: ``--look`` asked for, but the detectors are not installed (exit code 2).
MISSING_EXTRA = ("Looking at the picture needs the optional detectors, which are not installed. "
                 f"Install them with: {INSTALL_HINT}")
#: A picture that could not be decoded: never reported as showing nothing.
NOT_LOOKED_AT = "geoscrub could not look at the picture ({why}), so it may still show faces or words"
#: Why a video is not looked at (one frame would be a false comfort).
VIDEO_WHY = "it is a video, and geoscrub looks only at photos"
#: Said once under a report that looked: finding nothing never means nothing is there.
LOOK_CAVEAT = ("geoscrub can miss small or distant faces, faces turned away, and tiny or tilted words, "
               "so look at each photo yourself too.")
#: Said with every covered copy: it is a new picture.
COVERED_LABEL = "re-encoded"


def _plural(n: int, one: str, several: str) -> str:
    return one if n == 1 else f"{n} {several}"


def faces_line(count: int) -> str:
    """ "The picture may show a face" / "The picture may show 3 faces"."""
    return "The picture may show " + _plural(count, "a face", "faces")


def kinds_line(kinds: dict[str, int]) -> str:
    """ "The picture may show a school's name and a number plate" (``kinds``: KINDS key -> count)."""
    parts = [_plural(n, KINDS[k][0], KINDS[k][1]) for k, n in kinds.items()]
    return "The picture may show " + join_words(parts)


def words_line(texts: Sequence[str]) -> str:
    """ "The picture may show the words: ST MARY'S PRIMARY SCHOOL, AB12 CDE" (escaped, cut, and N more)."""
    shown = [_cut(escape(t)) for t in texts[:MAX_WORDS_SHOWN]]
    more = len(texts) - len(shown)
    text = "The picture may show the words: " + ", ".join(shown)
    return text + (f" and {more} more" if more > 0 else "")


def ordered_words(sight: Sight) -> list[str]:
    """The words, worst first: those of a kind (school before street before plate), then the rest as read."""
    order = {kind: n for n, kind in enumerate(KINDS)}
    texts = [w.text for w in sight.words]
    return sorted(texts, key=lambda t: order.get(kind_key(t) or "", len(order)))


def look_lines(sight: Sight) -> list[str]:
    """What the picture may show, worst first: faces, then kinds of words, then the words themselves."""
    if not sight.looked:
        return [NOT_LOOKED_AT.format(why=sight.why_not or "it could not be decoded")]
    lines = []
    if sight.faces:
        lines.append(faces_line(len(sight.faces)))
    kinds = kinds_in(w.text for w in sight.words)
    if kinds:
        lines.append(kinds_line(kinds))
    if sight.words:
        lines.append(words_line(ordered_words(sight)))
    return lines


def shows_summary(showing: int, not_looked: int) -> str:
    """The summary's sentence: "2 may show faces or words. 1 could not be looked at." ("" when neither)."""
    text = ""
    if showing:
        text += f"{showing} may show faces or words."
    if not_looked:
        text += (" " if text else "") + f"{not_looked} could not be looked at."
    return text


def covered_parts(faces: int, words: Sequence[str]) -> list[str]:
    """ "2 faces", "1 school's name", "1 number plate", "3 other lines of words": what a covered copy covered.

    ``words`` are the covered lines.  Lines are named by their kind (worst first, from the one
    table in ``look.kinds``); the rest are only "lines of words", never "signs": a phone screen or a
    T-shirt is not a sign.
    """
    parts = [f"{faces} face" + ("" if faces == 1 else "s")] if faces else []
    counts = kinds_in(words)
    parts += [f"{n} {KIND_NAMES[kind] if n == 1 else KINDS[kind][1]}" for kind, n in counts.items()]
    others = len(words) - sum(counts.values())
    if others:
        parts.append(f"{others} {'other ' if counts else ''}line{'' if others == 1 else 's'} of words")
    return parts


def covered_text(faces: int, words: Sequence[str], extra: Sequence[str] = ()) -> str:
    """ "covered 2 faces and 1 school's name (re-encoded)"; "covered nothing it could find (re-encoded)".

    ``extra``: more parts to name last (the page's "1 area you marked").
    """
    parts = covered_parts(faces, words) + list(extra)
    what = join_words(parts) if parts else "nothing it could find"
    return f"covered {what} ({COVERED_LABEL})"


def hold_note(sight: Sight, reasons: Sequence[str]) -> str:
    """The note beside a photo held for review: why it was held and what was seen (one fact a line)."""
    lines = [f"Held for a person to look at first, because the picture may show {join_words(list(reasons))}."]
    lines += look_lines(sight)
    lines.append(LOOK_CAVEAT)
    return "\n".join(lines) + "\n"


def _cut(value: str) -> str:
    return value if len(value) <= MAX_BULLET_VALUE else value[: MAX_BULLET_VALUE - 1] + "…"


# ---------------------------------------------------------------- hooks used by report/check.py

def sight_of(report: object) -> Sight | None:
    """The Sight a report carries when --look was asked for."""
    sight = getattr(report, "sight", None)
    return sight if isinstance(sight, Sight) else None


def look_bullets(report: object) -> list[str]:
    """The look lines for one file's report ([] when --look was not asked for)."""
    sight = sight_of(report)
    return [] if sight is None else look_lines(sight)


def shows_something(report: object) -> bool:
    sight = sight_of(report)
    return sight is not None and sight.looked and sight.shows_anything


def look_summary(reports: Sequence[object]) -> str:
    """The summary's look sentence for these reports ("" when --look was not asked for)."""
    sights = [s for s in (sight_of(r) for r in reports) if s is not None]
    return shows_summary(sum(1 for s in sights if s.looked and s.shows_anything),
                         sum(1 for s in sights if not s.looked))


def covered_line(covered: object) -> str:
    """ "covered 2 faces and 1 street name (re-encoded) -> NAME.covered.jpg", or why the covered copy was not written."""
    from .report import shown

    if getattr(covered, "error", None) is not None:
        return f"no covered copy: {covered.error}"  # type: ignore[attr-defined]
    text = covered_text(covered.faces, covered.words)  # type: ignore[attr-defined]
    if not getattr(covered, "written", True):
        text = "would write a copy with " + text
    output = getattr(covered, "output", None)
    return text + (f" -> {shown(output)}" if output is not None else "")


def covered_json(covered: object) -> dict[str, object]:
    """``covered`` (boxes filled), ``boxes`` and ``covered_output`` (or ``covered_error``) for --json."""
    if getattr(covered, "error", None) is not None:
        return {"covered": 0, "boxes": [], "covered_output": None, "covered_error": str(covered.error)}  # type: ignore[attr-defined]
    output = covered.output  # type: ignore[attr-defined]
    return {"covered": len(covered.boxes), "boxes": [list(b) for b in covered.boxes],  # type: ignore[attr-defined]
            "covered_output": None if output is None else str(output), "covered_label": COVERED_LABEL}
