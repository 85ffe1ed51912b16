"""Handling one file: clean it into the outbox, or refuse it into quarantine.

Every exception is turned into an ``Outcome`` here, so one bad file never
stops the service.  The original leaves the inbox only after its clean copy
is durable (or it has been moved to quarantine).  A file that looks
unfinished (empty, cut short, not begun, or with parts never written) is
judged only once the tracker says it has been unchanged for the patience.  Links and special files never
enter the quarantine: their inbox entry is removed and a note left there.
"""
from __future__ import annotations

import errno
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .. import api, fsio, limits, registry
from .. import rebuild as rebuilding
from .. import report as render
from ..errors import (
    GeoscrubError,
    LimitExceeded,
    MalformedFile,
    NotARegularFile,
    TruncatedFile,
    UnsupportedFormat,
    WriteFailed,
)
from ..formats import signatures
from ..formats.base import ContainerFormat, forget_recent_parses
from ..fsio import read_all
from ..model import Finding
from ..paths import extension_for
from . import reasons
from .beneath import OutsideInbox, Source, open_source
from .diskfull import is_disk_full
from .placement import CannotMove, Places
from .settle import Job, Kind, Signature


class Result:
    CLEANED = "cleaned"  # clean copy in the outbox, original removed or archived
    REFUSED = "refused"  # moved to quarantine with a reason
    SKIPPED = "skipped"  # not a photo and could not be moved: left in place, ignored
    RETRY = "error"  # not the file's fault (disk full, permissions): tried again later
    NOT_YET = "not-yet"  # looked incomplete: wait for the full settle time
    UNFINISHED = "unfinished"  # still looks unfinished after settling: look again after a growing wait
    CHANGED = "changed"  # changed while being read: settle again
    GONE = "gone"  # disappeared before it could be handled


@dataclass
class Outcome:
    rel: str
    result: str
    dest: Path | None = None
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""  # plain sentence
    detail: str = ""  # technical one-liner
    already: bool = False  # the clean copy was there from an earlier run
    archived_to: Path | None = None
    kept_original: bool = False  # cleaned, but the original could not be removed
    original_changed: bool = False  # ... because it changed meanwhile: clean the new version
    warning: str = ""  # rebuilt from its pixels (--rebuild): re-encoded, and why
    disk_full: bool = False  # RETRY because there was no space left: waits for room (see ``diskfull``)
    held: str = ""  # --hold: cleaned into the review folder, not the outbox; what was seen


def process(job: Job, inbox: str, places: Places, rebuild: bool = False) -> Outcome:
    """Handle ``job``; never raises (except KeyboardInterrupt/SystemExit)."""
    try:
        with open_source(inbox, job.rel) as src:
            if job.kind in NOT_FILES:
                return _remove_entry(job, src, places, job.kind)
            return _clean(job, src, places, rebuild)
    except (FileNotFoundError, OutsideInbox):
        return Outcome(job.rel, Result.GONE)  # gone, or reached through a symlinked folder: not ours
    except Exception as err:  # noqa: BLE001 - the service must outlive any one file
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        return Outcome(job.rel, Result.RETRY, reason="something went wrong", detail=detail,
                       disk_full=is_disk_full(err))


def _clean(job: Job, src: Source, places: Places, rebuild: bool = False) -> Outcome:
    try:
        fd, st = src.open()
    except FileNotFoundError:
        return Outcome(job.rel, Result.GONE)
    except NotARegularFile:
        return Outcome(job.rel, Result.CHANGED)  # swapped for a link or pipe since lstat
    except LimitExceeded as err:
        return _refuse_or_wait(job, src, places, err)
    except PermissionError as err:
        return _refuse_or_wait(job, src, places, err)
    try:
        return _clean_open(job, src, places, fd, st, rebuild)
    finally:
        src.release(fd)  # if moving or removing the original has not closed it already
        forget_recent_parses()


