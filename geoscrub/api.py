"""The public library API: scan a photo, or clean it into a new file."""
from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from . import limits, registry
from .errors import GeoscrubError, InternalError, WriteFailed
from .fileview import FileView, same_range
from .formats.base import ContainerFormat, forget_recent_parses, join_plan, plan_of
from .fsio import (
    PendingWrite,
    open_regular_file,
    read_all,
    read_at,
    start_write,
    start_write_plan,
    write_error,
    write_plan,
)
from .metadata import budget as parse_budget
from .model import Category, Finding, Policy, Report, ScanResult
from .verify import plan_spells, verify_clean

#: Bigger files are walked from disk a window at a time (every format can), not read whole.
IN_MEMORY_MAX = 32 * 1024 * 1024

Photo = bytes | FileView


def scan_bytes(data: Photo) -> tuple[ContainerFormat, ScanResult]:
    """(format, findings) of a photo held in memory (or a FileView).  Raises GeoscrubError."""
    fmt = registry.sniff(data[: registry.PREFIX_BYTES])
    return fmt, scan_photo(fmt, data)


def scan_photo(fmt: ContainerFormat, data: Photo) -> ScanResult:
    """What ``data``, already known to be ``fmt``, gives away.  Raises GeoscrubError."""
    with parse_budget.per_file():
        found = fmt.scan(data)
    return with_leftovers(fmt, data, without_empty(found))


#: Values that say nothing: an empty text, a block holding no bytes.
_EMPTY_VALUES = frozenset({"", "0 bytes", "<0 bytes>"})


def without_empty(found: ScanResult) -> ScanResult:
    """Leave out findings whose value is empty (an empty comment, a 0-byte block): they give nothing away.

    Where and hidden-picture findings always stay.  Cleaning still removes
    the empty items, and ``with_leftovers`` keeps a file that cleaning would
    change from being called clean.
    """
    kept = tuple(f for f in found.findings
                 if f.category in (Category.PLACE, Category.HIDDEN_IMAGE) or f.value.strip() not in _EMPTY_VALUES)
    return found if len(kept) == len(found.findings) else dataclasses.replace(found, findings=kept)


def read_photo(fd: int, size: int) -> tuple[ContainerFormat, Photo]:
    """The photo's format, and its bytes: read whole, or a FileView when it is big.

    A FileView reads ``fd`` on demand, so the caller keeps ``fd`` open while
    it is used.  Raises GeoscrubError or OSError.
    """
    fmt = registry.sniff(read_at(fd, 0, registry.PREFIX_BYTES))
    if size > IN_MEMORY_MAX and getattr(fmt, "reads_views", False):
        limits.enforce("MAX_FILE_BYTES", size, limits.MAX_FILE_BYTES)
        return fmt, FileView(fd, size)
    return fmt, read_all(fd)


def with_leftovers(fmt: ContainerFormat, data: bytes, found: ScanResult) -> ScanResult:
    """Add a finding when nothing was named but cleaning would still remove bytes.

    A file is reported clean only when cleaning would leave it exactly as it
    is: data geoscrub removes without naming it (a comment inside XMP, bytes
    after a header) could hide anything.
    """
    if found.findings:
        return found
    if plan_spells(plan_of(fmt, data, Policy()), data, allow_zero_padding=True):
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


def scan_readable(fmt: ContainerFormat, data: Photo, err: GeoscrubError) -> GeoscrubError:
    """``err``, carrying what the parts of ``data`` before the problem give away (see GeoscrubError.readable).

    Only formats that can say it (``scan_readable``) do; nothing is ever
    cleaned from such a file.  A second problem while looking leaves ``err`` as it was.
    """
    look = getattr(fmt, "scan_readable", None)
    if look is None:
        return err
    try:
        with parse_budget.per_file():
            found = without_empty(look(data))
    except GeoscrubError:
        return err
    if found.findings:
        err.readable = (fmt.name, found)
    return err


