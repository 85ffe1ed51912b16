"""The ``geoscrub`` command: a thin Click layer over the library.

``check`` reports, ``clean`` writes verified copies.  Files are chosen by
``paths``, words and JSON come from ``report``, place names from ``places``.
Exit codes are part of the contract scripts rely on (see ``ExitCode``).
"""
from __future__ import annotations

import contextlib
import enum
import functools
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TypeVar

import click

from . import __version__, batch, limits, oscaps, places, registry
from . import paths as paths_mod
from . import rebuild as rebuilding
from . import report as render
from .api import Photo, read_photo, scan_file, scan_photo, start_clean_copy, verify_clean_copy
from .errors import CannotRebuild, GeoscrubError, InternalError, WriteFailed
from .formats.base import ContainerFormat, forget_recent_parses
from .fsio import GroupCommit, PendingWrite, open_regular_file, read_all
from .model import Policy, Report
from .paths import Input


class ExitCode(enum.IntEnum):
    OK = 0  # nothing identifying / everything cleaned or already clean
    FOUND = 1  # check: identifying metadata found
    USAGE = 2  # bad command line (Click's own code)
    ERROR = 3  # some file could not be read or was refused; wins over FOUND


T = TypeVar("T")
R = TypeVar("R")


# ---------------------------------------------------------------- terminal manners

