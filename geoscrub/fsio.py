"""Reading photos safely and writing cleaned copies atomically.

Reads refuse anything but a regular file (a FIFO would block, a device never
ends).  Writes go to a hidden temp file in the target folder, are fsynced and
then renamed, so a partial file never appears at the target path.  What the
operating system offers for each step is asked of ``oscaps``.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import limits, oscaps
from .errors import DiskFull, NotARegularFile, WriteFailed

#: Every temp file geoscrub writes has this shape, so leftovers can be swept.
TEMP_PREFIX = ".geoscrub-"
TEMP_SUFFIX = ".tmp"


def open_regular_file(path: str | os.PathLike[str], *, follow_symlinks: bool = True,
                      dir_fd: int | None = None) -> tuple[int, os.stat_result]:
    """An fd opened for reading a regular file, and its stat; the caller closes it.

    Opened non-blocking (a FIFO would otherwise hang) and checked with fstat
    on the open fd, so a swap between check and open cannot fool it.  Where
    the system cannot open without blocking or without following a link,
    the path is looked at first and the open file must be the one seen.
    ``dir_fd``: ``path`` is a name in that open folder.
    """
    seen = None
    if not oscaps.opens_without_blocking() or (not follow_symlinks and not oscaps.refuses_links_when_opening()):
        seen = _look_before_opening(path, follow_symlinks, dir_fd)
    try:
        fd = oscaps.open_at(path, oscaps.read_flags(follow_symlinks=follow_symlinks), dir_fd=dir_fd)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise NotARegularFile("is a symbolic link") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFile(f"is a {_kind(st.st_mode)}, not a photo file")
        if seen is not None and seen.st_ino and st.st_ino and (seen.st_dev, seen.st_ino) != (st.st_dev, st.st_ino):
            raise NotARegularFile("was swapped for another file while it was being opened")
        limits.enforce("MAX_FILE_BYTES", st.st_size, limits.MAX_FILE_BYTES)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _look_before_opening(path: str | os.PathLike[str], follow_symlinks: bool, dir_fd: int | None) -> os.stat_result:
    """The stat of what ``path`` names now, refusing links (when asked) and anything but a regular file."""
    st = os.stat(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks) if dir_fd is not None else (
        os.stat(path) if follow_symlinks else os.lstat(path))
    if not follow_symlinks and oscaps.is_link_like(st):
        raise NotARegularFile("is a symbolic link")
    if not stat.S_ISREG(st.st_mode):
        raise NotARegularFile(f"is a {_kind(st.st_mode)}, not a photo file")
    return st


def read_at(fd: int, offset: int, length: int) -> bytes:
    """Up to ``length`` bytes at ``offset`` (fewer only at the end of the file)."""
    chunks = []
    while length > 0:
        chunk = oscaps.pread(fd, min(length, 1 << 24), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return b"".join(chunks)


def read_all(fd: int, start: int = 0) -> bytes:
    """The file's bytes from ``start`` to the end, refusing more than MAX_IN_MEMORY_BYTES in all.

    Asks for the size fstat gives plus one byte (a buffer of the right size
    costs a third of one sized for the limit); a file still growing is then
    read on to its end.
    """
    expected = max(os.fstat(fd).st_size - start, 0)
    most = limits.MAX_IN_MEMORY_BYTES
    data = read_at(fd, start, min(expected, most) + 1)
    if len(data) > expected:
        data += read_at(fd, start + len(data), max(most + 1 - start - len(data), 0))
    limits.enforce("MAX_IN_MEMORY_BYTES", start + len(data), most)
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


def write_error(err: OSError, failed: str, name: str) -> WriteFailed:
    """``failed`` ("could not write X") with the system's reason; DiskFull when there was no room for ``name``.

    A full disk is told apart because a batch stops there instead of
    refusing every photo after it (see ``interrupt.stop_for_full_disk``).
    """
    if oscaps.is_disk_full(err):
        quota = "your disk quota is used up, " if oscaps.is_quota_full(err) else ""
        return DiskFull(f"{quota}no room left for {name}")
    return WriteFailed(f"{failed}: {err.strerror or err}")


def temp_path_for(target: Path) -> Path:
    return target.parent / f"{TEMP_PREFIX}{os.urandom(6).hex()}{TEMP_SUFFIX}"


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


#: Exactly the names ``temp_path_for`` makes; nothing else is ever swept.
_OWN_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"[0-9a-f]{12}" + re.escape(TEMP_SUFFIX))

#: A temp file untouched for this long belongs to no running geoscrub: each is
#: written, checked and renamed within seconds, even for a photo of gigabytes.
STALE_TEMP_SECONDS = 10 * 60


def sweep_stale_temp_files(folder: str | os.PathLike[str], *, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove temp files an earlier, killed geoscrub left in ``folder`` (not below it); returns them.

    Only geoscrub's own names, only regular files (never a link), only files
    owned by this user, and only when unchanged for ``older_than`` seconds,
    so a file another geoscrub is writing right now is never touched.
    """
    removed: list[Path] = []
    try:
        names = [entry.name for entry in os.scandir(folder) if _OWN_TEMP_NAME.fullmatch(entry.name)]
    except OSError:
        return removed
    now = time.time()
    for name in names:
        path = Path(folder, name)
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < older_than:
                continue
            if hasattr(os, "getuid") and st.st_uid != os.getuid():
                continue
            os.unlink(path)
        except OSError:
            continue
        removed.append(path)
    return removed


