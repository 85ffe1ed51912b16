"""Other operating systems, imitated on Linux by taking features away with monkeypatch.

Each function removes one thing Windows, macOS or Pyodide lacks, the way
Python itself lacks it there (the attribute is missing, the call raises what
it raises there).  ``WINDOWS`` combines them, and adds what Windows does
that Linux does not: ``O_BINARY``, and refusing to rename or remove a file
that is open.
"""
from __future__ import annotations

import ctypes
import errno
import multiprocessing
import os
import platform
import sys
from collections.abc import Callable

import pytest

from geoscrub import batch, oscaps

Removal = Callable[[pytest.MonkeyPatch], None]

#: For tests of what only POSIX systems have: FIFOs, /dev/zero, SIGKILL, permission bits, resource limits.
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="needs a POSIX system (FIFOs, /dev/zero, SIGKILL, "
                                                           "permission bits); Windows has none of them")

#: Windows' O_BINARY (0x8000).  On Linux x86-64 that bit is O_LARGEFILE, which changes nothing here.
O_BINARY = 0x8000


def forget_cached_answers() -> None:
    """Answers cached for the process (the C library, the allocator setting) are asked again."""
    oscaps.c_library.cache_clear()
    batch.reuse_freed_buffers.cache_clear()


def no_pread(mp: pytest.MonkeyPatch) -> None:
    mp.delattr(os, "pread")


def no_nonblocking_open(mp: pytest.MonkeyPatch) -> None:
    mp.delattr(os, "O_NONBLOCK")


def no_nofollow(mp: pytest.MonkeyPatch) -> None:
    mp.delattr(os, "O_NOFOLLOW")


def no_fchmod(mp: pytest.MonkeyPatch) -> None:
    mp.delattr(os, "fchmod")


def no_hard_links(mp: pytest.MonkeyPatch) -> None:
    """Pyodide: ``os.link`` does not exist."""
    mp.delattr(os, "link")


def links_not_supported(mp: pytest.MonkeyPatch) -> None:
    """exFAT on macOS: ``link`` fails with ENOTSUP."""
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOTSUP, os.strerror(errno.ENOTSUP))

    mp.setattr(os, "link", refuse)


def no_kernel_copy(mp: pytest.MonkeyPatch) -> None:
    mp.delattr(os, "copy_file_range", raising=False)


def no_dir_fd(mp: pytest.MonkeyPatch) -> None:
    """Windows: nothing supports ``dir_fd``, and passing one raises NotImplementedError."""
    mp.setattr(os, "supports_dir_fd", set())
    for name in ("open", "stat", "lstat", "unlink", "rename", "readlink", "mkdir", "rmdir"):
        real = getattr(os, name)
        mp.setattr(os, name, _without_dir_fd(real))


def _without_dir_fd(real: Callable[..., object]) -> Callable[..., object]:
    def call(*args: object, **kwargs: object) -> object:
        if kwargs.get("dir_fd") is not None or kwargs.get("src_dir_fd") is not None \
                or kwargs.get("dst_dir_fd") is not None:
            raise NotImplementedError("dir_fd unavailable on this platform")
        return real(*args, **kwargs)

    return call


def no_proc(mp: pytest.MonkeyPatch) -> None:
    """macOS and Windows: there is no /proc/self/fd to reopen a file through."""
    real_open = os.open

    def open_without_proc(path: object, *args: object, **kwargs: object) -> int:
        if os.fsdecode(path).startswith("/proc/"):  # type: ignore[arg-type]
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    real_isdir = os.path.isdir
    mp.setattr(os, "open", open_without_proc)
    mp.setattr(os.path, "isdir", lambda p: False if os.fsdecode(p).startswith("/proc/") else real_isdir(p))


def cdll_raises_type_error(mp: pytest.MonkeyPatch) -> None:
    """Windows: ``ctypes.CDLL(None)`` raises TypeError."""
    def no_library(*_args: object, **_kwargs: object) -> None:
        raise TypeError("LoadLibrary() argument 1 must be str, not None")

    mp.setattr(ctypes, "CDLL", no_library)
    forget_cached_answers()


def not_glibc(mp: pytest.MonkeyPatch) -> None:
    """musl, macOS, Emscripten: a C library that is not glibc."""
    mp.setattr(platform, "libc_ver", lambda *a, **k: ("", ""))
    forget_cached_answers()


def no_fork(mp: pytest.MonkeyPatch) -> None:
    """Windows has no fork; on macOS it is unsafe (Python stopped using it there)."""
    mp.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])


def no_multiprocessing(mp: pytest.MonkeyPatch) -> None:
    """Pyodide: ``import multiprocessing`` fails."""
    mp.setitem(sys.modules, "multiprocessing", None)


def multiprocessing_unusable(mp: pytest.MonkeyPatch) -> None:
    """Some sandboxes and Android: the module imports, but starting a pool fails."""
    class NoPools:
        def Pool(self, *_args: object, **_kwargs: object) -> None:
            raise ImportError("This platform lacks a functioning sem_open implementation")

        Event = Pool  # every synchronisation object needs sem_open

    mp.setattr(multiprocessing, "get_context", lambda *_a, **_k: NoPools())


