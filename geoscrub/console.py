"""What the command line shows on a terminal: colour, the progress bar, and JSON a file at a time.

Kept apart from the commands so their manners (NO_COLOR, a bar only on a
terminal, lines above the bar, an array that stays whole when a run is
stopped) are one thing to read and test.
"""
from __future__ import annotations

import os
import sys
from typing import IO

import click

from . import report as render


def use_colour(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def use_progress(stream: IO[str], count: int) -> bool:
    """A progress bar only for batches, and only when stderr is a terminal."""
    isatty = getattr(stream, "isatty", None)
    return count > 1 and bool(isatty and isatty())


class Progress:
    """The progress bar on stderr, when there is one; lines printed meanwhile go above it.

    ``advance`` is called once per file done, so the bar ends on the number done
    (the total, unless the batch was stopped).
    """

    def __init__(self, total: int, label: str) -> None:
        self._bar = (click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
                     if use_progress(sys.stderr, total) else None)

    def __enter__(self) -> Progress:  # noqa: PYI034 - never subclassed
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def echo(self, text: str) -> None:
        """Print a line on stdout; when stdout is the same terminal, above the bar rather than through it."""
        shared = self._bar is not None and bool(getattr(sys.stdout, "isatty", lambda: False)())
        if shared:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
        click.echo(text)
        sys.stdout.flush()  # a line is seen as soon as its file is done, even through a pipe
        if shared:
            self._bar.render_progress()  # type: ignore[union-attr]


class JsonArray:
    """One JSON array printed an object at a time, so a stopped run still prints a whole array."""

    def __init__(self) -> None:
        self.count = 0

    def item(self, obj: dict[str, object]) -> str:
        text = ("[\n" if self.count == 0 else ",\n") + render.dumps([obj])[2:-2]
        self.count += 1
        return text

    def end(self) -> str:
        return "\n]" if self.count else "[]"