def keep_owner(pending: PendingWrite, st: os.stat_result) -> None:
    """Give the temp file the owner and group of the file it replaces, where the system allows.

    Run as root, ``--in-place`` would otherwise hand every photo to root.  An
    ordinary user may still keep the group; anything not permitted is left
    as it is (the file then belongs to whoever ran geoscrub, as with ``cp``).
    """
    if not hasattr(os, "fchown"):
        return
    try:
        now = os.fstat(pending.fd)
        if (now.st_uid, now.st_gid) == (st.st_uid, st.st_gid):
            return
        try:
            os.fchown(pending.fd, st.st_uid, st.st_gid)
        except PermissionError:
            os.fchown(pending.fd, -1, st.st_gid)
        oscaps.set_mode(pending.fd, pending.tmp, stat.S_IMODE(now.st_mode))  # chown may clear set-id bits
    except OSError:
        pass


def atomic_write(target: str | os.PathLike[str], data: bytes, *, mode: int = 0o644, overwrite: bool = True) -> Path:
    """Write ``data`` to ``target`` all at once: temp file, fsync, rename, fsync folder.

    With ``overwrite=False`` an existing target is never replaced: the call
    raises FileExistsError and leaves no temp file behind.
    """
    return start_write(target, data, mode=mode, overwrite=overwrite).commit()


@dataclass
class PendingWrite:
    """A temp file beside its target holding the new bytes, not yet durable nor visible.

    ``commit`` makes it both; ``discard`` removes it.  Splitting the two lets
    a batch prepare the next file while this one's fsync waits for the disk.
    """

    tmp: Path
    target: Path
    fd: int
    overwrite: bool
    device: int = -1  # st_dev of the temp file: one flush covers one file system

    def commit(self) -> Path:
        """fsync, rename into place (FileExistsError when that is not allowed), fsync the folder."""
        return self._commit(flush=oscaps.flush_to_disk, sync_folder=True)

    def _commit(self, *, flush: Callable[[int], None] | None, sync_folder: bool) -> Path:
        """Flush (unless a group flush already covered this file), close, rename, maybe fsync the folder."""
        try:
            try:
                if flush is not None:
                    flush(self.fd)
            finally:
                os.close(self.fd)
            if self.overwrite:
                oscaps.replace(self.tmp, self.target)
            else:
                _rename_no_replace(self.tmp, self.target)
            if sync_folder:
                fsync_dir(self.target.parent)
        except FileExistsError:
            _unlink_quietly(self.tmp)
            raise
        except OSError as err:
            _unlink_quietly(self.tmp)
            raise write_error(err, f"could not write {self.target.name}", self.target.name) from None
        except BaseException:
            _unlink_quietly(self.tmp)
            raise
        return self.target

    def commit_to_free_name(self, names: Iterable[Path],
                            already_there: Callable[[Path], bool]) -> tuple[Path, bool]:
        """fsync once, then rename into the first of ``names`` (all beside ``target``) not taken.

        Returns (name, False).  A taken name for which ``already_there`` is
        true ends the search instead: the temp file is removed and (name,
        True) returned.  An existing file is never replaced.
        """
        flushed = False
        try:
            for name in names:
                if os.path.lexists(name):
                    if already_there(name):
                        self.discard()
                        return name, True
                    continue
                if not flushed:
                    oscaps.flush_to_disk(self.fd)
                    flushed = True
                try:
                    _rename_no_replace(self.tmp, name, release=self._close)
                except FileExistsError:
                    continue  # taken since lexists: try the next name
                self._close()
                self.target = name
                fsync_dir(name.parent)
                return name, False
        except OSError as err:
            self.discard()
            raise write_error(err, f"could not write {self.target.name}", self.target.name) from None
        except BaseException:
            self.discard()
            raise
        self.discard()
        raise WriteFailed(f"no free name for {self.target.name}")

    def discard(self) -> None:
        try:
            self._close()
        except OSError:
            pass
        _unlink_quietly(self.tmp)

    def _close(self) -> None:
        """Close the temp file (once): Windows can neither rename nor remove a file still open."""
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)


