"""``watch --hold faces,words --review DIR``: photos that may show them go to a person first, not the outbox.

Many clubs' safeguarding rules forbid posting a child's face without consent.
A held photo is cleaned as usual, but its clean copy goes to the review folder
with ``NAME.seen.txt`` beside it saying what was seen; the volunteer moves it on.
A photo geoscrub could not look at is held too: not looked at is never "nothing there".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .seen import Sight

if TYPE_CHECKING:
    from .detect import Looker

#: What --hold may name (comma-separated), and what "all" means.
HOLD_CHOICES = ("faces", "words")
#: Suffix of the note beside a held photo.
SEEN_SUFFIX = ".seen.txt"


def parse_hold(text: str) -> frozenset[str]:
    """``"faces,words"`` / ``"all"`` -> the set; raises ValueError naming what is not a choice."""
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    if "all" in wanted:
        return frozenset(HOLD_CHOICES)
    unknown = wanted - set(HOLD_CHOICES)
    if unknown or not wanted:
        raise ValueError(f"--hold takes faces, words or all (comma-separated), not {text!r}")
    return frozenset(wanted)


@dataclass
class Holding:
    """The detectors and what to hold; shared by the watch workers (looking is serialised inside Looker)."""

    looker: Looker
    kinds: frozenset[str]

    @classmethod
    def start(cls, kinds: frozenset[str]) -> Holding:
        """Load the detectors; raises ``run.LookMissing`` when the extra is not installed."""
        from .run import load

        return cls(load(faces="faces" in kinds, words="words" in kinds), kinds)

    def judge(self, data: bytes | None) -> tuple[Sight, list[str]]:
        """(what was seen, why to hold it) for a photo's bytes; no reasons = post it as usual.

        ``data`` None (a photo too big to hold in memory) is not looked at, and held.
        """
        sight = Sight.not_looked_at("it is too big to look at") if data is None else self.looker.look_at(data)
        if not sight.looked:
            return sight, ["something geoscrub could not look at"]
        reasons = []
        if "faces" in self.kinds and sight.faces:
            reasons.append("faces")
        if "words" in self.kinds and sight.words:
            reasons.append("words")
        return sight, reasons

    @staticmethod
    def note(sight: Sight, reasons: list[str]) -> str:
        from ..report_look import hold_note

        return hold_note(sight, reasons)

    @staticmethod
    def summary(sight: Sight, reasons: list[str]) -> str:
        """One line for the log: what was seen, worst first."""
        from ..report_look import look_lines

        lines = look_lines(sight)
        return "; ".join(lines) if lines else "may show " + " and ".join(reasons)
