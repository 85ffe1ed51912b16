"""What this operating system offers, asked of Python each time rather than guessed.

geoscrub's safety promises (no symlink followed out of a folder, no partial
file at a final name, no overwrite, durable before reported) lean on system
calls that not every system has: ``pread``, ``O_NONBLOCK``, ``fchmod``,
hard links, ``dir_fd``, glibc, ``fork``.  Every part of geoscrub that needs
one of them asks here, and here alone, with ``hasattr(os, ...)``,
``os.supports_dir_fd`` and the like; each answer has a portable stand-in
that keeps the same promise, or the README says which promise a system
cannot give.  Answers are looked up when asked (an attribute lookup costs
nothing next to a photo), so a test can take a feature away with monkeypatch.
"""
from __future__ import annotations

import errno
import functools
import os
import stat
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import Any

# ---------------------------------------------------------------- opening files


def _flag(name: str) -> int:
    """``os.O_<name>``, or 0 where the system has no such flag."""
    return int(getattr(os, name, 0))


def read_flags(*, follow_symlinks: bool = True) -> int:
    """Flags for opening a photo to read: binary, non-blocking and not inherited where the system can."""
    flags = os.O_RDONLY | _flag("O_BINARY") | _flag("O_NONBLOCK") | _flag("O_CLOEXEC")
    if not follow_symlinks:
        flags |= _flag("O_NOFOLLOW")
    return flags


def create_flags() -> int:
    """Flags for creating a new temp file that must not exist yet (binary: Windows would translate line ends)."""
    return os.O_RDWR | os.O_CREAT | os.O_EXCL | _flag("O_BINARY") | _flag("O_CLOEXEC")


def folder_flags(*, follow_symlinks: bool = True) -> int:
    """Flags for opening a folder (to fsync it, or to work relative to it)."""
    flags = os.O_RDONLY | _flag("O_DIRECTORY") | _flag("O_CLOEXEC")
    return flags if follow_symlinks else flags | _flag("O_NOFOLLOW")


def opens_without_blocking() -> bool:
    """True when a FIFO can be opened without waiting for a writer (``O_NONBLOCK``)."""
    return hasattr(os, "O_NONBLOCK")


def refuses_links_when_opening() -> bool:
    """True when ``open`` itself can refuse a symlink (``O_NOFOLLOW``)."""
    return hasattr(os, "O_NOFOLLOW")


def open_at(path: str | os.PathLike[str], flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
    """``os.open``, relative to ``dir_fd`` when given (callers check ``can_work_in_folders`` first)."""
    if dir_fd is None:
        return os.open(path, flags, mode)
    return os.open(path, flags, mode, dir_fd=dir_fd)


# ---------------------------------------------------------------- reading and writing


_seek_lock = threading.Lock()


def pread(fd: int, length: int, offset: int) -> bytes:
    """Up to ``length`` bytes at ``offset`` without moving the file position.

    Windows has no ``pread``: there a seek and a read under one lock stand
    in, and the position is put back, so the promise is the same.
    """
    read = getattr(os, "pread", None)
    if read is not None:
        return read(fd, length, offset)
    with _seek_lock:
        was = os.lseek(fd, 0, os.SEEK_CUR)
        try:
            os.lseek(fd, offset, os.SEEK_SET)
            return os.read(fd, length)
        finally:
            os.lseek(fd, was, os.SEEK_SET)


def kernel_copy() -> Callable[[int, int, int, int], int] | None:
    """``os.copy_file_range`` (Linux), or None: then ranges are copied through a buffer."""
    return getattr(os, "copy_file_range", None)


def set_mode(fd: int, path: str | os.PathLike[str], mode: int) -> None:
    """Give the open file ``fd`` (named ``path``) these permission bits.

    ``os.fchmod`` exists on Windows only from Python 3.13; before that the
    path is used (Windows only keeps the read-only bit anyway).
    """
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:
        os.chmod(path, mode)


def flush_to_disk(fd: int) -> None:
    """Make what was written to ``fd`` durable.

    On macOS ``fsync`` only hands the data to the drive, whose cache may lose
    it on power loss; ``F_FULLFSYNC`` asks the drive to write it through.
    Where that is refused (some network and FAT file systems) plain fsync is
    the best the system offers.
    """
    full = _full_fsync_command()
    if full is not None:
        import fcntl

        try:
            fcntl.fcntl(fd, full)
            return
        except OSError:
            pass
    os.fsync(fd)


def _full_fsync_command() -> int | None:
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    return getattr(fcntl, "F_FULLFSYNC", None)


# ---------------------------------------------------------------- names and renames


def has_hard_links() -> bool:
    """True when ``os.link`` exists (it does not in Pyodide)."""
    return hasattr(os, "link")


#: errno values meaning "this file system cannot make a hard link here" (FAT, exFAT, some
#: network shares; ENOTSUP differs from EOPNOTSUPP on macOS, and Windows reports FAT as EINVAL).
LINK_UNSUPPORTED = frozenset({errno.EPERM, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP),
                              errno.ENOSYS, errno.EMLINK, errno.EINVAL})

#: Windows error codes for "another program has this file open": worth a short wait.
_SHARING_VIOLATIONS = frozenset({5, 32, 33})  # ACCESS_DENIED, SHARING_VIOLATION, LOCK_VIOLATION
#: Waits between tries of a rename blocked by another program (about a second in all).
REPLACE_RETRY_DELAYS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4)


#: errno values for "no room left": the disk is full (ENOSPC) or the user's quota is used up (EDQUOT, which
#: Windows and Pyodide lack). Windows' ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL arrive as ENOSPC.
DISK_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_DISK_FULL_WINERRORS = frozenset({39, 112})  # ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL


