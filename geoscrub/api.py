"""The public library API: scan a photo, or clean it into a new file."""
from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

from . import registry
from .errors import GeoscrubError, InternalError, WriteFailed
from .formats.base import ContainerFormat, forget_recent_parses, join_plan, plan_of, plan_pieces
from .fsio import PendingWrite, open_regular_file, read_all, read_at, start_write
from .metadata import budget as parse_budget
from .model import Category, Finding, Policy, Report, ScanResult
from .verify import spells, verify_clean


def scan_bytes(data: bytes) -> tuple[ContainerFormat, ScanResult]:
    """(format, findings) of a photo held in memory.  Raises GeoscrubError."""
    fmt = registry.sniff(data[: registry.PREFIX_BYTES])
    with parse_budget.per_file():
        found = fmt.scan(data)
    return fmt, with_leftovers(fmt, data, found)


def with_leftovers(fmt: ContainerFormat, data: bytes, found: ScanResult) -> ScanResult:
    """Add a finding when nothing was named but cleaning would still remove bytes.

    A file is reported clean only when cleaning would leave it exactly as it
    is: data geoscrub removes without naming it (a comment inside XMP, bytes
    after a header) could hide anything.
    """
    if found.findings:
        return found
    pieces = plan_pieces(plan_of(fmt, data, Policy()), data)
    if spells(pieces, data) or spells(pieces, data.rstrip(b"\x00")):  # zero padding at the end says nothing
        return found
    extra = Finding.make(Category.OTHER, "ExtraData", "removed when cleaning",
                         "Has extra data that geoscrub removes; it could hide anything", fmt.name)
    return dataclasses.replace(found, findings=(extra,))


def clean_bytes(data: bytes, policy: Policy | None = None) -> tuple[ContainerFormat, ScanResult, bytes]:
    """(format, what was found, verified clean bytes).  Raises GeoscrubError."""
    policy = policy or Policy()
    try:
        fmt, found = scan_bytes(data)
        cleaned = join_plan(plan_of(fmt, data, policy), data)
        verify_clean(fmt, data, cleaned, policy)
    finally:
        forget_recent_parses()
    return fmt, found, cleaned


#: How much of a file's start and end ``scan_file`` reads before deciding it needs the rest.
HEAD_BYTES = 256 * 1024
TAIL_BYTES = 64 * 1024


def scan_file(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> tuple[ContainerFormat, ScanResult]:
    """Scan a file reading as little as possible: headers and the end when that is enough.

    Formats that can answer from the first and last bytes (JPEG, when the
    headers already show identifying data) do; everything else, and every
    file that might be clean, is read and walked whole.  Raises GeoscrubError
    or OSError.
    """
    fd, st = open_regular_file(path, follow_symlinks=follow_symlinks)
    try:
        head = read_at(fd, 0, HEAD_BYTES)
        fmt = registry.sniff(head[: registry.PREFIX_BYTES])
        quick = getattr(fmt, "scan_head_and_tail", None)
        if quick is not None and len(head) == HEAD_BYTES and st.st_size > HEAD_BYTES + TAIL_BYTES:
            tail = read_at(fd, st.st_size - TAIL_BYTES, TAIL_BYTES)
            if len(tail) == TAIL_BYTES:
                with parse_budget.per_file():
                    result = quick(head, tail, st.st_size)
                if result is not None:
                    return fmt, result
        data = head + read_all(fd, len(head)) if len(head) == HEAD_BYTES else head
        with parse_budget.per_file():
            found = fmt.scan(data)
        return fmt, with_leftovers(fmt, data, found)
    finally:
        os.close(fd)
        forget_recent_parses()


def scan(path: str | os.PathLike[str]) -> Report:
    """Report what a photo gives away.  Never raises for a bad photo: see ``Report.error``."""
    report = Report(Path(path))
    try:
        fmt, found = scan_file(path)
    except GeoscrubError as err:
        report.error = err
        return report
    except OSError as err:
        report.error = GeoscrubError(f"cannot be read: {err.strerror or err}")
        return report
    except Exception as err:  # noqa: BLE001 - a bug must never pass for a verdict
        report.error = InternalError.from_exception(err)
        return report
    report.fill(fmt.name, found)
    return report


def start_clean_copy(
    fmt: ContainerFormat,
    data: bytes,
    dest: str | os.PathLike[str],
    policy: Policy | None = None,
    *,
    mode: int = 0o644,
    overwrite: bool = True,
    skip_if_clean: bool = False,
) -> PendingWrite | None:
    """Verify the cleaned form of ``data`` in memory, then write it to a temp file beside ``dest``.

    The cleaned bytes are accepted only when their image data is identical
    to the original's, a fresh scan finds nothing and cleaning them again
    changes nothing; exactly those bytes are then written, so what lands on
    disk is what was checked, even if the original changes meanwhile.  The
    caller commits the returned write (fsync, rename) or discards it.  With
    ``skip_if_clean`` a file that cleaning would not change gives None.
    Raises GeoscrubError; nothing is left behind on failure.
    """
    policy = policy or Policy()
    plan = plan_of(fmt, data, policy)
    if skip_if_clean and spells(plan_pieces(plan, data), data):
        verify_clean(fmt, data, data, policy)
        return None
    cleaned = join_plan(plan, data)
    verify_clean(fmt, data, cleaned, policy)
    return start_write(dest, cleaned, mode=mode, overwrite=overwrite)


def write_clean_copy(
    fmt: ContainerFormat,
    data: bytes,
    dest: str | os.PathLike[str],
    policy: Policy | None = None,
    *,
    mode: int = 0o644,
    overwrite: bool = True,
    skip_if_clean: bool = False,
) -> bool:
    """Write the verified cleaned form of ``data`` to ``dest`` atomically; whether anything was written.

    See ``start_clean_copy``; this also commits (fsync, rename, fsync folder).
    """
    pending = start_clean_copy(fmt, data, dest, policy, mode=mode, overwrite=overwrite, skip_if_clean=skip_if_clean)
    if pending is None:
        return False
    pending.commit()
    return True


def clean(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    policy: Policy | None = None,
    *,
    overwrite: bool = True,
) -> Report:
    """Write a verified clean copy of ``src`` to ``dest`` (atomically).

    The report lists what was removed.  On any GeoscrubError nothing is
    written and ``Report.error`` says why; the original is never touched.
    A file that is already clean is copied as it is.
    """
    report = Report(Path(src))
    try:
        fd, st = open_regular_file(src)
        try:
            data = read_all(fd)
            fmt, found = scan_bytes(data)
            report.fill(fmt.name, found)
            write_clean_copy(fmt, data, dest, policy, mode=stat.S_IMODE(st.st_mode), overwrite=overwrite)
        finally:
            os.close(fd)
            forget_recent_parses()
        report.cleaned_to = Path(dest)
    except GeoscrubError as err:
        report.error = err
    except FileExistsError:
        report.error = WriteFailed(f"{Path(dest).name} already exists; it is never overwritten")
    except OSError as err:
        report.error = GeoscrubError(f"cannot be read: {err.strerror or err}")
    except Exception as err:  # noqa: BLE001 - a bug refuses the file; nothing was written
        report.error = InternalError.from_exception(err)
    return report
