"""What ``check`` and ``clean`` do with each file, and ``clean``'s batch: no Click here.

``check_one`` reads and scans one file; ``Target`` decides where each copy goes
(and claims names so two inputs never write one file); ``clean_one`` makes and
verifies one copy, ``clean_files`` runs a batch whose commits overlap the next
file's work (see ``committer``).  ``cli`` parses the command line and prints.
"""
from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import interrupt, limits, oscaps, registry
from . import paths as paths_mod
from . import rebuild as rebuilding
from . import report as render
from .api import (
    Photo,
    find_clean_copy,
    holds_clean_copy,
    read_photo,
    scan_file,
    scan_photo,
    start_clean_copy,
    verify_clean_copy,
)
from .committer import COMMIT_GROUP, Committer
from .errors import CannotRebuild, DiskFull, GeoscrubError, InternalError, WriteFailed
from .formats.base import ContainerFormat, forget_recent_parses
from .fsio import (
    GroupCommit,
    PendingWrite,
    keep_owner,
    open_regular_file,
    read_all,
    write_error,
)
from .model import Policy, Report
from .paths import Input

# ---------------------------------------------------------------- one file

def _open(inp: Input) -> tuple[int, os.stat_result]:
    """An fd on the file; links found inside a given folder are refused, FIFOs never opened."""
    if inp.problem:
        raise GeoscrubError(inp.problem)
    try:
        return open_regular_file(inp.path, follow_symlinks=not inp.walked)
    except OSError as err:
        raise GeoscrubError(f"cannot be read: {err.strerror or err}") from None


def with_place(report: Report) -> Report:
    """Name the place offline; done once in the main process (the lookup table is big)."""
    loc = report.location
    if loc is not None and loc.place is None:
        from . import places  # loaded only when some photo has a position

        report.location = replace(loc, place=places.place_name(loc.latitude, loc.longitude))
    return report


def check_one(inp: Input) -> Report:
    report = Report(inp.path)
    try:
        if inp.problem:
            raise GeoscrubError(inp.problem)
        try:
            fmt, found = scan_file(inp.path, follow_symlinks=not inp.walked)
        except OSError as err:
            raise GeoscrubError(f"cannot be read: {err.strerror or err}") from None
    except GeoscrubError as err:
        report.error = err
        report.fill_readable(err)
        return report
    except Exception as err:  # noqa: BLE001 - a bug must cost one file, never the batch
        report.error = InternalError.from_exception(err)
        return report
    report.fill(fmt.name, found)
    return report


def replaced_file(path: Path) -> Path:
    """The file ``--in-place`` replaces, named as the user named it, so lines and errors read like other modes'.

    A link named on the command line is followed to the file it points to
    (relative to here when the user typed a relative path): replacing the
    link itself would leave that file, metadata and all, where it was.
    """
    if not os.path.islink(path):
        return path
    real = os.path.realpath(path)
    if path.is_absolute():
        return Path(real)
    try:
        return Path(os.path.relpath(real))
    except ValueError:  # Windows: on another drive than the current folder
        return Path(real)


