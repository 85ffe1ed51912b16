"""Reaching an inbox file without following a symlink anywhere on the way.

``O_NOFOLLOW`` only guards the last part of a path: ``inbox/album/x.jpg``
with ``album`` a symlink to someone's private folder would still be read.
So each folder is opened with ``O_NOFOLLOW|O_DIRECTORY`` relative to the
previous one, and the file is read, renamed and deleted relative to that
folder's descriptor.  A folder swapped for a symlink mid-way makes the open
fail instead of escaping the inbox.
"""
from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .. import fsio
from ..errors import NotARegularFile

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_PROC_FD = "/proc/self/fd"


class OutsideInbox(NotARegularFile):
    """A folder on the way is a symlink (or not a folder any more)."""


@dataclass(frozen=True)
class Source:
    """An entry of the inbox: its folder's descriptor and its own name."""

    root: str
    rel: str
    dir_fd: int
    name: str

    @property
    def path(self) -> str:
        return os.path.join(self.root, self.rel)

    def lstat(self) -> os.stat_result:
        return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)

    def open(self) -> tuple[int, os.stat_result]:
        """An fd for reading the file and its fstat, refusing symlinks, FIFOs, devices (fsio).

        The caller closes the fd.
        """
        if os.path.isdir(_PROC_FD):
            return fsio.open_regular_file(f"{_PROC_FD}/{self.dir_fd}/{self.name}", follow_symlinks=False)
        return fsio.open_regular_file(self.path, follow_symlinks=False)  # pragma: no cover - not Linux

    def readlink(self) -> str:
        return os.readlink(self.name, dir_fd=self.dir_fd)

    def unlink(self) -> None:
        os.unlink(self.name, dir_fd=self.dir_fd)
        self.fsync_folder()

    def remove_entry(self, dev: int, ino: int) -> None:
        """Remove this name (a link, pipe or second name; never what it points to) if it is still (dev, ino).

        The name is first renamed aside, so an upload renamed over it at the
        last moment is seen, put back and kept: FileExistsError then.  The
        last name of a file is never removed (two names of one photo both in
        the inbox: the second is then a file of its own, to be cleaned).
        """
        aside = f".geoscrub-{secrets.token_hex(6)}.tmp"  # a dot-name: the inbox walk ignores it
        os.rename(self.name, aside, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        st = os.stat(aside, dir_fd=self.dir_fd, follow_symlinks=False)
        last_name = stat.S_ISREG(st.st_mode) and st.st_nlink < 2  # its other names went meanwhile
        if (st.st_dev, st.st_ino) != (dev, ino) or last_name:
            self._put_back(aside)
            raise FileExistsError(errno.EEXIST, "it was replaced or is now the file's only name", self.path)
        os.unlink(aside, dir_fd=self.dir_fd)
        self.fsync_folder()

    def _put_back(self, aside: str) -> None:
        """Give the entry renamed aside its name back, or a free ``name-N`` next to it; never replace."""
        stem, dot, ext = self.name.rpartition(".")
        names = [self.name] + [f"{stem}-{n}.{ext}" if dot and stem else f"{self.name}-{n}" for n in range(1, 100)]
        for name in names:
            try:
                os.link(aside, name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd, follow_symlinks=False)
            except FileExistsError:
                continue
            except OSError:  # a folder cannot be linked: rename it back if the name is still free
                if os.path.lexists(os.path.join(self.root, os.path.dirname(self.rel), name)):
                    continue
                os.rename(aside, name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
                return
            os.unlink(aside, dir_fd=self.dir_fd)
            return

    def rename_to(self, dest: str | os.PathLike[str]) -> None:
        os.rename(self.name, dest, src_dir_fd=self.dir_fd)

    def fsync_folder(self) -> None:
        try:
            os.fsync(self.dir_fd)
        except OSError:
            pass


@contextmanager
def open_source(root: str, rel: str) -> Iterator[Source]:
    """The entry ``root/rel``, or OutsideInbox if a folder on the way is a symlink."""
    *folders, name = rel.split(os.sep)
    fd = os.open(root, _DIR_FLAGS)
    try:
        for folder in folders:
            try:
                next_fd = os.open(folder, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR):
                    msg = "is inside a folder that is a shortcut (symbolic link)"
                    raise OutsideInbox(msg) from None
                raise
            os.close(fd)
            fd = next_fd
        yield Source(root, rel, fd, name)
    finally:
        os.close(fd)


def parents_are_real_folders(root_real: str, root: str, rel: str) -> bool:
    """Cheap check for the tracker: no symlink between the inbox and this entry."""
    parent_rel = os.path.dirname(rel)
    if not parent_rel:
        return True
    return os.path.realpath(os.path.join(root, parent_rel)) == os.path.join(root_real, parent_rel)
