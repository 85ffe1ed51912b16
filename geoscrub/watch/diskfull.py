"""Waiting out a full disk: one photo at a time tries again, soon after space returns.

When a clean copy (or a move to the quarantine) fails with "no space left",
every other photo waiting would fail the same way.  So the service stops
handing out photos and lets a single one try again (a probe) after a
short wait that doubles up to ``MOST_WAIT``; the others wait their turn in
the inbox, untouched.  The free space on the outbox's disk is looked at
every second meanwhile: when it grows, the next probe goes at once, so
photos move again about a second after space is freed there (on another
disk, within ``MOST_WAIT``).  The first photo that gets written ends the
spell and everything moves again.  Probes take turns: the photo tried least often goes
first, so one photo too big for the room left does not hold up smaller ones.
Runs on the service's main thread; the clock is passed in.
"""
from __future__ import annotations

import errno
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from .settle import Job

#: Seconds before the first probe after the disk filled up.
FIRST_WAIT = 2.0
#: Longest wait between two probes: space freed is noticed within this.
MOST_WAIT = 30.0
#: Seconds between two looks at the free space while the disk is full.
LOOK_EVERY = 1.0
#: Bytes the free space must grow by to try again before the wait is over.
GROWTH = 64 * 1024
#: errno values meaning "the disk (or the user's quota on it) is full".
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(err: BaseException | None) -> bool:
    """True when ``err``, or the OS error it was raised from, says the disk is full."""
    seen = 0
    while err is not None and seen < 8:
        if isinstance(err, OSError) and err.errno in FULL_ERRNOS:
            return True
        err = err.__cause__ or err.__context__
        seen += 1
    return False


def free_space(folder: Path) -> Callable[[], int | None]:
    """A look at the bytes free on ``folder``'s disk (None when the system cannot say)."""
    def look() -> int | None:
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            return None

    return look


class FullDisk:
    """Whether the disk is full, and when which one photo may try again."""

    def __init__(self, first_wait: float | None = None, most_wait: float | None = None,
                 free: Callable[[], int | None] | None = None) -> None:
        self.first_wait = FIRST_WAIT if first_wait is None else first_wait
        self.most_wait = MOST_WAIT if most_wait is None else most_wait
        self.free = free
        self.free_after_try: int | None = None  # free bytes when the last try failed
        self.next_look = 0.0
        self.full = False
        self.wait = 0.0  # the wait before the next probe
        self.next_try = 0.0
        self.probing: str | None = None  # the photo trying again now
        self.tries: dict[str, int] = {}  # failed tries per photo in this spell

    def may_start(self, now: float) -> bool:
        """Whether a photo may be handed to a worker now."""
        if not self.full:
            return True
        if self.probing is not None:
            return False
        if now < self.next_try and self.free is not None and now >= self.next_look:
            self.next_look = now + LOOK_EVERY
            free = self.free()
            if free is not None and self.free_after_try is not None and free >= self.free_after_try + GROWTH:
                self.next_try = now  # space was freed: try now
        return now >= self.next_try

    def choose(self, jobs: Sequence[Job]) -> list[Job]:
        """The jobs to start: all of them normally; while full, the one tried least often (oldest first)."""
        if not self.full or not jobs:
            return list(jobs)
        return [min(jobs, key=lambda job: self.tries.get(job.rel, 0))]  # min keeps the first of equals

    def started(self, rel: str) -> None:
        if self.full:
            self.probing = rel

    def ran_out(self, rel: str, now: float) -> bool:
        """Writing ``rel`` found no space left; True when this starts a spell (say so once)."""
        self.tries[rel] = self.tries.get(rel, 0) + 1
        if not self.full:
            self.full = True
            self.wait = self.first_wait
            self.next_try = now + self.wait
            self._note_free(now)
            return True
        if rel == self.probing:
            self.probing = None
            self.wait = min(self.most_wait, self.wait * 2)
            self.next_try = now + self.wait
            self._note_free(now)
        return False  # or a photo started before the disk was known to be full: it just waits its turn

    def finished(self, rel: str, now: float, *, wrote: bool) -> bool:
        """``rel`` was handled without running out of space; True when this ends a spell (say so once).

        Only a probe that was written shows there is room again (a photo
        started before the disk filled may have taken the last room); a probe
        that needed no room (gone, not finished yet) hands the turn on at once.
        """
        if not self.full or rel != self.probing:
            return False
        self.probing = None
        if not wrote:
            self.next_try = now
            return False
        self.full = False
        self.tries.clear()
        return True

    def _note_free(self, now: float) -> None:
        self.free_after_try = self.free() if self.free is not None else None
        self.next_look = now + LOOK_EVERY
