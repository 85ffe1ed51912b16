"""Reading photos safely and writing cleaned copies atomically.

Reads refuse anything but a regular file (a FIFO would block, a device never
ends).  Writes go to a hidden temp file in the target folder, are fsynced and
then renamed, so a partial file never appears at the target path.
"""
from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from . import limits
from .errors import NotARegularFile, WriteFailed

#: Every temp file geoscrub writes has this shape, so leftovers can be swept.
TEMP_PREFIX = ".geoscrub-"
TEMP_SUFFIX = ".tmp"


def open_regular_file(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> tuple[int, os.stat_result]:
    """An fd opened for reading a regular file, and its stat; the caller closes it.

    Opened non-blocking (a FIFO would otherwise hang) and checked with fstat
    on the open fd, so a swap between check and open cannot fool it.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise NotARegularFile("is a symbolic link") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFile(f"is a {_kind(st.st_mode)}, not a photo file")
        limits.enforce("MAX_FILE_BYTES", st.st_size, limits.MAX_FILE_BYTES)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_at(fd: int, offset: int, length: int) -> bytes:
    """Up to ``length`` bytes at ``offset`` (fewer only at the end of the file)."""
    chunks = []
    while length > 0:
        chunk = os.pread(fd, min(length, 1 << 24), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return b"".join(chunks)


def read_all(fd: int, start: int = 0) -> bytes:
    """The file's bytes from ``start`` to the end, refusing more than MAX_FILE_BYTES in all."""
    data = read_at(fd, start, limits.MAX_FILE_BYTES + 1 - start)
    limits.enforce("MAX_FILE_BYTES", start + len(data), limits.MAX_FILE_BYTES)
    return data


def read_regular_file(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> tuple[bytes, os.stat_result]:
    """The whole file and its stat, or NotARegularFile/LimitExceeded/OSError."""
    fd, st = open_regular_file(path, follow_symlinks=follow_symlinks)
    try:
        return read_all(fd), st
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    return "special file"


def temp_path_for(target: Path) -> Path:
    return target.parent / f"{TEMP_PREFIX}{secrets.token_hex(6)}{TEMP_SUFFIX}"


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def atomic_write(target: str | os.PathLike[str], data: bytes, *, mode: int = 0o644, overwrite: bool = True) -> Path:
    """Write ``data`` to ``target`` all at once: temp file, fsync, rename, fsync folder.

    With ``overwrite=False`` an existing target is never replaced: the call
    raises FileExistsError and leaves no temp file behind.
    """
    return write_verified(target, [data], data, None, mode=mode, overwrite=overwrite)


#: Ranges shorter than this are written from memory: a kernel copy would not pay off.
KERNEL_COPY_MIN = 64 * 1024
#: errno values meaning "copy_file_range cannot do this here": fall back to write().
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF, errno.EPERM}


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _copy_range(src_fd: int | None, fd: int, span: range, data: bytes) -> None:
    """Copy ``data[span]`` into ``fd``: in the kernel from ``src_fd`` when possible.

    The source file may have changed since ``data`` was read; the caller reads
    the result back and verifies it against ``data``, so that cannot slip through.
    """
    offset, end = span.start, span.stop
    if src_fd is not None and hasattr(os, "copy_file_range") and end - offset >= KERNEL_COPY_MIN:
        try:
            while offset < end:
                copied = os.copy_file_range(src_fd, fd, end - offset, offset)
                if copied <= 0:
                    break  # the source got shorter: write the rest from memory
                offset += copied
        except OSError as err:
            if err.errno not in _NO_KERNEL_COPY:
                raise
    if offset < end:
        _write_all(fd, memoryview(data)[offset:end])


def write_verified(
    target: str | os.PathLike[str],
    plan: Sequence[bytes | range],
    data: bytes,
    check: Callable[[bytes], None] | None,
    *,
    src_fd: int | None = None,
    mode: int = 0o644,
    overwrite: bool = True,
) -> Path:
    """Write ``plan`` (new bytes and ranges of ``data``) atomically, checking what was written.

    Ranges are copied from ``src_fd`` in the kernel (like ``cp``) where the
    system allows.  Before the temp file is fsynced and renamed, its bytes are
    read back and passed to ``check`` (when given), which raises to refuse
    them; the target is then never created and the temp file is removed.
    """
    target = Path(target)
    tmp = temp_path_for(target)
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as err:
        raise WriteFailed(f"cannot write in {target.parent}: {err.strerror}") from None
    try:
        try:
            for piece in plan:
                if isinstance(piece, range):
                    _copy_range(src_fd, fd, piece, data)
                else:
                    _write_all(fd, piece)
            if check is not None:
                check(read_at(fd, 0, os.lseek(fd, 0, os.SEEK_CUR)))
            os.fchmod(fd, mode & 0o7777)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, target)
        else:
            _rename_no_replace(tmp, target)
        fsync_dir(target.parent)
    except FileExistsError:
        _unlink_quietly(tmp)
        raise
    except OSError as err:
        _unlink_quietly(tmp)
        raise WriteFailed(f"could not write {target.name}: {err.strerror or err}") from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return target


def _rename_no_replace(tmp: Path, target: Path) -> None:
    """Move ``tmp`` to ``target`` unless ``target`` exists (then FileExistsError).

    A hard link does this atomically; file systems without hard links (FAT and
    exFAT on SD cards and USB sticks) get renameat2(RENAME_NOREPLACE), and
    failing that an exclusive placeholder that the rename then replaces.
    """
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
            raise
    else:
        os.unlink(tmp)
        return
    if _renameat2_noreplace(tmp, target):
        return
    placeholder = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # FileExistsError if taken
    os.close(placeholder)
    os.replace(tmp, target)


def _renameat2_noreplace(tmp: Path, target: Path) -> bool:
    """renameat2(..., RENAME_NOREPLACE) through libc; False when the system lacks it."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_noreplace = -100, 1
    if renameat2(at_fdcwd, os.fsencode(tmp), at_fdcwd, os.fsencode(target), rename_noreplace) == 0:
        return True
    code = ctypes.get_errno()
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), str(target))
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(target))


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
