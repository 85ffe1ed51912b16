"""Where files go: OUTBOX, QUARANTINE and ARCHIVE, mirroring the inbox layout.

Nothing here ever replaces an existing file: a clash gets ``name-1.ext``.
Names are compared as a Windows or macOS share of these folders would
(``paths.name_key``): ``img_1.jpg`` beside ``IMG_1.JPG``, or the two Unicode
spellings of ``café.jpg``, would show as one file there, so the second
gets a suffix too, and ``trip/`` goes into an existing ``Trip/``.
Clean copies are written with ``fsio.atomic_write`` (temp file, fsync,
rename), so a crash leaves at most a ``.geoscrub-*.tmp`` that the next start
sweeps.  Originals are removed only after the copy is durable.
"""
from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Iterator
from typing import Any
from pathlib import Path

from .. import api, fsio, oscaps
from ..api import Photo
from ..errors import WriteFailed
from ..fileview import FileView, same_range
from ..formats.base import ContainerFormat
from ..paths import name_key
from .beneath import Source

#: Mode of cleaned copies: readable by whoever posts them.
OUTPUT_MODE = 0o644
#: Give up looking for a free name after this many suffixes.
MAX_SUFFIX = 10_000
REASON_SUFFIX = ".reason.txt"


class CannotMove(Exception):
    """The entry cannot be moved here (e.g. a FIFO to another disk)."""


def layout_problem(inbox: Path, others: dict[str, Path | None]) -> str | None:
    """A plain sentence if the folders overlap in a way that would loop or leak."""
    if not inbox.is_dir():
        return f"the inbox folder {inbox} does not exist"
    real_inbox = inbox.resolve()
    for label, folder in others.items():
        if folder is None:
            continue
        real = folder.resolve()
        if real == real_inbox or real_inbox in real.parents:
            return f"the {label} folder must not be inside the inbox"
        if real in real_inbox.parents:
            return f"the inbox must not be inside the {label} folder"
    seen: dict[Path, str] = {}
    for label, folder in others.items():
        if folder is None:
            continue
        real = folder.resolve()
        if real in seen:
            return f"the {label} folder and the {seen[real]} folder must be different"
        seen[real] = label
    return None


def candidate_names(target: Path) -> Iterator[Path]:
    """``target``, then ``stem-1.ext``, ``stem-2.ext``... ."""
    yield target
    stem, suffix = _split(target.name)
    for n in range(1, MAX_SUFFIX):
        yield target.with_name(f"{stem}-{n}{suffix}")


def spelled_as_on_disk(base: Path, rel: str) -> Path:
    """``base / rel``, each folder on the way spelled as the one already there that a share takes for it.

    So ``trip/a.jpg`` goes into an existing ``Trip/``.  The file's own name
    is kept (``free_candidates`` deals with its twins).
    """
    *folders, name = Path(rel).parts
    path = base
    for i, folder in enumerate(folders):
        twin = _twin_in(path, folder)
        if twin is None:
            return path.joinpath(*folders[i:], name)
        path /= twin
    return path / name


def free_candidates(target: Path) -> Iterator[Path]:
    """``candidate_names``, each checked against the folder's names as a share compares them.

    A name with a twin already there (other case, other Unicode form) is
    given as that twin, so it counts as taken, or as an identical copy
    left by an earlier run, but is never used beside it.
    """
    for name in candidate_names(target):
        twin = _twin_in(name.parent, name.name)
        yield name if twin is None else name.with_name(twin)


def _twin_in(folder: Path, name: str) -> str | None:
    """The entry of ``folder`` a case- and accent-insensitive disk takes for ``name`` (itself first)."""
    if os.path.lexists(folder / name):
        return name
    key = name_key(name)
    try:
        with os.scandir(folder) as entries:
            return next((entry.name for entry in entries if name_key(entry.name) == key), None)
    except OSError:
        return None


def _split(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:]