def is_disk_full(err: OSError) -> bool:
    """True when ``err`` means nothing more fits on the disk (or in the user's quota)."""
    return err.errno in DISK_FULL or getattr(err, "winerror", None) in _DISK_FULL_WINERRORS


def is_quota_full(err: OSError) -> bool:
    """True when it is the user's quota, not the disk itself, that is used up."""
    return hasattr(errno, "EDQUOT") and err.errno == errno.EDQUOT


def is_sharing_violation(err: OSError) -> bool:
    """True for Windows' "the file is open in another program" (a virus scanner, a photo viewer)."""
    return isinstance(err, PermissionError) and getattr(err, "winerror", None) in _SHARING_VIOLATIONS


def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str],
            *, sleep: Callable[[float], None] = time.sleep) -> None:
    """``os.replace``, tried again briefly while another program holds ``dst`` open (Windows).

    Elsewhere a rename never meets a sharing violation, so this costs nothing.
    """
    for delay in REPLACE_RETRY_DELAYS:
        try:
            os.replace(src, dst)
            return
        except PermissionError as err:
            if not is_sharing_violation(err):
                raise
            sleep(delay)
    os.replace(src, dst)


def removes_open_files() -> bool:
    """True when a file may be renamed or deleted while it is open (POSIX); False on Windows."""
    return sys.platform != "win32"


def name_key(path: str | os.PathLike[str]) -> str:
    """A path as a case- and Unicode-form-insensitive disk would see it.

    Windows and macOS disks (and FAT/exFAT cards anywhere) treat
    ``IMG_1.JPG`` and ``img_1.jpg``, or an accented name in either Unicode
    form, as one file.  Which disk an output folder is on cannot be known
    for certain in advance, so two outputs of one batch are compared this
    way everywhere: the safe choice.
    """
    return unicodedata.normalize("NFC", os.path.abspath(os.fspath(path))).casefold()


# ---------------------------------------------------------------- folders


def can_work_in_folders() -> bool:
    """True when files can be opened, examined, renamed and removed relative to an open folder.

    That is how the watch service reaches an upload without following a
    symlink anywhere on the way.  Windows has none of it (``os.supports_dir_fd``
    is empty there); then paths are checked before and after opening instead.
    """
    needed = (os.open, os.stat, os.unlink, os.rename, os.readlink)
    return (all(fn in os.supports_dir_fd for fn in needed) and os.stat in os.supports_follow_symlinks
            and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY"))


def is_link_like(st: os.stat_result) -> bool:
    """A symlink, or on Windows any reparse point (a junction leads elsewhere just the same)."""
    if stat.S_ISLNK(st.st_mode):
        return True
    attributes = getattr(st, "st_file_attributes", 0)
    return bool(attributes & getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0x400))


# ---------------------------------------------------------------- the C library


@functools.cache
def c_library() -> Any:
    """The C library this process runs on, through ctypes; None where there is none to reach.

    ``CDLL(None)`` reuses the loaded library (``find_library`` would start
    ``ldconfig`` on every call).  On Windows it raises TypeError, in Pyodide
    ctypes may be missing: both mean "no C library to ask".
    """
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except (ImportError, OSError, TypeError, ValueError, AttributeError):
        return None


def c_function(name: str) -> Any:
    """The C library's function ``name``, or None."""
    try:
        return getattr(c_library(), name, None)
    except (AttributeError, TypeError, ValueError):
        return None


def runs_on_glibc() -> bool:
    """True when the C library is GNU libc (its ``mallopt`` parameters mean nothing elsewhere)."""
    import platform

    try:
        return platform.libc_ver()[0] == "glibc"
    except (OSError, ValueError):
        return False


def heap_trimmer() -> Callable[[], object]:
    """glibc's ``malloc_trim(0)``, which gives the C heap's free memory back to the system; elsewhere
    (macOS, Windows, musl, Pyodide) a no-op: their allocators have no such call to make."""
    trim = c_function("malloc_trim") if runs_on_glibc() else None
    if trim is None:
        return lambda: None
    import ctypes

    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


def group_flush() -> Callable[[int], int] | None:
    """Linux's ``syncfs`` (one flush for every file written so far), or None."""
    if not sys.platform.startswith("linux"):
        return None
    return c_function("syncfs")


# ---------------------------------------------------------------- processes


def process_start_method() -> str | None:
    """How to start worker processes, or None where they cannot be started.

    "fork" is cheapest and is used where Python offers it and it is safe;
    on macOS forking a process that has loaded system frameworks can crash
    (Python itself stopped using it there), and Windows has no fork: there
    "spawn".  Without ``multiprocessing`` (Pyodide) a batch runs in one process.
    """
    try:
        import multiprocessing
        methods = multiprocessing.get_all_start_methods()
    except (ImportError, OSError, AttributeError):
        return None
    if "fork" in methods and sys.platform != "darwin":
        return "fork"
    if "spawn" in methods:
        return "spawn"
    return None


def usable_cpus() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return len(os.sched_getaffinity(0))
        except OSError:
            pass
    return os.cpu_count() or 1


# ---------------------------------------------------------------- text out


def make_encodable(stream: Any) -> None:
    """Let ``stream`` write any text: what its encoding cannot hold is escaped (``\\u65e5``).

    A Windows console redirected to a file writes cp1252, which has no emoji
    or Japanese; a file name with one must not end the run in UnicodeEncodeError.
    """
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is None:
        return
    try:
        if (getattr(stream, "errors", None) or "strict") == "strict":
            reconfigure(errors="backslashreplace")
    except (ValueError, OSError, AttributeError):
        pass