@dataclass
class Target:
    """Where cleaned bytes go: beside the original, under ``--output``, or in place."""

    out_dir: Path | None = None
    in_place: bool = False
    rename: bool = False
    claimed: dict[str, tuple[Path, Path]] = field(default_factory=dict)  # claim key -> (destination, its input)
    fixed: bool = False  # destinations were claimed up front by claim_fixed_destinations
    neutral: dict[str, dict[int, list[Path]]] = field(default_factory=dict)  # folder -> size -> --rename copies

    @property
    def overwrites(self) -> bool:
        """Only --in-place replaces a file (the original, on purpose); every copy goes to a free name."""
        return self.in_place and not self.rename

    @property
    def beside_original(self) -> bool:
        """The default: NAME.clean.EXT next to each photo."""
        return self.out_dir is None and not self.in_place and not self.rename

    def claim_key(self, dest: Path) -> str:
        """What makes two destinations the same file.

        Copies under ``--output`` keep the original's name, so ``IMG_1.JPG``
        and ``img_1.jpg`` must not both go to one folder that may be on a
        case-insensitive disk (Windows, macOS, a FAT card anywhere).
        """
        return oscaps.name_key(dest) if self.out_dir is not None else os.path.abspath(dest)

    def claim(self, dest: Path, inp: Input, same_file: Path | None = None) -> str | None:
        """Claim ``dest`` for ``inp``; if another input has it, why ``inp`` is refused (naming that input).

        ``same_file`` (in place: the real path) is what is compared, ``dest`` what is shown.
        """
        key = self.claim_key(same_file or dest)
        if key not in self.claimed:
            self.claimed[key] = (dest, inp.path)
            return None
        other_dest, other = self.claimed[key]
        how = paths_mod.name_clash(str(dest), str(other_dest)) or paths_mod.NameClash.SAME
        return render.name_clash_reason(other, other_dest, how)

    def neutral_copies(self, folder: Path, extension: str) -> Callable[[int], list[Path]]:
        """Files in ``folder`` with names ``--rename`` gives, by size: where an earlier run's copy may be.

        A rerun of ``--rename`` finds its earlier copy among them (see
        ``find_clean_copy``) instead of adding a second one.  Listed once per
        folder; copies written by this run are not listed, and never needed.
        """
        key = os.path.abspath(folder)
        if key not in self.neutral:
            by_size: dict[int, list[Path]] = {}
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if paths_mod.is_neutral_name(Path(entry.name)) and entry.is_file(follow_symlinks=False):
                            by_size.setdefault(entry.stat(follow_symlinks=False).st_size, []).append(
                                Path(folder, entry.name))
            except OSError:
                pass
            self.neutral[key] = by_size
        by_size = self.neutral[key]
        return lambda size: sorted(p for p in by_size.get(size, ()) if p.suffix == extension)

    def claim_fixed_destinations(self, inputs: Sequence[Input]) -> list[Input]:
        """Claim, before any work starts, the destinations that do not depend on the format.

        Workers in other processes cannot see each other's claims, so two
        inputs that would land on the same ``--output`` path are caught here.
        (Names that depend on the format are written with overwrite=False.)
        """
        if self.rename or (self.out_dir is None and not self.in_place):
            return list(inputs)
        checked = []
        for inp in inputs:
            if inp.problem is None:
                dest = (replaced_file(inp.path) if self.in_place
                        else paths_mod.mirrored_output(self.out_dir, inp.relative))  # type: ignore[arg-type]
                # in place, one file named two ways is one destination
                clash = self.claim(dest, inp, Path(os.path.realpath(dest)) if self.in_place else None)
                if clash:
                    inp = replace(inp, problem=clash)
            checked.append(inp)
        self.fixed = True
        return checked

    def destination(self, inp: Input, fmt: ContainerFormat) -> tuple[Path, str | None]:
        """(path to write, a note for the user).  Raises GeoscrubError when unsafe."""
        note = None
        if self.in_place:
            dest = replaced_file(inp.path)  # a link named on the command line: clean its target
            if self.rename:
                dest = dest.with_name(paths_mod.neutral_name(fmt.extension))
        elif self.out_dir is not None:
            dest = paths_mod.mirrored_output(self.out_dir, inp.relative)
            if self.rename:
                dest = dest.with_name(paths_mod.neutral_name(fmt.extension))
            elif dest.exists() and os.path.samefile(dest, inp.path):
                raise GeoscrubError("the copy would replace the original (use --in-place to do that on purpose)")
        elif self.rename:
            dest = inp.path.with_name(paths_mod.neutral_name(fmt.extension))
        else:
            extension = paths_mod.extension_for(inp.path, fmt.name, fmt.extension)
            dest = paths_mod.default_output(inp.path, extension)
            if extension != inp.path.suffix:
                note = render.extension_note(fmt.name, extension)
        if not self.fixed:
            clash = self.claim(dest, inp)
            if clash:
                raise GeoscrubError(clash)
        return dest, note

    def start(self, inp: Input, dest: Path, src: Source, policy: Policy) -> Prepared:
        """Write the verified clean bytes to a temp file; ``finish`` makes them durable and visible."""
        mode = stat.S_IMODE(src.stat.st_mode)
        if self.in_place and not self.rename:
            pending = start_clean_copy(src.fmt, src.data, dest, policy, mode=mode, overwrite=True,
                                       skip_if_clean=True)
            if pending is not None:
                keep_owner(pending, src.stat)
            return Prepared(dest, pending)
        if self.out_dir is not None:
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise write_error(err, f"cannot make folder {render.shown(dest.parent)}",
                                  f"the folder {render.shown(dest.parent)}") from None
        pending = start_clean_copy(src.fmt, src.data, dest, policy, mode=mode, overwrite=False)
        if self.in_place:
            keep_owner(pending, src.stat)
        # --in-place --rename: once the clean copy is safely written, the original goes
        return Prepared(dest, pending, remove_after=inp.path if self.in_place else None)