def full_fsync(mp: pytest.MonkeyPatch, calls: list[int] | None = None) -> None:
    """macOS: ``fcntl.F_FULLFSYNC`` exists, and is what makes a write durable."""
    import fcntl

    command = 51  # its value on macOS
    real = fcntl.fcntl

    def fcntl_call(fd: int, cmd: int, *args: object) -> object:
        if cmd == command:
            if calls is not None:
                calls.append(fd)
            os.fsync(fd)
            return 0
        return real(fd, cmd, *args)

    mp.setattr(fcntl, "F_FULLFSYNC", command, raising=False)
    mp.setattr(fcntl, "fcntl", fcntl_call)


def binary_flag(mp: pytest.MonkeyPatch, opened: list[tuple[str, int]] | None = None) -> None:
    """Windows: ``os.O_BINARY`` exists; record every ``os.open`` and its flags."""
    mp.setattr(os, "O_BINARY", O_BINARY, raising=False)
    real_open = os.open

    def recording_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if opened is not None:
            opened.append((os.fsdecode(path), flags))  # type: ignore[arg-type]
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    mp.setattr(os, "open", recording_open)


def open_files_stay_put(mp: pytest.MonkeyPatch) -> None:
    """Windows: a file open in this process can be neither renamed, replaced nor removed."""
    mp.setattr(oscaps, "removes_open_files", lambda: False)

    def open_here(path: object) -> bool:
        try:
            target = os.path.realpath(os.fsdecode(path))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") == target:
                    return True
            except OSError:
                continue
        return False

    def guarded(real: Callable[..., object], *, check_destination: bool) -> Callable[..., object]:
        def call(src: object, *args: object, **kwargs: object) -> object:
            busy = open_here(src) or (check_destination and args and open_here(args[0]))
            if busy:
                err = PermissionError(errno.EACCES, "The process cannot access the file because it is being "
                                                    "used by another process", os.fsdecode(src))  # type: ignore[arg-type]
                err.winerror = 32  # type: ignore[attr-defined]
                raise err
            return real(src, *args, **kwargs)

        return call

    mp.setattr(os, "unlink", guarded(os.unlink, check_destination=False))
    mp.setattr(os, "remove", guarded(os.remove, check_destination=False))
    mp.setattr(os, "rename", guarded(os.rename, check_destination=True))
    mp.setattr(os, "replace", guarded(os.replace, check_destination=True))


def windows(mp: pytest.MonkeyPatch) -> None:
    """As much of Windows (Python 3.11) as Linux can imitate, all at once, in one process."""
    for removal in (no_pread, no_nonblocking_open, no_nofollow, no_fchmod, no_kernel_copy, no_dir_fd,
                    no_proc, cdll_raises_type_error, no_multiprocessing):
        removal(mp)
    for name in ("O_CLOEXEC", "O_DIRECTORY", "sched_getaffinity"):
        mp.delattr(os, name, raising=False)
    binary_flag(mp)
    open_files_stay_put(mp)


#: One name per system feature taken away, for parametrised tests.
REMOVALS: dict[str, Removal] = {
    "no-pread": no_pread,
    "no-O_NONBLOCK": no_nonblocking_open,
    "no-O_NOFOLLOW": no_nofollow,
    "no-fchmod": no_fchmod,
    "no-os.link": no_hard_links,
    "link-ENOTSUP": links_not_supported,
    "no-copy_file_range": no_kernel_copy,
    "no-dir_fd": no_dir_fd,
    "no-/proc/self/fd": no_proc,
    "CDLL-TypeError": cdll_raises_type_error,
    "not-glibc": not_glibc,
    "no-fork": no_fork,
    "no-multiprocessing": no_multiprocessing,
    "multiprocessing-unusable": multiprocessing_unusable,
    "F_FULLFSYNC": full_fsync,
    "O_BINARY": binary_flag,
    "open-files-stay-put": open_files_stay_put,
    "windows": windows,
}


# ---------------------------------------------------------------- a disk that fills up

def _bytes_under(folder: str) -> int:
    total = 0
    for here, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(here, name)).st_size
            except OSError:
                continue
    return total


def _fd_path(fd: int) -> str | None:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def disk_with_room(mp: pytest.MonkeyPatch, folder: os.PathLike[str] | str, room: int,
                   code: int = errno.ENOSPC) -> None:
    """The disk under ``folder`` has ``room`` bytes free: a write that would go past them fails with ``code``.

    What is used is measured on the real files, so worker processes forked
    with this patch share the one disk, and a temp file removed after a
    failed write gives its room back, as on a real disk.  Copies go through
    ``os.write`` (the kernel's copy_file_range is taken away).  Needs /proc.
    """
    root = os.path.realpath(folder) + os.sep
    limit = _bytes_under(root) + room
    real_write = os.write

    def write(fd: int, data: bytes | memoryview) -> int:
        where = _fd_path(fd)
        if where is not None and where.startswith(root) and _bytes_under(root) + len(data) > limit:
            raise OSError(code, os.strerror(code))
        return real_write(fd, data)

    mp.setattr(os, "write", write)
    no_kernel_copy(mp)


def syncfs_fails(mp: pytest.MonkeyPatch, code: int = errno.ENOSPC) -> None:
    """The flush that makes a batch's copies durable fails with ``code`` (space runs out at write-back)."""
    def syncfs(_fd: int) -> int:
        ctypes.set_errno(code)
        return -1

    mp.setattr(oscaps, "group_flush", lambda: syncfs)
