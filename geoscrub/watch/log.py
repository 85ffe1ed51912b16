"""What the service tells people: one line per file, status lines, JSON for machines.

Names come from uploaders, so they are escaped: a newline or a terminal
escape in a file name cannot forge or hide a log line.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from . import reasons
from .reasons import escape_name
from .worker import Outcome, Result


def _safe_text(text: str) -> str:
    """Free text (error details) on one printable line."""
    return escape_name(text)[1:-1]


class Counts:
    def __init__(self) -> None:
        self.cleaned = 0
        self.refused = 0
        self.skipped = 0
        self.errors = 0

    def add(self, result: str) -> None:
        if result == Result.CLEANED:
            self.cleaned += 1
        elif result == Result.REFUSED:
            self.refused += 1
        elif result == Result.SKIPPED:
            self.skipped += 1
        elif result == Result.RETRY:
            self.errors += 1


class EventLog:
    """Writes log lines to ``stream`` (stdout by default), plain or JSON."""

    def __init__(self, *, json_lines: bool = False, stream: TextIO | None = None,
                 outbox: Path | None = None, quarantine: Path | None = None) -> None:
        self.json_lines = json_lines
        self.stream = stream if stream is not None else sys.stdout
        self.outbox = outbox
        self.quarantine = quarantine
        self.counts = Counts()
        self._lock = threading.Lock()

    # -- output -------------------------------------------------------------
    def _emit(self, plain: str, record: dict[str, Any]) -> None:
        now = time.time()
        stamp = datetime.fromtimestamp(now).astimezone()
        if self.json_lines:
            record = {"time": stamp.isoformat(timespec="milliseconds"), **record}
            line = json.dumps(record, ensure_ascii=True)
        else:
            line = f"{stamp.strftime('%Y-%m-%d %H:%M:%S')} {plain}"
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass  # a closed or full log must not stop the service

    def message(self, event: str, text: str, **extra: Any) -> None:
        """A service-level line: start, stop, observer trouble."""
        self._emit(f"{event}: {_safe_text(text)}", {"event": event, "message": text, **extra})

    def status(self, *, waiting: int, working: int, mode: str, uptime: float, disk_full: bool = False) -> None:
        c = self.counts
        text = (f"{c.cleaned} cleaned, {c.refused} refused, {c.skipped} skipped, {c.errors} errors; "
                f"{waiting} waiting, {working} in progress; watching by {mode}; up {duration(uptime)}")
        if disk_full:
            text += "; the disk is full, waiting for room"
        self._emit(f"status: {text}", {
            "event": "status", "cleaned": c.cleaned, "refused": c.refused, "skipped": c.skipped,
            "errors": c.errors, "waiting": waiting, "working": working, "mode": mode,
            "uptime_s": round(uptime, 1), "disk_full": disk_full,
        })

    def outcome(self, out: Outcome, *, retry_in: float = 0.0) -> None:
        """The one line for a file that was handled (or will be tried again)."""
        if out.result in (Result.NOT_YET, Result.UNFINISHED, Result.CHANGED, Result.GONE):
            return
        self.counts.add(out.result)
        name = escape_name(out.rel)
        record: dict[str, Any] = {"event": "file", "outcome": out.result, "path": out.rel}
        if out.result == Result.CLEANED:
            removed = reasons.removed_summary(out.findings)
            dest = self._rel(out.dest, self.outbox)
            record.update(output=dest, removed=removed, findings=len(out.findings), already=out.already)
            words = "removed " + ", ".join(removed) if removed else "nothing hidden was found"
            if out.already:
                words = "already in the outbox from an earlier run"
            plain = f"cleaned {name} -> outbox {escape_name(dest)}; {words}"
            if out.warning:  # --rebuild: never passed off as a lossless clean
                record.update(outcome="rebuilt", warning=out.warning)
                plain = f"rebuilt {name} -> outbox {escape_name(dest)}; {_safe_text(out.warning)}"
            if out.held:  # --hold: in the review folder, waiting for a person
                record.update(outcome="held", output=str(out.dest), seen=out.held)
                plain = f"held {name} -> review {escape_name(str(out.dest))}; {_safe_text(out.held)}"
            if out.archived_to is not None:
                record["archived"] = str(out.archived_to)
                plain += "; original archived"
            if out.kept_original:
                record["note"] = out.detail
                plain += f"; note: {_safe_text(out.detail)}"
        elif out.result == Result.REFUSED:
            dest = self._rel(out.dest, self.quarantine)
            record.update(quarantine=dest, reason=out.reason, detail=out.detail)
            plain = f"refused {name} -> quarantine {escape_name(dest)}; {out.reason}"
        elif out.result == Result.SKIPPED:
            record.update(reason=out.reason, detail=out.detail)
            plain = f"skipped {name}; {out.reason}; {_safe_text(out.detail)}"
        else:
            record.update(reason=out.reason, detail=out.detail, retry_in_s=round(retry_in, 1))
            plain = f"error {name}; {out.reason}: {_safe_text(out.detail)}; will try again in {duration(retry_in)}"
        self._emit(plain, record)

    @staticmethod
    def _rel(path: Path | None, base: Path | None) -> str:
        if path is None:
            return ""
        if base is not None:
            try:
                return str(path.relative_to(base))
            except ValueError:
                pass
        return str(path)


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h10m``, ``3d04h``."""
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"
