"""The public library API: scan a photo, or clean it into a new file."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from . import registry
from .errors import GeoscrubError
from .fsio import atomic_write, read_regular_file
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


def scan(path: str | os.PathLike[str]) -> Report:
    """Report what a photo gives away.  Never raises GeoscrubError: see ``Report.error``."""
    report = Report(Path(path))
    try:
        data, _ = read_regular_file(path)
        fmt, found = scan_bytes(data)
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