def use_colour(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def use_progress(stream: IO[str], count: int) -> bool:
    """A progress bar only for batches, and only when stderr is a terminal."""
    isatty = getattr(stream, "isatty", None)
    return count > 1 and bool(isatty and isatty())


@contextlib.contextmanager
def progress(items: Sequence[T], label: str) -> Iterator[Iterator[T]]:
    if use_progress(sys.stderr, len(items)):
        with click.progressbar(items, label=label, file=sys.stderr, show_pos=True) as bar:
            yield iter(bar)
    else:
        yield iter(items)


def run_batch(job: Callable[[Input], R] | Callable[[Sequence[Input]], list[R]], inputs: Sequence[Input],
              label: str, *, chunked: bool = False) -> list[R]:
    """``job`` over every input (or over runs of a few, when ``chunked``), on both cores
    for big batches, with the progress bar."""
    results: list[R] = []
    mapped = batch.map_chunks(job, inputs) if chunked else batch.map_files(job, inputs)  # type: ignore[arg-type]
    with progress(range(len(inputs)), label) as ticks:
        for result in mapped:
            results.append(result)
            next(ticks, None)
    return results


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


@dataclass
class Target:
    """Where cleaned bytes go: beside the original, under ``--output``, or in place."""

    out_dir: Path | None = None
    in_place: bool = False
    rename: bool = False
    claimed: set[str] = field(default_factory=set)
    fixed: bool = False  # destinations were claimed up front by claim_fixed_destinations

    @property
    def overwrites(self) -> bool:
        """Copies under --output replace earlier copies; every other mode never overwrites."""
        return (self.out_dir is not None or self.in_place) and not self.rename

    def claim_key(self, dest: Path) -> str:
        """What makes two destinations the same file.

        Copies under ``--output`` replace what is there, so ``IMG_1.JPG`` and
        ``img_1.jpg`` must not both go to one folder that may be on a
        case-insensitive disk (Windows, macOS, a FAT card anywhere).
        """
        return oscaps.name_key(dest) if self.out_dir is not None else os.path.abspath(dest)

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
                dest = (Path(os.path.realpath(inp.path)) if self.in_place
                        else paths_mod.mirrored_output(self.out_dir, inp.relative))  # type: ignore[arg-type]
                key = self.claim_key(dest)
                if key in self.claimed:
                    inp = replace(inp, problem=f"another file in this batch is also written to {render.shown(dest)}")
                self.claimed.add(key)
            checked.append(inp)
        self.fixed = True
        return checked

    def destination(self, inp: Input, fmt: ContainerFormat) -> tuple[Path, str | None]:
        """(path to write, a note for the user).  Raises GeoscrubError when unsafe."""
        note = None
        if self.in_place:
            dest = Path(os.path.realpath(inp.path))  # a link named on the command line: clean its target
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
            key = self.claim_key(dest)
            if key in self.claimed:
                raise GeoscrubError(f"another file in this batch is also written to {render.shown(dest)}")
            self.claimed.add(key)
        return dest, note

    def start(self, inp: Input, dest: Path, src: Source, policy: Policy) -> Prepared:
        """Write the verified clean bytes to a temp file; ``finish`` makes them durable and visible."""
        mode = stat.S_IMODE(src.stat.st_mode)
        if self.in_place and not self.rename:
            pending = start_clean_copy(src.fmt, src.data, dest, policy, mode=mode, overwrite=True,
                                       skip_if_clean=True)
            return Prepared(dest, pending)
        if self.out_dir is not None:
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise WriteFailed(f"cannot make folder {render.shown(dest.parent)}: {err.strerror or err}") from None
        overwrite = self.out_dir is not None and not self.rename
        pending = start_clean_copy(src.fmt, src.data, dest, policy, mode=mode, overwrite=overwrite)
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
            except FileExistsError:
                raise WriteFailed(f"{render.shown(self.dest.name)} already exists; geoscrub never overwrites it") from None
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
            dest, note = target.destination(inp, fmt)
            if target.in_place and st.st_nlink > 1:
                raise GeoscrubError("this file has other names (hard links): replacing it would leave "
                                    "the original, metadata and all, under those names")
            if not target.overwrites and dest.exists():
                raise WriteFailed(f"{render.shown(dest.name)} already exists; geoscrub never overwrites it")
            if dry_run:
                verify_clean_copy(fmt, data, policy)  # would it be refused?
                action = "would_clean" if report.findings else "already_clean"
                return render.CleanOutcome(report, action, dest, note), None
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
    return render.CleanOutcome(report, "cleaned" if report.findings else "already_clean", dest, note), prepared


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
    if not overwrite and dest.exists():
        raise WriteFailed(f"{render.shown(dest.name)} already exists; geoscrub never overwrites it")
    warning = render.rebuilt_warning(render.error_text(report), damaged=rebuilt.damaged)
    if dry_run:
        verify_clean_copy(fmt, rebuilt.data, policy)
        return render.CleanOutcome(report, "would_rebuild", dest, note, warning), None
    if target.out_dir is not None:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise WriteFailed(f"cannot make folder {render.shown(dest.parent)}: {err.strerror or err}") from None
    pending = start_clean_copy(fmt, rebuilt.data, dest, policy, mode=stat.S_IMODE(st.st_mode), overwrite=overwrite)
    report.cleaned_to = dest
    return render.CleanOutcome(report, "rebuilt", dest, note, warning), Prepared(dest, pending)


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


#: Files made durable by one flush in a batch (see ``GroupCommit``): half a chunk, so flushing overlaps cleaning.
COMMIT_GROUP = 4


def clean_files(inputs: Sequence[Input], target: Target, policy: Policy, *, dry_run: bool, rebuild: bool = False
                ) -> list[render.CleanOutcome]:
    """Clean a few files in turn; flushing and renaming overlap the next file's work.

    Commits run on one thread in order, a few files per disk flush (see
    ``GroupCommit``), and a file is reported cleaned only once its copy is
    durable.  On an interrupt, temp files not yet committed are removed.
    """
    started: list[tuple[render.CleanOutcome, Prepared | None, Future[None] | None]] = []
    group = GroupCommit(group_size=COMMIT_GROUP)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="geoscrub-commit") as committer:
        try:
            for inp in inputs:
                outcome, prepared = clean_one(inp, target, policy, dry_run=dry_run, rebuild=rebuild)
                commit = None
                if prepared is not None:
                    place = group.written(prepared.pending) if prepared.pending is not None else 0
                    commit = committer.submit(prepared.finish, group, place)
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
    return outcomes


# ---------------------------------------------------------------- commands

PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="PATH...")
JSON = click.option("--json", "as_json", is_flag=True,
                    help="Print one JSON array (one object per file) instead of words.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="geoscrub")
def main() -> None:
    """Find and remove what a photo gives away, without touching the picture.

    \b
      geoscrub check PHOTOS...     say what each photo gives away
      geoscrub clean PHOTOS...     write cleaned copies (NAME.clean.jpg)

    Folders are searched inside.  Place names are looked up offline: geoscrub
    never uses the network.  Put -- before file names that start with a dash.
    """
    oscaps.make_encodable(sys.stdout)  # a name the console cannot show is escaped, never a crash
    oscaps.make_encodable(sys.stderr)


@main.command()
@JSON
@PATHS
def check(as_json: bool, paths: tuple[str, ...]) -> None:
    """Say what each photo gives away: place, people, device, time.

    Exit code 0: nothing identifying; 1: something identifying found;
    2: bad command line; 3: some file could not be read and showed nothing
    identifying before the problem (wins over 1).  Your photos are never
    changed (place names are looked up offline).
    """
    selection = paths_mod.select(paths)
    reports = [with_place(r) for r in run_batch(check_one, selection.inputs, "Checking")]
    if as_json:
        click.echo(render.dumps([render.report_json(r) for r in reports]))
    else:
        click.echo(render.render_check(reports, selection.skipped, colour=use_colour(sys.stdout)))
    if any(r.status == "error" for r in reports):
        sys.exit(ExitCode.ERROR)
    sys.exit(ExitCode.FOUND if any(r.findings for r in reports) else ExitCode.OK)


@main.command()
@click.option("--output", "-o", "output", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write copies into DIR, mirroring the folders given (a file given alone goes to DIR/NAME).")
@click.option("--in-place", is_flag=True, help="Replace each original with its cleaned version (atomically).")
@click.option("--dry-run", "-n", is_flag=True, help="Only say what would be removed; write nothing.")
@JSON
@click.option("--rename", is_flag=True,
              help="Give the copies neutral random names (camera names like IMG_20250614_160311 tell the time).")
@click.option("--drop-orientation", is_flag=True,
              help="Also remove the orientation tag (kept by default so the photo shows the right way up).")
@click.option("--drop-colour-profile", "--drop-color-profile", "drop_colour_profile", is_flag=True,
              help="Also remove the colour profile (kept by default so colours look the same).")
@click.option("--rebuild", is_flag=True,
              help="For a photo refused as damaged or unsupported, make a new copy from the picture alone "
                   "(re-encoded, and always labelled 'rebuilt').")
@PATHS
def clean(output: Path | None, in_place: bool, dry_run: bool, as_json: bool, rename: bool,
          drop_orientation: bool, drop_colour_profile: bool, rebuild: bool, paths: tuple[str, ...]) -> None:
    """Write cleaned copies: NAME.clean.EXT beside each photo, never overwriting.

    The picture itself is never changed.  A file geoscrub does not fully
    understand is refused and left exactly as it was (with --rebuild, a
    damaged photo gets a new, re-encoded copy instead).  Exit code 0: every
    file cleaned, already clean or rebuilt; 3: some file refused; 2: bad command line.
    """
    if output is not None and in_place:
        raise click.UsageError("choose either --output or --in-place, not both")
    if rebuild and in_place:
        raise click.UsageError("--rebuild writes a new copy and keeps the damaged original: use it without --in-place")
    policy = Policy(keep_orientation=not drop_orientation, keep_color_profile=not drop_colour_profile)
    target = Target(out_dir=output, in_place=in_place, rename=rename)
    selection = paths_mod.select(paths, skip_clean_copies=output is None and not in_place, exclude=output)
    inputs = target.claim_fixed_destinations(selection.inputs)
    job = functools.partial(clean_files, target=target, policy=policy, dry_run=dry_run, rebuild=rebuild)
    outcomes = run_batch(job, inputs, "Cleaning", chunked=True)
    if as_json or dry_run:  # the only reports that show where a photo was taken
        for outcome in outcomes:
            with_place(outcome.report)
    if as_json:
        click.echo(render.dumps([render.outcome_json(o) for o in outcomes]))
    else:
        click.echo(render.render_clean(outcomes, selection.skipped, dry_run=dry_run, colour=use_colour(sys.stdout)))
    sys.exit(ExitCode.ERROR if any(o.action == "refused" for o in outcomes) else ExitCode.OK)


# ---------------------------------------------------------------- subcommands defined elsewhere
# One line each; their modules keep heavy imports inside the command function.
from .watch.command import watch as watch_command

main.add_command(watch_command)

from .web.commands import web as web_command  # noqa: E402  (the web page: geoscrub web build/serve)

main.add_command(web_command)
