"""``--look`` for the command line and the watch service: load the detectors once, look, cover, write.

The CLI and the watch service call only these few functions, so their own
code gains a line or two.  ``load`` is the one place the heavy detectors are
imported; without the ``geoscrub[look]`` extra it raises ``LookUnavailable``.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import GeoscrubError, InternalError, WriteFailed
from ..model import Policy, Report
from .seen import Sight

if TYPE_CHECKING:
    from .cover import Covered
    from .detect import Looker

#: Formats whose picture is not looked at (films: one frame would be a false comfort).
NOT_LOOKED_FORMATS = frozenset({"MP4", "MOV", "3GP", "M4V"})
#: Files bigger than this are not read whole to be looked at (a photo is far smaller).
MAX_LOOK_BYTES = 1 << 30


class LookMissing(GeoscrubError):
    """``--look`` was asked for, but the optional detectors are not installed."""

    reason = "the detectors are not installed"


def load(faces: bool = True, words: bool = True) -> Looker:
    """The detectors, ready; raises ``LookMissing`` (with how to install them) when the extra is missing."""
    from ..report_look import MISSING_EXTRA

    try:
        from .detect import LookUnavailable, Looker
    except ImportError:
        raise LookMissing(MISSING_EXTRA) from None
    try:
        return Looker(faces=faces, words=words)
    except (ImportError, LookUnavailable):
        raise LookMissing(MISSING_EXTRA) from None


def _read(path: Path) -> bytes:
    from ..fsio import open_regular_file, read_all

    fd, st = open_regular_file(path, follow_symlinks=False)
    try:
        if st.st_size > MAX_LOOK_BYTES:
            raise GeoscrubError("it is too big to look at")
        return read_all(fd)
    finally:
        os.close(fd)


def look_at_file(looker: Looker, path: Path, format_name: str | None) -> Sight:
    """What the picture at ``path`` may show; never raises (a failure is "not looked at", with why)."""
    from ..report_look import VIDEO_WHY

    if format_name in NOT_LOOKED_FORMATS:
        return Sight.not_looked_at(VIDEO_WHY)
    try:
        return looker.look_at(_read(path))
    except (GeoscrubError, OSError) as err:
        return Sight.not_looked_at(f"it could not be read: {getattr(err, 'strerror', None) or err}")
    except Exception as err:  # noqa: BLE001 - a bug must cost one look, never the batch
        return Sight.not_looked_at(f"something went wrong ({InternalError.from_exception(err)})")


def look_at_report(looker: Looker, report: Report) -> Report:
    """Attach what the picture may show to ``report`` (``report.sight``).

    A file geoscrub did not recognise as a photo or video (a text file, or one it could not read) is
    not looked at: it is refused as it is, and "could not look at the picture" would only be noise.
    """
    if report.format is None:
        return report
    report.sight = look_at_file(looker, report.path, report.format)
    return report


def cover_file(looker: Looker, original: Path, copy: Path, report: Report, cover: str, policy: Policy,
               *, dry_run: bool) -> Covered | None:
    """Look at ``original`` and write its covered copy beside ``copy`` (NAME.covered.jpg), never replacing a file.

    Sets ``report.sight``.  Returns None when the picture could not be looked
    at (the report says so); a covered copy that could not be written has
    ``error`` set.  The copy is verified like every output before it is written.
    """
    from .. import registry
    from ..api import start_clean_copy, verify_clean_copy
    from ..report import existing_file_reason
    from .cover import covered_copy, covered_path

    sight = look_at_file(looker, original, report.format)
    report.sight = sight
    if not sight.looked:
        return None
    try:
        covered = covered_copy(_read(original), sight, cover, policy)
    except (GeoscrubError, OSError) as err:
        from .cover import Covered

        failed = Covered(b"", "", [], 0)
        failed.error = err if isinstance(err, GeoscrubError) else WriteFailed(str(err))
        return failed
    dest = covered_path(copy, covered.format)
    try:
        fmt = registry.sniff(covered.data[: registry.PREFIX_BYTES])
        if os.path.lexists(dest):
            if _holds(dest, covered.data):
                covered.output = dest
                return covered
            raise WriteFailed(existing_file_reason(dest, in_output_folder=False))
        if dry_run:
            verify_clean_copy(fmt, covered.data, policy)
        else:
            mode = stat.S_IMODE(os.stat(original).st_mode)
            pending = start_clean_copy(fmt, covered.data, dest, policy, mode=mode, overwrite=False)
            if pending is not None:
                pending.commit()
        covered.output = dest
    except GeoscrubError as err:
        covered.error = err
    except OSError as err:
        covered.error = WriteFailed(f"cannot write {dest.name}: {err.strerror or err}")
    return covered


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and path.read_bytes() == data
    except OSError:
        return False


def look_or_cover(looker: Looker, outcome: object, cover: str | None, policy: Policy, *, dry_run: bool) -> None:
    """``clean --look [--cover ...]`` for one finished file: attach what it may show, and its covered copy.

    A refused file is left alone: it was not cleaned, so nothing is written for it.
    """
    if outcome.action in ("refused", "not_started"):  # type: ignore[attr-defined]
        return
    report = outcome.report  # type: ignore[attr-defined]
    if cover is None:
        look_at_report(looker, report)
        return
    copy = outcome.output or report.path  # type: ignore[attr-defined]
    covered = cover_file(looker, report.path, copy, report, cover, policy, dry_run=dry_run)
    if covered is not None:
        covered.written = not dry_run and covered.error is None
        outcome.covered = covered  # type: ignore[attr-defined]