@dataclass
class Prepared:
    """A cleaned copy written to a temp file, waiting to be committed."""

    dest: Path
    pending: PendingWrite | None  # None: nothing to write (in place, already clean)
    remove_after: Path | None = None  # the original, removed once the copy is durable

    def finish(self, group: GroupCommit, place: int) -> None:
        """Make durable and rename into place, then remove the original if asked.  Raises GeoscrubError."""
        if self.pending is not None:
            try:
                group.commit(self.pending, place, durable_now=self.remove_after is not None)
            except FileExistsError:  # appeared since clean_one looked
                raise WriteFailed(render.existing_file_reason(self.dest, in_output_folder=False)) from None
        if self.remove_after is not None:
            try:
                os.unlink(os.path.realpath(self.remove_after))  # the file itself, never just a link naming it
            except OSError as err:
                raise WriteFailed(
                    f"cleaned copy written to {render.shown(self.dest.name)}, but the original could not be "
                    f"removed: {err.strerror or err}"
                ) from None

    def discard(self) -> None:
        if self.pending is not None:
            self.pending.discard()


@dataclass(frozen=True)
class Source:
    """A photo read into memory (or, when big, a FileView on it): what it is, its bytes, its stat."""

    fmt: ContainerFormat
    data: Photo
    stat: os.stat_result