def start_write(target: str | os.PathLike[str], data: bytes, *, mode: int = 0o644,
                overwrite: bool = True) -> PendingWrite:
    """Write ``data`` into a hidden temp file beside ``target``.

    Nothing appears at ``target`` until ``commit``.  Raises WriteFailed (and
    leaves nothing behind) when the folder cannot be written.
    """
    return start_write_plan(target, [data], None, mode=mode, overwrite=overwrite)


def start_write_plan(target: str | os.PathLike[str], plan: Sequence[bytes | range], src_fd: int | None, *,
                     mode: int = 0o644, overwrite: bool = True) -> PendingWrite:
    """Like ``start_write``, for new bytes and ranges of the file ``src_fd`` to copy as they are.

    Ranges are copied in the kernel (``copy_file_range``, as ``cp`` does)
    where the system allows, else through a small buffer; nothing big is
    held in memory.  The temp file is left open for reading back.
    """
    target = Path(target)
    tmp = temp_path_for(target)
    try:
        fd = os.open(tmp, oscaps.create_flags(), 0o600)
    except OSError as err:
        raise write_error(err, f"cannot write in {target.parent}", target.name) from None
    try:
        write_plan(fd, plan, src_fd)
        oscaps.set_mode(fd, tmp, mode & 0o7777)
        device = os.fstat(fd).st_dev
    except OSError as err:
        os.close(fd)
        _unlink_quietly(tmp)
        raise write_error(err, f"could not write {target.name}", target.name) from None
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    return PendingWrite(tmp, target, fd, overwrite, device)


def write_plan(fd: int, plan: Sequence[bytes | range], src_fd: int | None) -> None:
    """Append the plan's new bytes, and its ranges of ``src_fd``, to ``fd``.  Raises OSError."""
    for piece in plan:
        if isinstance(piece, range):
            if src_fd is None:
                raise ValueError("a range needs the file it comes from")
            _copy_range(src_fd, fd, piece)
        else:
            _write_all(fd, piece)


#: errno values meaning "copy_file_range cannot do this here": copy through a buffer instead.
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF, errno.EPERM}
_COPY_BUFFER = 4 * 1024 * 1024


def _copy_range(src_fd: int, fd: int, span: range) -> None:
    """Append ``span`` of ``src_fd`` to ``fd``; a source cut short raises (the copy is refused)."""
    offset, end = span.start, span.stop
    copy_file_range = oscaps.kernel_copy()
    if copy_file_range is not None:
        try:
            while offset < end:
                copied = copy_file_range(src_fd, fd, end - offset, offset)
                if copied <= 0:
                    break
                offset += copied
        except OSError as err:
            if err.errno not in _NO_KERNEL_COPY:
                raise
    while offset < end:
        chunk = oscaps.pread(src_fd, min(_COPY_BUFFER, end - offset), offset)
        if not chunk:
            raise OSError(errno.EIO, "the photo got shorter while it was being copied")
        _write_all(fd, chunk)
        offset += len(chunk)


#: Longest a commit waits for the rest of its group before flushing without them (seconds).
MAX_GROUP_WAIT = 1.0