def scan_file(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> tuple[ContainerFormat, ScanResult]:
    """Scan a file reading as little as possible: headers and the end when that is enough.

    Formats that can answer from the first and last bytes (JPEG, when the
    headers already show identifying data) do; everything else, and every
    file that might be clean, is read and walked whole.  Raises GeoscrubError
    (with ``readable`` set when the parts before the problem give something
    away) or OSError.
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
                    return fmt, without_empty(result)
        if st.st_size > IN_MEMORY_MAX and getattr(fmt, "reads_views", False):
            data: Photo = FileView(fd, st.st_size)
        else:
            data = head + read_all(fd, len(head)) if len(head) == HEAD_BYTES else head
        try:
            return fmt, scan_photo(fmt, data)
        except GeoscrubError as err:
            raise scan_readable(fmt, data, err) from None
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
        report.fill_readable(err)
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
    data: Photo,
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

    A big file (a FileView) is never held whole: the picture is copied in the
    kernel straight into the temp file, which is then read back and verified
    a window at a time before the caller may commit it.
    """
    policy = policy or Policy()
    plan = plan_of(fmt, data, policy)
    if skip_if_clean and plan_spells(plan, data):
        verify_clean(fmt, data, data, policy)
        return None
    if isinstance(data, FileView):
        pending = start_write_plan(dest, plan, data.fd, mode=mode, overwrite=overwrite)
        try:
            verify_clean(fmt, data, FileView(pending.fd, os.fstat(pending.fd).st_size), policy)
        except BaseException:
            pending.discard()
            raise
        return pending
    cleaned = join_plan(plan, data)
    verify_clean(fmt, data, cleaned, policy)
    return start_write(dest, cleaned, mode=mode, overwrite=overwrite)


def verify_clean_copy(fmt: ContainerFormat, data: Photo, policy: Policy | None = None) -> None:
    """Every check cleaning makes, keeping no output (for --dry-run).  Raises GeoscrubError.

    A big file's cleaned form goes to an unnamed scratch file in the system's
    temp folder, which disappears when closed; nothing appears anywhere.
    """
    policy = policy or Policy()
    plan = plan_of(fmt, data, policy)
    if not isinstance(data, FileView):
        verify_clean(fmt, data, join_plan(plan, data), policy)
        return
    import tempfile  # only for big files: loading it costs every run a few milliseconds

    with tempfile.TemporaryFile() as scratch:
        try:
            write_plan(scratch.fileno(), plan, data.fd)
        except OSError as err:
            raise write_error(err, "could not try the cleaning", "a scratch copy in the temp folder") from None
        verify_clean(fmt, data, FileView(scratch.fileno(), os.fstat(scratch.fileno()).st_size), policy)


def write_clean_copy(
    fmt: ContainerFormat,
    data: Photo,
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
            fmt, data = read_photo(fd, st.st_size)
            found = scan_photo(fmt, data)
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


def holds_clean_copy(fmt: ContainerFormat, data: Photo, path: str | os.PathLike[str],
                     policy: Policy | None = None) -> bool:
    """True when ``path`` already holds, byte for byte, the verified clean copy cleaning would write now.

    This is what makes a rerun a no-op: an earlier geoscrub copy of the same
    photo (with the same options) counts as done, while any other file at
    that name is never mistaken for one.  A link, a special file or an
    unreadable file is never a match.  Raises GeoscrubError when cleaning
    ``data`` would be refused, so a refused photo is never reported done.
    """
    return find_clean_copy(fmt, data, lambda _size: [Path(path)], policy) is not None


def find_clean_copy(fmt: ContainerFormat, data: Photo, candidates: Callable[[int], Iterable[Path]],
                    policy: Policy | None = None) -> Path | None:
    """The first file holding exactly the verified clean copy of ``data``, or None.

    ``candidates(size)`` names the files worth comparing with a copy of
    ``size`` bytes.  See ``holds_clean_copy``; the copy is verified once
    however many candidates there are (``--rename`` looks through earlier
    neutral names).
    """
    policy = policy or Policy()
    verify_clean_copy(fmt, data, policy)
    plan = plan_of(fmt, data, policy)
    size = sum(len(piece) for piece in plan)
    for path in candidates(size):
        if _holds_plan(path, plan, size, data):
            return path
    return None


def _holds_plan(path: Path, plan: list[bytes | range], size: int, data: Photo) -> bool:
    try:
        fd, st = open_regular_file(path, follow_symlinks=False)
    except (OSError, GeoscrubError):
        return False
    try:
        if st.st_size != size:
            return False
        existing = FileView(fd, st.st_size)
        pos = 0
        for piece in plan:
            if isinstance(piece, range):
                same = same_range(data, piece.start, existing, pos, len(piece))
            else:
                same = existing[pos : pos + len(piece)] == piece
            if not same:
                return False
            pos += len(piece)
        return True
    except (OSError, GeoscrubError):
        return False
    finally:
        os.close(fd)
