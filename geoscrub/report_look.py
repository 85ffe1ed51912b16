"""The words for what a look at the picture found (``--look``), for the CLI, the watch notes and the web page.

Kept beside ``report.py`` (which holds every other report word) and, like it,
pure Python: the web page's Pyodide worker imports this module to word what its
in-browser detectors found.  It never says a photo is safe: finding nothing is
not reported as "shows nothing", and a picture that was not looked at says so.
"""
from __future__ import annotations

from collections.abc import Sequence

from .look.kinds import KINDS, kind_key, kinds_in
from .look.seen import Sight
from .report import MAX_BULLET_VALUE, escape

#: Lines of words listed in one report line before "and N more"; ``--json`` always has all of them.
MAX_WORDS_SHOWN = 8

#: ``--look`` asked for, but the detectors are not installed (exit code 2).
MISSING_EXTRA = ("Looking at the picture needs the optional detectors, which are not installed. "
                 "Install them with: pip install 'geoscrub[look]'")
#: A picture that could not be decoded: never reported as showing nothing.
NOT_LOOKED_AT = "geoscrub could not look at the picture ({why}), so it may still show faces or words"
#: Videos are not looked at.
VIDEO_NOT_LOOKED_AT = "geoscrub does not look at what a video shows, so it may still show faces or words"
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
    return "The picture may show " + _join(parts)


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
    """ "2 faces", "1 number plate", "3 signs": what a covered copy covered (``words``: the covered lines)."""
    plates = sum(1 for t in words if kind_key(t) == "plate")
    signs = len(words) - plates
    parts = []
    if faces:
        parts.append(f"{faces} face" + ("" if faces == 1 else "s"))
    if signs:
        parts.append(f"{signs} sign" + ("" if signs == 1 else "s"))
    if plates:
        parts.append(f"{plates} number plate" + ("" if plates == 1 else "s"))
    return parts


def covered_text(faces: int, words: Sequence[str]) -> str:
    """ "covered 2 faces, 1 sign (re-encoded)"; "covered nothing it could find (re-encoded)" when nothing was found."""
    parts = covered_parts(faces, words)
    what = ", ".join(parts) if parts else "nothing it could find"
    return f"covered {what} ({COVERED_LABEL})"


def hold_note(sight: Sight, reasons: Sequence[str]) -> str:
    """The note beside a photo held for review: why it was held and what was seen (one fact a line)."""
    lines = [f"Held for a person to look at first, because the picture may show {_join(list(reasons))}."]
    lines += look_lines(sight)
    lines.append(LOOK_CAVEAT)
    return "\n".join(lines) + "\n"


def _cut(value: str) -> str:
    return value if len(value) <= MAX_BULLET_VALUE else value[: MAX_BULLET_VALUE - 1] + "…"


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