def same_content(path: Path, fd: int) -> bool:
    """True when ``path`` is a regular file holding exactly what the open file ``fd`` holds.

    Compared a window at a time, so a big photo is never read whole.
    """
    try:
        size = os.fstat(fd).st_size
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size != size:
            return False
        other, _ = fsio.open_regular_file(path, follow_symlinks=False)
        try:
            return same_range(FileView(other, size), 0, FileView(fd, size), 0, size)
        finally:
            os.close(other)
    except Exception:  # noqa: BLE001 - any doubt means "not the same"
        return False


class Places:
    """The three destination folders, and the moves into them."""

    def __init__(self, outbox: Path, quarantine: Path, archive: Path | None, review: Path | None = None) -> None:
        self.outbox = outbox
        self.quarantine = quarantine
        self.archive = archive
        #: watch --hold: photos that may show faces or words go here instead of the outbox (see look/hold.py).
        self.review = review
        self.holding: Any = None  # a geoscrub.look.hold.Holding when --hold was given
        # Our workers are the only writers to quarantine/archive: this lock
        # makes "pick a free name, then rename" safe between them.
        self._lock = threading.Lock()
        # The same for the outbox, where twins must be seen (two workers posting IMG_1.JPG and img_1.jpg).
        self._outbox_lock = threading.Lock()

    def folders(self) -> list[Path]:
        return [p for p in (self.outbox, self.quarantine, self.archive, self.review) if p is not None]

    def prepare(self) -> None:
        for folder in self.folders():
            folder.mkdir(parents=True, exist_ok=True)

    def sweep_temp_files(self) -> list[Path]:
        """Remove ``.geoscrub-*.tmp`` left by a crash; returns what was removed."""
        removed = []
        for folder in self.folders():
            for dirpath, _dirnames, filenames in os.walk(folder):
                for name in filenames:
                    if not fsio.is_temp_name(name):
                        continue
                    path = Path(dirpath, name)
                    try:
                        if stat.S_ISREG(os.lstat(path).st_mode):
                            os.unlink(path)
                            removed.append(path)
                    except OSError:
                        pass
        return removed

    def write_clean(self, rel: str, fmt: ContainerFormat, photo: Photo) -> tuple[Path, bool]:
        """Put the verified clean copy of ``photo`` at OUTBOX/rel (or a suffixed name): (path, already there).

        The copy is verified in a temp file in the outbox folder (see
        ``api.start_clean_copy``: a big photo is never held whole), then made
        durable and renamed.  An identical copy left by an earlier run counts
        as done, so running twice over the same upload never posts it twice.
        Raises VerificationFailed (refuse the file) or WriteFailed (try again).
        """
        with self._outbox_lock:
            target = spelled_as_on_disk(self.outbox, rel)
            _make_parents(target)
        pending = api.start_clean_copy(fmt, photo, target, mode=OUTPUT_MODE, overwrite=False)
        try:
            oscaps.flush_to_disk(pending.fd)  # the slow part, outside the lock (commit's own flush is then quick)
        except OSError as err:
            pending.discard()
            raise WriteFailed(f"could not write {target.name}: {err.strerror or err}") from None
        with self._outbox_lock:
            return pending.commit_to_free_name(free_candidates(target),
                                               already_there=lambda name: same_content(name, pending.fd))

    def write_held(self, rel: str, fmt: ContainerFormat, photo: Photo, note: str) -> tuple[Path, bool]:
        """Like ``write_clean``, into REVIEW/rel, with NAME.seen.txt beside it saying what was seen.

        The copy is written first: a crash before the note leaves it in the
        review folder (never the outbox), and the next run writes the note.
        """
        from ..look.hold import SEEN_SUFFIX

        assert self.review is not None
        target = self.review / rel
        _make_parents(target)
        pending = api.start_clean_copy(fmt, photo, target, mode=OUTPUT_MODE, overwrite=False)
        dest, already = pending.commit_to_free_name(candidate_names(target),
                                                    already_there=lambda name: same_content(name, pending.fd))
        fsio.atomic_write(dest.with_name(dest.name + SEEN_SUFFIX), note.encode("utf-8"), mode=OUTPUT_MODE)
        return dest, already

    def to_quarantine(self, src: Source, rel: str, reason: str) -> Path:
        """Move ``src`` to QUARANTINE/rel with NAME.reason.txt beside it."""
        with self._lock:
            target = spelled_as_on_disk(self.quarantine, rel)
            _make_parents(target)
            dest = _free_name(target, also_free=REASON_SUFFIX)
            # The reason is written first: a crash between the two steps
            # leaves the file in the inbox, to be refused again.
            fsio.atomic_write(dest.with_name(dest.name + REASON_SUFFIX), reason.encode("utf-8"), mode=OUTPUT_MODE)
            try:
                _move(src, dest)
            except BaseException:
                _unlink_quietly(dest.with_name(dest.name + REASON_SUFFIX))
                raise
        return dest

    def note_and_remove(self, src: Source, rel: str, reason: str, dev: int, ino: int) -> Path:
        """Write QUARANTINE/rel.reason.txt, then remove the inbox entry ``src`` if it is still (dev, ino).

        For links and special files, which must never reach the quarantine
        themselves.  Returns the note's path; raises FileExistsError when
        the entry was replaced meanwhile (nothing is removed then).
        """
        with self._lock:
            target = spelled_as_on_disk(self.quarantine, rel)
            _make_parents(target)
            dest = _free_name(target, also_free=REASON_SUFFIX)
            note = dest.with_name(dest.name + REASON_SUFFIX)
            fsio.atomic_write(note, reason.encode("utf-8"), mode=OUTPUT_MODE)
            try:
                src.remove_entry(dev, ino)
            except BaseException:
                _unlink_quietly(note)
                raise
        return note

    def to_archive(self, src: Source, rel: str) -> Path:
        assert self.archive is not None
        with self._lock:
            target = spelled_as_on_disk(self.archive, rel)
            _make_parents(target)
            dest = _free_name(target)
            _move(src, dest)
        return dest

    @staticmethod
    def remove(src: Source) -> None:
        src.unlink()