def clean_one(inp: Input, target: Target, policy: Policy, *, dry_run: bool, rebuild: bool = False
              ) -> tuple[render.CleanOutcome, Prepared | None]:
    """Everything up to a verified temp file: (outcome so far, the write still to commit).

    With ``rebuild``, a photo refused as damaged or unsupported is made again
    from its pixels (see ``geoscrub.rebuild``); without it, its refusal says
    whether that would work.
    """
    report = Report(inp.path)
    rebuildable = False
    try:
        fd, st = _open(inp)
        try:
            try:
                fmt, data = read_photo(fd, st.st_size)
                report.fill(fmt.name, scan_photo(fmt, data))
            except GeoscrubError as err:
                if not rebuilding.may_rescue(err) or st.st_size > limits.MAX_FILE_BYTES:
                    raise
                whole = read_all(fd)
                if rebuild:
                    report.error = err
                    return _rebuild_one(inp, whole, st, target, policy, report, dry_run=dry_run)
                rebuildable = rebuilding.can_decode(whole)
                raise
            if target.beside_original and paths_mod.is_clean_copy(inp.path) and not report.findings:
                return render.CleanOutcome(report, "already_clean", None, render.already_a_copy_note()), None
            dest, note = target.destination(inp, fmt)
            if target.in_place and st.st_nlink > 1:
                raise GeoscrubError("this file has other names (hard links): replacing it would leave "
                                    "the original, metadata and all, under those names")
            if target.rename and target.in_place and paths_mod.is_neutral_name(inp.path) and not report.findings:
                return render.CleanOutcome(report, "already_clean", None, render.already_renamed_note()), None
            if target.rename and not target.in_place:
                earlier = find_clean_copy(fmt, data, target.neutral_copies(dest.parent, dest.suffix), policy)
                if earlier is not None:
                    return render.CleanOutcome(report, "already_cleaned", earlier, note), None
            if not target.overwrites and os.path.lexists(dest):
                if holds_clean_copy(fmt, data, dest, policy):
                    return render.CleanOutcome(report, "already_cleaned", dest, note), None
                raise WriteFailed(render.existing_file_reason(dest, in_output_folder=target.out_dir is not None))
            if dry_run:
                verify_clean_copy(fmt, data, policy)  # would it be refused?
                action = "would_clean" if report.findings else "already_clean"
                shown_as = inp.path if target.overwrites else dest  # in place: the name the user gave, as below
                return render.CleanOutcome(report, action, shown_as, note), None
            prepared = target.start(inp, dest, Source(fmt, data, st), policy)
        finally:
            os.close(fd)
    except GeoscrubError as err:
        report.error = err
        return render.CleanOutcome(report, "refused", rebuildable=rebuildable), None
    except Exception as err:  # noqa: BLE001 - a bug must cost one file, never the batch
        report.error = InternalError.from_exception(err)
        return render.CleanOutcome(report, "refused"), None
    finally:
        forget_recent_parses()
    report.cleaned_to = dest
    shown_as = inp.path if target.overwrites else dest  # in place: the name the user gave
    return render.CleanOutcome(report, "cleaned" if report.findings else "already_clean", shown_as, note), prepared


def _rebuild_one(inp: Input, data: bytes, st: os.stat_result, target: Target, policy: Policy, report: Report,
                 *, dry_run: bool) -> tuple[render.CleanOutcome, Prepared | None]:
    """A new file from the pixels alone, verified like every output.  Raises GeoscrubError.

    ``report.error`` keeps why the lossless path refused; the outcome's warning says it was re-encoded.
    """
    try:
        rebuilt = rebuilding.rebuild_photo(data, policy)
    except CannotRebuild as failed:  # keep why it was refused in the first place
        raise CannotRebuild(f"{failed}; nor could it be cleaned as it was ({render.error_text(report)})") from None
    fmt = registry.sniff(rebuilt.data[: registry.PREFIX_BYTES])
    dest, _ = target.destination(inp, fmt)
    extension = paths_mod.extension_for(dest, fmt.name, fmt.extension)
    renamed = extension != dest.suffix  # --output keeps the name, but a rebuilt PNG must not end in .bmp
    dest = dest.with_suffix(extension)
    note = render.rebuilt_extension_note(fmt.name, extension) if extension != inp.path.suffix else None
    overwrite = target.overwrites and not renamed
    warning = render.rebuilt_warning(render.error_text(report), damaged=rebuilt.damaged)
    if not overwrite and os.path.lexists(dest):
        if _holds(dest, rebuilt.data):  # rebuilt by an earlier run: the same bytes come out every time
            return render.CleanOutcome(report, "already_cleaned", dest, note, warning), None
        raise WriteFailed(render.existing_file_reason(dest, in_output_folder=target.out_dir is not None))
    if dry_run:
        verify_clean_copy(fmt, rebuilt.data, policy)
        return render.CleanOutcome(report, "would_rebuild", dest, note, warning), None
    if target.out_dir is not None:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise write_error(err, f"cannot make folder {render.shown(dest.parent)}",
                              f"the folder {render.shown(dest.parent)}") from None
    pending = start_clean_copy(fmt, rebuilt.data, dest, policy, mode=stat.S_IMODE(st.st_mode), overwrite=overwrite)
    report.cleaned_to = dest
    return render.CleanOutcome(report, "rebuilt", dest, note, warning), Prepared(dest, pending)


