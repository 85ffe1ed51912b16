"""Ctrl+C and SIGTERM as normal events: a batch stops between photos, never inside one.

While ``stop_between_files`` is active, the first SIGINT or SIGTERM only
asks the batch to stop: the photo in hand is finished (or its temp file
removed), the lines for what is done are printed, and the command exits with
``exit_code``.  Worker processes ignore both signals and follow the main
process through a shared event, so a Ctrl+C that reaches the whole process
group cannot kill a worker half way through writing a file.  A second Ctrl+C
stops at once; the next run removes what that leaves (see
``fsio.sweep_stale_temp_files``).

A full disk stops a batch the same way (``stop_for_full_disk``): every photo
after it would only fail the same way, so none is started.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

#: The signals a batch treats as "please stop", and the exit code each gives (128 + its number).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: int | None = None  # the first stop signal this process was sent
_shared: Any = None  # a multiprocessing Event: set by the main process, seen by its workers
_disk_full = False  # a write in this process found no room left


#: Exit code of a batch stopped because the disk is full (a signal gives 128 + its number).
DISK_FULL_EXIT = 4


def requested() -> bool:
    """True once this process, or the main process of its batch, was asked to stop."""
    return _received is not None or _disk_full or (_shared is not None and _shared.is_set())


def received() -> int | None:
    """The stop signal this process received, if any."""
    return _received


def exit_code(signum: int) -> int:
    """The shell's convention: 130 after SIGINT (Ctrl+C), 143 after SIGTERM."""
    return 128 + int(signum)


def stop_for_full_disk() -> None:
    """A write found the disk full: start no more photos, here or in any worker of this batch.

    Safe from any thread (a commit thread meets the full disk too).
    """
    global _disk_full
    _disk_full = True
    if _shared is not None:
        _shared.set()


def disk_full() -> bool:
    """True once ``stop_for_full_disk`` was called in this process during this batch."""
    return _disk_full


def share(event: Any) -> None:
    """Use ``event`` to tell worker processes to stop (called in the main process)."""
    global _shared
    _shared = event
    if _received is not None:
        event.set()


def follow(event: Any) -> None:
    """Initialise a worker process: ignore stop signals and follow the main process's ``event``."""
    global _received, _shared, _disk_full
    _received, _shared, _disk_full = None, event, False
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _ask_to_stop(signum: int, _frame: object) -> None:
    global _received
    if _received is not None:
        if signum == signal.SIGINT:  # asked twice: stop at once, the next run tidies up
            sys.stdout.flush()
            os._exit(exit_code(signum))
        return
    _received = signum
    if _shared is not None:
        _shared.set()


@contextlib.contextmanager
def stop_between_files() -> Iterator[None]:
    """Within this block the first SIGINT/SIGTERM sets ``requested()`` instead of raising.

    Only the main thread can own signals; elsewhere (a library caller's
    thread) the block leaves them alone.  A stop asked for in the block (a
    signal, or ``stop_for_full_disk``) is forgotten when it ends, so the next
    batch in this process starts afresh.
    """
    global _received, _shared, _disk_full
    _disk_full = False
    if threading.current_thread() is not threading.main_thread():
        try:
            yield
        finally:
            _disk_full = False
        return
    _received, _shared = None, None
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    for signum in STOP_SIGNALS:
        signal.signal(signum, _ask_to_stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _received, _shared, _disk_full = None, None, False  # read ``received()`` inside the block