def _clean_open(job: Job, src: Source, places: Places, fd: int, st: os.stat_result, rebuild: bool = False
                ) -> Outcome:
    """Clean the open file ``fd``: read whole when small, a window at a time when big (see api).

    With ``rebuild``, a settled file refused as damaged or unsupported is made
    again from its pixels instead (see ``geoscrub.rebuild``), labelled so.
    """
    def refuse(err: BaseException, *, unfinished: bool = False) -> Outcome:
        if rebuild:
            return _rebuild_or_refuse(job, src, places, fd, st, err, unfinished=unfinished)
        return _refuse_or_wait(job, src, places, err, unfinished=unfinished,
                               rebuildable=_would_rebuild(job, fd, st, err, unfinished=unfinished))

    if Signature.of(st) != job.sig:
        return Outcome(job.rel, Result.CHANGED)
    if st.st_nlink > 1:
        return _remove_entry(job, src, places, Kind.HARDLINK)
    if not job.may_refuse_unfinished and has_unwritten_parts(fd, st.st_size):
        # given its full size up front (copies to a Windows share do) and not all written yet:
        # its zeros could pass for picture data, so it is not judged at all before the patience
        return Outcome(job.rel, Result.UNFINISHED, detail="parts of the file were never written yet")
    try:
        fmt, photo = api.read_photo(fd, st.st_size)
        found = api.scan_photo(fmt, photo)
    except (GeoscrubError, PermissionError) as err:
        return refuse(err, unfinished=looks_unfinished(err, fd, st.st_size))
    except OSError:
        raise  # the disk failed, not the file: ``process`` tries again later
    except Exception as err:  # noqa: BLE001 - a bug in a format module: fail closed
        return _refuse_or_wait(job, src, places, err)
    held = _held(places, photo)
    try:
        if held is not None:
            dest, already = places.write_held(job.rel, fmt, photo, held[0])
        else:
            dest, already = places.write_clean(job.rel, fmt, photo)
    except WriteFailed as err:
        return Outcome(job.rel, Result.RETRY, reason="could not write the cleaned copy", detail=str(err),
                       disk_full=is_disk_full(err))
    except GeoscrubError as err:  # the cleaned copy did not verify: nothing was written
        return refuse(err)
    except OSError:
        raise  # reading the photo again failed: tried again later
    except Exception as err:  # noqa: BLE001 - a bug in a format module: fail closed
        return _refuse_or_wait(job, src, places, err)
    outcome = Outcome(job.rel, Result.CLEANED, dest=dest, findings=list(found.findings), already=already,
                      held=held[1] if held is not None else "")
    _retire_original(job, src, places, outcome)
    return outcome


def _held(places: Places, photo: api.Photo) -> tuple[str, str] | None:
    """``--hold``: (note, one-line summary) when the photo may show what is held, else None (post it)."""
    if places.holding is None:
        return None
    data = bytes(photo) if isinstance(photo, (bytes, bytearray, memoryview)) else None
    sight, why = places.holding.judge(data)
    if not why:
        return None
    return places.holding.note(sight, why), places.holding.summary(sight, why)


def _rebuild_or_refuse(job: Job, src: Source, places: Places, fd: int, st: os.stat_result, err: BaseException, *,
                       unfinished: bool = False) -> Outcome:
    """``--rebuild``: once the file may be refused, post a copy made from its pixels instead, if one can be made."""
    if (not job.may_refuse or (unfinished and not job.may_refuse_unfinished) or not rebuilding.may_rescue(err)
            or st.st_size > limits.MAX_FILE_BYTES):
        return _refuse_or_wait(job, src, places, err, unfinished=unfinished)
    why = str(err)
    try:
        rebuilt = rebuilding.rebuild_photo(read_all(fd))
        fmt = registry.sniff(rebuilt.data[: registry.PREFIX_BYTES])
        held = _held(places, rebuilt.data)  # --hold looks at rebuilt photos too
        if held is not None:
            dest, already = places.write_held(_with_extension(job.rel, fmt), fmt, rebuilt.data, held[0])
        else:
            dest, already = places.write_clean(_with_extension(job.rel, fmt), fmt, rebuilt.data)
    except WriteFailed as write_err:
        return Outcome(job.rel, Result.RETRY, reason="could not write the rebuilt copy", detail=str(write_err),
                       disk_full=is_disk_full(write_err))
    except GeoscrubError as rebuild_err:
        return _refuse_or_wait(job, src, places, err, unfinished=unfinished,
                               also=f"rebuilding it failed too: {rebuild_err.reason}: {rebuild_err}")
    except OSError:
        raise  # the disk failed, not the file: ``process`` tries again later
    except Exception as bug:  # noqa: BLE001 - a bug: fail closed, refuse as before
        return _refuse_or_wait(job, src, places, err, unfinished=unfinished,
                               also=f"rebuilding it failed too: {repr(bug)[:200]}")
    outcome = Outcome(job.rel, Result.CLEANED, dest=dest, already=already,
                      warning=render.rebuilt_warning(why, damaged=rebuilt.damaged),
                      held=held[1] if held is not None else "")
    _retire_original(job, src, places, outcome)
    return outcome


