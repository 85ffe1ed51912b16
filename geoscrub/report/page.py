"""The web page's variants of the report words: no command-line flags, every bullet within reach.
"""
from __future__ import annotations

from .check import ranked_bullets, split_bullets
from .clean import outcome_words
from .common import CleanOutcome, capitalised

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
        shown_now, more, unread = split_bullets(outcome.report, ranked_bullets(outcome.report))
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
    return capitalised(", ".join(parts)) + "." if parts else ""


def page_copy_note() -> str:
    """An already-cleaned copy chosen again on the page (the command line's ``already_a_copy_note``)."""
    return "its name says it is a cleaned copy and nothing is left to remove, so it is offered as it is"