class GroupCommit:
    """Commit many temp files with few disk flushes, for batches.

    Every temp file must be on disk before it is renamed into place.  Each
    fsync costs a flush of the disk's cache, which on this kind of machine
    costs more than writing the photo.  On Linux one ``syncfs`` makes every
    file written so far durable at once: while a batch keeps writing, each
    flush covers the files written meanwhile.  Renames are made durable by
    the next flush, and ``finish`` flushes once more.  Where ``syncfs`` is
    missing, each file is fsynced and each folder synced, as ``commit`` does.

    ``written`` is called by the thread writing temp files, ``commit`` by
    one committing thread, in the order the files were written.

    With a ``group_size`` above 1 a flush waits until that many files are
    written (or the writer calls ``close``, or MAX_GROUP_WAIT passes), so one
    flush covers several files: committing each file as soon as it was
    written gave about 225 flushes for 200 photos, as a flush was usually
    over before the next photo was ready.  The writer must call ``close``.
    """

    def __init__(self, group_size: int = 1) -> None:
        self._written = 0
        self._flushed: dict[int, int] = {}  # device -> how many written files the last flush covered
        self._renamed: dict[int, Path] = {}  # device -> a folder renamed into since its last flush
        self._syncfs = _syncfs_function()
        self._group_size = max(1, group_size)
        self._closed = False
        self._more = threading.Condition()

    def written(self, pending: PendingWrite) -> int:
        """Note that ``pending`` is fully written; returns its place in the batch."""
        with self._more:
            self._written += 1
            self._more.notify_all()
            return self._written

    def close(self) -> None:
        """No more files will be written: a commit waiting for its group flushes what there is."""
        with self._more:
            self._closed = True
            self._more.notify_all()

    def _wait_for_group(self, place: int) -> None:
        with self._more:
            self._more.wait_for(lambda: self._closed or self._written >= place + self._group_size - 1,
                                timeout=MAX_GROUP_WAIT)

    def commit(self, pending: PendingWrite, place: int, *, durable_now: bool = False) -> Path:
        """Rename ``pending`` into place once its bytes are on disk; ``durable_now`` also syncs the rename."""
        if self._syncfs is None:
            return pending.commit()
        if self._flushed.get(pending.device, 0) < place:
            if self._group_size > 1:
                self._wait_for_group(place)
            covered = self._written  # every file fully written before the flush starts
            try:
                self._flush(pending.fd)
            except OSError as err:
                pending.discard()
                raise write_error(err, f"could not write {pending.target.name}", pending.target.name) from None
            self._flushed[pending.device] = covered
            self._renamed.pop(pending.device, None)
        forget_cached_pages(pending.fd)  # on disk now: let the next photo's write reuse this memory
        target = pending._commit(flush=None, sync_folder=False)
        self._renamed[pending.device] = target.parent
        if durable_now:
            self._flush_folder(pending.device)
        return target

    def finish(self) -> None:
        """Make every rename so far durable (best effort, like ``fsync_dir``)."""
        for device in list(self._renamed):
            self._flush_folder(device)

    def _flush_folder(self, device: int) -> None:
        folder = self._renamed.pop(device, None)
        if folder is not None:
            fsync_dir(folder, flush=self._flush)

    def _flush(self, fd: int) -> None:
        assert self._syncfs is not None
        if self._syncfs(fd) != 0:
            import ctypes

            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))


def forget_cached_pages(fd: int) -> None:
    """Drop a durable file's pages from the page cache (best effort; where the system offers it).

    Writing a photo into page-cache memory that was never used (or was given
    back) costs far more than into memory just freed: on this project's
    virtual machine a 3.2 MB ``write()`` took 15-20 ms into fresh pages and
    0.6-0.7 ms into reused ones.  Once a batch's copies are on disk their
    cached pages are clean, so dropping them changes nothing on disk and lets
    the next photos reuse that memory (a 200-photo batch keeps about 13 MB
    cached instead of 650 MB).
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    try:
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass


def _syncfs_function() -> Callable[[int], int] | None:
    """libc's syncfs(2) where the system has it (see ``oscaps.group_flush``)."""
    return oscaps.group_flush()


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _rename_no_replace(tmp: Path, target: Path, *, release: Callable[[], None] | None = None) -> None:
    """Move ``tmp`` to ``target`` unless ``target`` exists (then FileExistsError).

    A hard link does this atomically; file systems without hard links (FAT and
    exFAT on SD cards and USB sticks, Pyodide) get renameat2(RENAME_NOREPLACE),
    and failing that an exclusive placeholder that the rename then replaces.
    ``release`` closes the temp file once ``target`` is won, before ``tmp`` is
    removed or renamed (Windows refuses both while it is open).
    """
    if oscaps.has_hard_links():
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise
        except OSError as err:
            if err.errno not in oscaps.LINK_UNSUPPORTED:
                raise
        else:
            if release is not None:
                release()
            os.unlink(tmp)
            return
    if oscaps.removes_open_files() and _renameat2_noreplace(tmp, target):
        return
    placeholder = os.open(target, (oscaps.create_flags() & ~os.O_RDWR) | os.O_WRONLY, 0o600)  # FileExistsError if taken
    os.close(placeholder)
    try:
        if release is not None:
            release()
        oscaps.replace(tmp, target)
    except BaseException:
        _unlink_quietly(target)  # our own empty placeholder: never leave it at the final name
        raise


def _renameat2_noreplace(tmp: Path, target: Path) -> bool:
    """renameat2(..., RENAME_NOREPLACE) through libc; False when the system lacks it."""
    import ctypes

    renameat2 = oscaps.c_function("renameat2")
    if renameat2 is None:
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
    except PermissionError:
        try:  # Windows will not remove a read-only file (a copy of a read-only photo)
            os.chmod(path, 0o600)
            os.unlink(path)
        except OSError:
            pass
    except OSError:
        pass


def fsync_dir(folder: Path, *, flush: Callable[[int], None] | None = None) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(folder, oscaps.folder_flags())
    except OSError:
        return  # Windows cannot open a folder: its renames are journalled by NTFS
    try:
        (flush or oscaps.flush_to_disk)(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