def _would_rebuild(job: Job, fd: int, st: os.stat_result, err: BaseException, *, unfinished: bool) -> bool:
    """Whether a file about to be quarantined would have been rebuilt with --rebuild (for its reason note)."""
    if not job.may_refuse or (unfinished and not job.may_refuse_unfinished) or not rebuilding.may_rescue(err):
        return False
    return st.st_size <= limits.MAX_FILE_BYTES and rebuilding.can_decode(read_all(fd))


def _with_extension(rel: str, fmt: ContainerFormat) -> str:
    """``rel`` ending in the rebuilt format's extension (a BMP rebuilt as PNG must not end in .bmp)."""
    path = PurePosixPath(rel)
    extension = extension_for(path, fmt.name, fmt.extension)  # type: ignore[arg-type]
    return str(path.with_suffix(extension)) if extension != path.suffix else rel


def _retire_original(job: Job, src: Source, places: Places, outcome: Outcome) -> None:
    """Remove (or archive) the original, unless it changed after it was read."""
    try:
        now_sig = Signature.of(src.lstat())
    except FileNotFoundError:
        return
    if now_sig != job.sig:
        outcome.kept_original = outcome.original_changed = True
        outcome.detail = "the original changed while it was being cleaned; the new version will be cleaned too"
        return
    try:
        if places.archive is not None:
            outcome.archived_to = places.to_archive(src, job.rel)
        else:
            places.remove(src)
    except (OSError, CannotMove, WriteFailed) as err:
        outcome.kept_original = True
        outcome.detail = f"could not remove the original: {_oserror_words(err)}"


#: Fewer bytes than this cannot tell which kind of photo a file is.
FORMAT_PREFIX_BYTES = 64


def looks_unfinished(err: BaseException, fd: int, size: int) -> bool:
    """True when ``err`` may only mean the upload is not finished yet.

    Empty, cut short or damaged part-way (what a prefix of a photo looks
    like), or of no known kind yet because the few bytes that arrived are
    the start of a known kind, or the start is still the zeros of space an
    uploader set aside.  Plain junk (a short text, noise) is not unfinished:
    more bytes will not make it a photo, so it is judged once settled.
    """
    if size == 0 or isinstance(err, (TruncatedFile, MalformedFile)):
        return True
    if not isinstance(err, UnsupportedFormat):
        return False
    try:
        head = fsio.read_at(fd, 0, min(size, FORMAT_PREFIX_BYTES))
    except OSError:
        return True
    if not head[:16].strip(b"\x00"):
        return True
    return size < FORMAT_PREFIX_BYTES and signatures.may_become_known(head)


def has_unwritten_parts(fd: int, size: int) -> bool:
    """True when the file system says part of the file was never written (a hole, or space set aside).

    A finished photo has none; where the system cannot tell, this is False.
    """
    seek_hole = getattr(os, "SEEK_HOLE", None)
    if seek_hole is None or size == 0:
        return False
    try:
        return os.lseek(fd, 0, seek_hole) < size
    except OSError:
        return False
    finally:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
        except OSError:
            pass


