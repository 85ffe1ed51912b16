"""Reaching an inbox file without following a symlink anywhere on the way.

``O_NOFOLLOW`` only guards the last part of a path: ``inbox/album/x.jpg``
with ``album`` a symlink to someone's private folder would still be read.
So each folder is opened with ``O_NOFOLLOW|O_DIRECTORY`` relative to the
previous one, and the file is read, renamed and deleted relative to that
folder's descriptor.  A folder swapped for a symlink mid-way makes the open
fail instead of escaping the inbox.

Where the system cannot work relative to a folder (Windows: no ``dir_fd``),
each folder on the way is looked at before the file is opened and again
after, and must be the same real folder both times; a folder swapped for a
link and back in between could still be followed (the README says so).
Files opened through a ``Source`` are closed before it is renamed or
removed, because Windows refuses to do either to an open file.
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import fsio, oscaps
from ..errors import NotARegularFile


class OutsideInbox(NotARegularFile):
    """A folder on the way is a symlink (or not a folder any more)."""


_LINKED_FOLDER = "is inside a folder that is a shortcut (symbolic link)"


@dataclass(frozen=True)
class Source:
    """An entry of the inbox: its folder's descriptor (None without dir_fd) and its own name."""

    root: str
    rel: str
    dir_fd: int | None
    name: str
    folders: tuple[tuple[int, int], ...] = ()  # without dir_fd: (st_dev, st_ino) of each folder on the way
    held: list[int] = field(default_factory=list, compare=False)  # fds handed out by open(), not yet released

    @property
    def path(self) -> str:
        return os.path.join(self.root, self.rel)

    def lstat(self) -> os.stat_result:
        if self.dir_fd is None:
            return os.lstat(self.path)
        return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)

    def open(self) -> tuple[int, os.stat_result]:
        """An fd for reading the file and its fstat, refusing symlinks, FIFOs, devices (fsio).

        Close it with ``release`` (renaming or removing the entry does too).
        """
        if self.dir_fd is not None:
            fd, st = fsio.open_regular_file(self.name, follow_symlinks=False, dir_fd=self.dir_fd)
        else:
            fd, st = fsio.open_regular_file(self.path, follow_symlinks=False)
            if _real_folder_ids(self.root, self.rel) != self.folders:
                os.close(fd)
                raise OutsideInbox(_LINKED_FOLDER)
        self.held.append(fd)
        return fd, st

    def release(self, fd: int | None = None) -> None:
        """Close ``fd`` (every fd from ``open`` when None); closing twice is harmless."""
        for held in list(self.held):
            if fd is None or held == fd:
                self.held.remove(held)
                os.close(held)

    def readlink(self) -> str:
        if self.dir_fd is None:
            return os.readlink(self.path)
        return os.readlink(self.name, dir_fd=self.dir_fd)

    def unlink(self) -> None:
        self.release()
        if self.dir_fd is None:
            os.unlink(self.path)
        else:
            os.unlink(self.name, dir_fd=self.dir_fd)
        self.fsync_folder()

    def remove_entry(self, dev: int, ino: int) -> None:
        """Remove this name (a link, pipe or second name; never what it points to) if it is still (dev, ino).

        The name is first renamed aside, so an upload renamed over it at the
        last moment is seen, put back and kept: FileExistsError then.  The
        last name of a file is never removed (two names of one photo both in
        the inbox: the second is then a file of its own, to be cleaned).
        """
        import secrets  # loaded here: every command line would pay for it at start

        self.release()
        aside = f".geoscrub-{secrets.token_hex(6)}.tmp"  # a dot-name: the inbox walk ignores it
        self._rename_here(self.name, aside)
        st = self._lstat_here(aside)
        last_name = stat.S_ISREG(st.st_mode) and st.st_nlink < 2  # its other names went meanwhile
        if (st.st_dev, st.st_ino) != (dev, ino) or last_name:
            self._put_back(aside)
            raise FileExistsError(errno.EEXIST, "it was replaced or is now the file's only name", self.path)
        self._unlink_here(aside)
        self.fsync_folder()

    def _put_back(self, aside: str) -> None:
        """Give the entry renamed aside its name back, or a free ``name-N`` next to it; never replace."""
        stem, dot, ext = self.name.rpartition(".")
        names = [self.name] + [f"{stem}-{n}.{ext}" if dot and stem else f"{self.name}-{n}" for n in range(1, 100)]
        for name in names:
            try:
                self._link_here(aside, name)
            except FileExistsError:
                continue
            except (OSError, NotImplementedError):  # a folder cannot be linked: rename it back if the name is free
                if os.path.lexists(self._here(name)):
                    continue
                self._rename_here(aside, name)
                return
            self._unlink_here(aside)
            return

    # -- names in this entry's folder, through its descriptor where the system allows ----
    def _here(self, name: str) -> str:
        return os.path.join(os.path.dirname(self.path), name)

    def _rename_here(self, old: str, new: str) -> None:
        if self.dir_fd is None:
            os.rename(self._here(old), self._here(new))
        else:
            os.rename(old, new, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)

    def _lstat_here(self, name: str) -> os.stat_result:
        if self.dir_fd is None:
            return os.lstat(self._here(name))
        return os.stat(name, dir_fd=self.dir_fd, follow_symlinks=False)

    def _unlink_here(self, name: str) -> None:
        if self.dir_fd is None:
            os.unlink(self._here(name))
        else:
            os.unlink(name, dir_fd=self.dir_fd)

    def _link_here(self, old: str, new: str) -> None:
        """A second name for the entry itself (a link is linked, never followed); OSError where impossible."""
        if not oscaps.has_hard_links():
            raise OSError(errno.ENOSYS, "no hard links here")
        if self.dir_fd is None:
            if os.link not in os.supports_follow_symlinks and stat.S_ISLNK(os.lstat(self._here(old)).st_mode):
                raise OSError(errno.ENOSYS, "a link cannot be linked without following it here")
            kwargs = {"follow_symlinks": False} if os.link in os.supports_follow_symlinks else {}
            os.link(self._here(old), self._here(new), **kwargs)
        else:
            os.link(old, new, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd, follow_symlinks=False)

    def rename_to(self, dest: str | os.PathLike[str]) -> None:
        self.release()
        if self.dir_fd is None:
            os.rename(self.path, dest)
        else:
            os.rename(self.name, dest, src_dir_fd=self.dir_fd)

    def fsync_folder(self) -> None:
        if self.dir_fd is None:
            fsio.fsync_dir(Path(self.path).parent)
            return
        try:
            oscaps.flush_to_disk(self.dir_fd)
        except OSError:
            pass