def _make_parents(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"cannot make folder {target.parent.name}: {err.strerror or err}"
        raise WriteFailed(msg) from None


def _free_name(target: Path, also_free: str = "") -> Path:
    """The first candidate name with no twin in its folder (nor a twin of it + ``also_free``)."""
    for name in candidate_names(target):
        if _twin_in(name.parent, name.name) is not None:
            continue
        if also_free and _twin_in(name.parent, name.name + also_free) is not None:
            continue
        return name
    msg = f"no free name for {target.name}"
    raise WriteFailed(msg)


def _move(src: Source, dest: Path) -> None:
    """Rename ``src`` to ``dest`` (never replacing it); across disks, copy then delete.

    Only regular files with one name are copied across disks; anything
    else raises CannotMove (links and special files never come here: see
    ``note_and_remove``).
    """
    if os.path.lexists(dest):
        raise FileExistsError(errno.EEXIST, "exists", str(dest))
    try:
        src.rename_to(dest)
    except OSError as err:
        if err.errno != errno.EXDEV:
            raise
        _copy_across(src, dest)
        src.unlink()
    fsio.fsync_dir(dest.parent)
    src.fsync_folder()


def _copy_across(src: Source, dest: Path) -> None:
    st = src.lstat()
    if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
        msg = "it cannot be moved to another disk"
        raise CannotMove(msg)
    fd, st2 = src.open()
    try:
        if (st2.st_dev, st2.st_ino) != (st.st_dev, st.st_ino):
            msg = "it changed while being moved"
            raise CannotMove(msg)
        pending = fsio.start_write_plan(dest, [range(st2.st_size)], fd, mode=OUTPUT_MODE, overwrite=False)
        after = os.fstat(fd)
        if (after.st_size, after.st_mtime_ns) != (st2.st_size, st2.st_mtime_ns):
            pending.discard()
            msg = "it changed while being moved"
            raise CannotMove(msg)
        pending.commit()
    finally:
        src.release(fd)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