def _refuse_or_wait(job: Job, src: Source, places: Places, err: BaseException, *,
                    unfinished: bool = False, also: str = "", rebuildable: bool = False) -> Outcome:
    """Refuse a file for its content, but only once it has fully settled (and, if it
    looks unfinished, stayed unchanged for the patience).

    ``also`` (what a rebuild found) goes in the note and the log; the
    ``--rebuild`` hint for a ``rebuildable`` file only in the log, which the
    volunteer running the service reads: the note speaks to the uploader.
    """
    if not job.may_refuse:
        return Outcome(job.rel, Result.NOT_YET, detail=str(err))
    if unfinished and not job.may_refuse_unfinished:
        return Outcome(job.rel, Result.UNFINISHED, detail=str(err))
    detail = str(err) if isinstance(err, GeoscrubError) else _oserror_words(err)
    if also:
        detail += f"; {also}"
    advice = reasons.advice_for(err, unfinished=unfinished, rebuildable=rebuildable)
    sentence = reasons.EMPTY if job.sig.size == 0 else reasons.refusal_for_error(err)
    outcome = _refuse(job, src, places, sentence, detail, advice)
    if rebuildable and outcome.result == Result.REFUSED:
        outcome.detail += f"; {render.REBUILD_HINT}"
    return outcome


def _as_judged(job: Job, src: Source) -> Signature | Outcome:
    """The entry's signature if it is still what was judged; otherwise what became of it."""
    try:
        now_sig = Signature.of(src.lstat())
    except FileNotFoundError:
        return Outcome(job.rel, Result.GONE)
    return now_sig if now_sig == job.sig else Outcome(job.rel, Result.CHANGED)


def _refuse(job: Job, src: Source, places: Places, sentence: str, detail: str = "",
            advice: str = reasons.SAVE_AS_JPEG) -> Outcome:
    now = _as_judged(job, src)
    if isinstance(now, Outcome):
        return now
    text = reasons.reason_text(job.rel, sentence, detail, advice)
    try:
        dest = places.to_quarantine(src, job.rel, text)
    except CannotMove as err:
        return Outcome(job.rel, Result.SKIPPED, reason=sentence, detail=f"left where it is: {err}")
    except (OSError, WriteFailed) as err:
        return Outcome(job.rel, Result.RETRY, reason="could not move it to the quarantine folder",
                       detail=_oserror_words(err), disk_full=is_disk_full(err))
    return Outcome(job.rel, Result.REFUSED, dest=dest, reason=sentence, detail=detail)


#: Entries that are not a file of their own, and why each is never opened.
NOT_FILES = {
    Kind.SYMLINK: (reasons.SYMLINK, reasons.SYMLINK_REMOVED),
    Kind.HARDLINK: (reasons.HARDLINK, reasons.HARDLINK_REMOVED),
    Kind.SPECIAL: (reasons.SPECIAL, reasons.SPECIAL_REMOVED),
}


def _remove_entry(job: Job, src: Source, places: Places, kind: str) -> Outcome:
    """Take a link or special entry out of the inbox and leave only a note in quarantine.

    Never moved (the quarantine would then hold a link to someone's private
    file, or a pipe that hangs whoever opens it) and never copied (that would
    copy the private file).  Only the entry's own name goes.
    """
    sentence, removed = NOT_FILES[kind]
    now_sig = _as_judged(job, src)
    if isinstance(now_sig, Outcome):
        return now_sig
    text = reasons.reason_text(job.rel, sentence, removed, reasons.advice_for(None))
    try:
        note = places.note_and_remove(src, job.rel, text, now_sig.dev, now_sig.ino)
    except FileExistsError:
        return Outcome(job.rel, Result.CHANGED)  # something else took its name meanwhile: look again
    except PermissionError as err:
        return Outcome(job.rel, Result.SKIPPED, reason=sentence,
                       detail=f"left where it is: could not remove it ({_oserror_words(err)})")
    except (OSError, WriteFailed) as err:
        return Outcome(job.rel, Result.RETRY, reason="could not write its note to the quarantine folder",
                       detail=_oserror_words(err), disk_full=is_disk_full(err))
    return Outcome(job.rel, Result.REFUSED, dest=note, reason=sentence, detail=removed)


def _oserror_words(err: BaseException) -> str:
    if isinstance(err, OSError) and err.errno is not None:
        return err.strerror or errno.errorcode.get(err.errno, str(err))
    return str(err) or type(err).__name__