@contextmanager
def open_source(root: str, rel: str) -> Iterator[Source]:
    """The entry ``root/rel``, or OutsideInbox if a folder on the way is a symlink."""
    if not oscaps.can_work_in_folders():
        source = Source(root, rel, None, os.path.basename(rel), _real_folder_ids(root, rel))
        try:
            yield source
        finally:
            source.release()
        return
    *folders, name = rel.split(os.sep)
    fd = os.open(root, oscaps.folder_flags())
    source = None
    try:
        for folder in folders:
            try:
                next_fd = os.open(folder, oscaps.folder_flags(follow_symlinks=False), dir_fd=fd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise OutsideInbox(_LINKED_FOLDER) from None
                raise
            os.close(fd)
            fd = next_fd
        source = Source(root, rel, fd, name)
        yield source
    finally:
        if source is not None:
            source.release()
        os.close(fd)


def _real_folder_ids(root: str, rel: str) -> tuple[tuple[int, int], ...]:
    """(st_dev, st_ino) of each folder from the inbox down to ``rel``'s; OutsideInbox if one is a link."""
    st = os.stat(root)  # the inbox itself may be reached through a link its owner made
    ids = [(st.st_dev, st.st_ino)]
    here = root
    for folder in rel.split(os.sep)[:-1]:
        here = os.path.join(here, folder)
        st = os.lstat(here)
        if oscaps.is_link_like(st) or not stat.S_ISDIR(st.st_mode):
            raise OutsideInbox(_LINKED_FOLDER)
        ids.append((st.st_dev, st.st_ino))
    return tuple(ids)


def parents_are_real_folders(root_real: str, root: str, rel: str) -> bool:
    """Cheap check for the tracker: no symlink between the inbox and this entry."""
    parent_rel = os.path.dirname(rel)
    if not parent_rel:
        return True
    return os.path.realpath(os.path.join(root, parent_rel)) == os.path.join(root_real, parent_rel)
