"""Deciding when an upload is complete.

A file is ready when either
* the platform reported close-after-write (inotify) and the file has not
  changed since, for a short grace; or
* its size, mtime and inode have not changed for ``settle`` seconds.

A refusal is final only after the full settle time: a writer that closes
between chunks must not get half a photo quarantined.  A file that looks
unfinished (empty, cut short) is not refused even then: an uploader may hold
it open, or pause on a slow link.  It is looked at again after growing waits
and refused only once it has stayed unchanged for ``patience`` seconds;
any change starts the settling over.  Everything here runs on the service's
main thread.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import NamedTuple

from .beneath import parents_are_real_folders

#: Most seconds a file must stay unchanged after close-after-write (it is
#: also at most half the settle time).  Catches writers that reopen the file.
CLOSE_GRACE = 0.5
#: Most seconds between two looks at a waiting file.
MAX_CHECK_EVERY = 0.5
#: Seconds an unfinished-looking file must stay unchanged before it may be quarantined.
DEFAULT_PATIENCE = 120.0
#: Longest wait between two looks at an unfinished-looking file (the waits double up to this).
MAX_UNFINISHED_WAIT = 30.0
#: Shortest first wait, for a settle time of 0.
MIN_UNFINISHED_WAIT = 0.25


class Signature(NamedTuple):
    """What changes when a file is written to or replaced."""

    dev: int
    ino: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> Signature:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class Kind:
    REGULAR = "regular"
    SYMLINK = "symlink"
    SPECIAL = "special"  # FIFO, socket, device
    HARDLINK = "hardlink"


@dataclass
class Candidate:
    """A file seen in the inbox and not yet handled."""

    rel: str
    sig: Signature | None = None
    since: float = 0.0  # when ``sig`` was first seen (monotonic)
    close_pending: bool = False
    closed_sig: Signature | None = None
    closed_at: float = 0.0
    next_check: float = 0.0
    full_settle_only: bool = False
    retry_at: float = 0.0
    failures: int = 0
    busy: bool = False  # a worker has it
    touched_while_busy: bool = False
    unfinished_looks: int = 0  # looks since the last change that found it empty or cut short
    wait_until: float = 0.0  # no look before this unless it changes


@dataclass(frozen=True)
class Job:
    """A file handed to a worker."""

    rel: str
    kind: str
    sig: Signature
    may_refuse: bool  # True once the file has been stable for the full settle time
    #: True once it has been stable for the patience: even an empty or cut-short file may be refused
    may_refuse_unfinished: bool = False


class SettleTracker:
    """Candidates keyed by relative path, and which of them are ready."""

    def __init__(self, root: str, settle: float, patience: float = DEFAULT_PATIENCE) -> None:
        self.root = root
        self.root_real = os.path.realpath(root)
        self.settle = settle
        self.patience = max(patience, settle)
        self.close_grace = min(settle / 2, CLOSE_GRACE)
        self.check_every = min(MAX_CHECK_EVERY, max(0.02, settle / 5))
        self.candidates: dict[str, Candidate] = {}
        self.ignored: dict[str, Signature] = {}  # special files left in place

    def __len__(self) -> int:
        return len(self.candidates)

    def note(self, rel: str, now: float, *, closed: bool = False) -> None:
        """Something happened to ``rel``: look at it again soon."""
        cand = self.candidates.get(rel)
        if cand is None:
            cand = self.candidates[rel] = Candidate(rel, next_check=now)
        if cand.busy:
            cand.touched_while_busy = True
        if closed:
            cand.close_pending = True
        if not cand.retry_at:
            cand.next_check = min(cand.next_check, now)

    def forget(self, rel: str) -> None:
        self.candidates.pop(rel, None)

    def ignore(self, rel: str, sig: Signature) -> None:
        """Leave this entry alone for as long as it stays the same."""
        self.ignored[rel] = sig
        self.forget(rel)

    def ready(self, now: float) -> list[Job]:
        """Jobs for the candidates that are complete, oldest first."""
        jobs = []
        for cand in list(self.candidates.values()):
            if cand.busy or cand.next_check > now:
                continue
            job = self._check(cand, now)
            if job is not None:
                jobs.append(job)
        jobs.sort(key=lambda j: self.candidates[j.rel].since)
        return jobs

    def _check(self, cand: Candidate, now: float) -> Job | None:
        path = os.path.join(self.root, cand.rel)
        try:
            st = os.lstat(path)
            if not parents_are_real_folders(self.root_real, self.root, cand.rel):
                raise FileNotFoundError(path)  # seen through a symlinked folder: not in the inbox
        except OSError:
            self.forget(cand.rel)  # gone (or unreadable folder): a rescan brings it back
            return None
        sig = Signature.of(st)
        if self.ignored.get(cand.rel) == sig:
            self.forget(cand.rel)
            return None
        self.ignored.pop(cand.rel, None)
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            self.forget(cand.rel)  # the service walks folders itself
            return None
        if stat.S_ISLNK(mode):
            return Job(cand.rel, Kind.SYMLINK, sig, True)
        if not stat.S_ISREG(mode):
            return Job(cand.rel, Kind.SPECIAL, sig, True)
        if sig != cand.sig:
            cand.sig, cand.since = sig, now
            cand.closed_sig = None
            cand.unfinished_looks, cand.wait_until = 0, 0.0  # it moved on: settle again
        if cand.close_pending:
            cand.close_pending = False
            cand.closed_sig, cand.closed_at = sig, now
        if st.st_nlink > 1:
            return Job(cand.rel, Kind.HARDLINK, sig, True)
        if now < cand.wait_until:
            cand.next_check = cand.wait_until  # unchanged and looked unfinished: keep waiting
            return None
        settled_at = cand.since + self.settle
        if now >= settled_at:
            return Job(cand.rel, Kind.REGULAR, sig, True, now >= cand.since + self.patience)
        if not cand.full_settle_only and cand.closed_sig == sig:
            closed_ok_at = cand.closed_at + self.close_grace
            if now >= closed_ok_at:
                return Job(cand.rel, Kind.REGULAR, sig, False)
            settled_at = min(settled_at, closed_ok_at)
        cand.next_check = min(settled_at, now + self.check_every)
        return None

    def start(self, rel: str) -> None:
        cand = self.candidates[rel]
        cand.busy = True
        cand.touched_while_busy = False

    def finish(self, rel: str, now: float, *, done: bool) -> None:
        """A worker is finished with ``rel``; keep watching it unless it was handled."""
        cand = self.candidates.get(rel)
        if cand is None:
            return
        cand.busy = False
        if done and not cand.touched_while_busy:
            self.forget(rel)
            return
        cand.next_check = now

    def not_yet(self, rel: str, now: float) -> None:
        """The file did not make sense yet: wait for the full settle time."""
        cand = self.candidates.get(rel)
        if cand is not None:
            cand.full_settle_only = True
            cand.busy = False
            cand.next_check = now

    def unfinished(self, rel: str, now: float) -> float:
        """It looked empty or cut short: look again after a growing wait; returns the wait.

        The waits double from the settle time up to MAX_UNFINISHED_WAIT, and the
        last look comes when the file has been unchanged for the patience.
        """
        cand = self.candidates.get(rel)
        if cand is None:
            return 0.0
        cand.busy = False
        cand.unfinished_looks += 1
        first = max(self.settle, MIN_UNFINISHED_WAIT)
        wait = min(MAX_UNFINISHED_WAIT, first * 2.0 ** min(cand.unfinished_looks - 1, 32))
        cand.wait_until = min(now + wait, max(now, cand.since + self.patience))
        cand.next_check = now  # a change seen while it was read is picked up at once
        return cand.wait_until - now

    def changed(self, rel: str, now: float) -> None:
        """The file changed while it was read: start settling again."""
        cand = self.candidates.get(rel)
        if cand is not None:
            cand.sig = None
            cand.closed_sig = None
            cand.busy = False
            cand.next_check = now

    def retry_later(self, rel: str, now: float, max_delay: float = 300.0) -> float:
        """Back off after a failure that is not the file's fault; returns the delay."""
        cand = self.candidates.get(rel)
        if cand is None:
            return 0.0
        cand.busy = False
        cand.failures += 1
        delay = min(max_delay, 2.0 ** (cand.failures - 1))
        cand.retry_at = cand.next_check = now + delay
        return delay

    def waiting(self) -> int:
        return sum(1 for c in self.candidates.values() if not c.busy)