def _holds(path: Path, data: bytes) -> bool:
    """True when ``path`` is a regular file (not a link) holding exactly ``data``."""
    try:
        fd, st = open_regular_file(path, follow_symlinks=False)
    except (OSError, GeoscrubError):
        return False
    try:
        return st.st_size == len(data) and read_all(fd) == data
    except OSError:
        return False
    finally:
        os.close(fd)


def _finished(outcome: render.CleanOutcome, prepared: Prepared | None, commit: Future[None] | None
              ) -> render.CleanOutcome:
    if commit is None:
        return outcome
    try:
        commit.result()
    except GeoscrubError as err:
        outcome.report.error = err
    except Exception as err:  # noqa: BLE001 - as in clean_one
        outcome.report.error = InternalError.from_exception(err)
    else:
        return outcome
    outcome.report.cleaned_to = None
    if prepared is not None and prepared.remove_after is not None and os.path.exists(prepared.dest):
        return render.CleanOutcome(outcome.report, "refused", prepared.dest, outcome.note)
    return render.CleanOutcome(outcome.report, "refused")


def not_started(inp: Input) -> render.CleanOutcome:
    """A file a stop request came before: untouched, and not listed."""
    return render.CleanOutcome(Report(inp.path), "not_started")


def found_disk_full(outcome: render.CleanOutcome) -> bool:
    """True when this file was refused because the disk is full (its temp file is already removed)."""
    return outcome.action == "refused" and isinstance(outcome.report.error, DiskFull)


def _commit(prepared: Prepared, group: GroupCommit, place: int) -> None:
    """``prepared.finish``; a full disk stops the batch, as a photo whose copy could not be started does."""
    try:
        prepared.finish(group, place)
    except DiskFull:
        interrupt.stop_for_full_disk()
        raise


def clean_files(inputs: Sequence[Input], target: Target, policy: Policy, *, dry_run: bool, rebuild: bool = False
                ) -> list[render.CleanOutcome]:
    """Clean a few files in turn; flushing and renaming overlap the next file's work.

    Commits run on one thread in order, a few files per disk flush (see
    ``GroupCommit``), and a file is reported cleaned only once its copy is
    durable.  After a stop request (see ``interrupt``), or once the disk is
    found full, the file in hand is finished and the rest are not started; on
    any exception, temp files not yet committed are removed.
    """
    started: list[tuple[render.CleanOutcome, Prepared | None, Future[None] | None]] = []
    group = GroupCommit(group_size=COMMIT_GROUP)
    committer = Committer(on_inline=group.close)  # inline, no commit may wait for files not yet written
    try:
        try:
            for inp in inputs:
                if interrupt.requested():
                    started.append((not_started(inp), None, None))
                    continue
                outcome, prepared = clean_one(inp, target, policy, dry_run=dry_run, rebuild=rebuild)
                if found_disk_full(outcome):
                    interrupt.stop_for_full_disk()  # every photo after it would fail the same way
                commit = None
                if prepared is not None:
                    try:
                        place = group.written(prepared.pending) if prepared.pending is not None else 0
                        commit = committer.submit(functools.partial(_commit, prepared, group, place))
                    except BaseException:
                        prepared.discard()
                        raise
                started.append((outcome, prepared, commit))
            group.close()
        except BaseException:
            group.close()
            for _, prepared, commit in started:
                if prepared is not None and commit is not None and commit.cancel():
                    prepared.discard()
            raise
        outcomes = [_finished(*item) for item in started]
        committer.submit(group.finish).result()
    finally:
        committer.close()
    return outcomes


def write_folders(inputs: Sequence[Input], target: Target) -> list[Path]:
    """The folders this run writes into, for sweeping up what a stopped run left there."""
    folders: dict[str, Path] = {}
    for inp in inputs:
        if inp.problem is not None:
            continue
        if target.out_dir is not None:
            folder = paths_mod.mirrored_output(target.out_dir, inp.relative).parent
        elif target.in_place:
            folder = Path(os.path.realpath(inp.path)).parent
        else:
            folder = inp.path.parent
        folders.setdefault(os.path.abspath(folder), folder)
    return list(folders.values())
