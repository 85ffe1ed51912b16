"""The public library API: scan a photo, or clean it into a new file."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from . import registry
from .errors import GeoscrubError
from . import limits
from .fsio import atomic_write, open_regular_file, read_at, read_regular_file
from .formats.base import ContainerFormat
from .model import Policy, Report, ScanResult
from .verify import verify_clean


def scan_bytes(data: bytes) -> tuple[ContainerFormat, ScanResult]:
    """(format, findings) of a photo held in memory.  Raises GeoscrubError."""
    fmt = registry.sniff(data[: registry.PREFIX_BYTES])
    return fmt, fmt.scan(data)


def clean_bytes(data: bytes, policy: Policy | None = None) -> tuple[ContainerFormat, ScanResult, bytes]:
    """(format, what was found, verified clean bytes).  Raises GeoscrubError."""
    policy = policy or Policy()
    fmt, found = scan_bytes(data)
    cleaned = fmt.strip(data, policy)
    verify_clean(fmt, data, cleaned, policy)
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
                result = quick(head, tail, st.st_size)
                if result is not None:
                    return fmt, result
        rest = read_at(fd, len(head), limits.MAX_FILE_BYTES + 1 - len(head)) if len(head) == HEAD_BYTES else b""
        data = head + rest
        limits.enforce("MAX_FILE_BYTES", len(data), limits.MAX_FILE_BYTES)
        return fmt, fmt.scan(data)
    finally:
        os.close(fd)


def scan(path: str | os.PathLike[str]) -> Report:
    """Report what a photo gives away.  Never raises GeoscrubError: see ``Report.error``."""
    report = Report(Path(path))
    try:
        fmt, found = scan_file(path)
    except GeoscrubError as err:
        report.error = err
        return report
    report.format = fmt.name
    report.findings = list(found.findings)
    report.location = found.location
    return report


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
    OSErrors while reading are reported the same way.
    """
    report = Report(Path(src))
    try:
        data, st = read_regular_file(src)
        fmt, found, cleaned = clean_bytes(data, policy)
        report.format = fmt.name
        report.findings = list(found.findings)
        report.location = found.location
        atomic_write(dest, cleaned, mode=stat.S_IMODE(st.st_mode), overwrite=overwrite)
        report.cleaned_to = Path(dest)
    except GeoscrubError as err:
        report.error = err
    return report
