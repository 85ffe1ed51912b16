"""The ``geoscrub`` command: a thin Click layer over the library.

``check`` reports, ``clean`` writes verified copies.  Files are chosen by
``paths``, words and JSON come from ``report``, place names from ``places``.
Exit codes are part of the contract scripts rely on (see ``ExitCode``).
"""
from __future__ import annotations

import enum
import functools
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import click

from . import __version__, batch, interrupt, oscaps
from . import paths as paths_mod
from . import report as render
from .console import JsonArray, Progress, use_colour, use_progress  # noqa: F401 - use_progress: tests read it here
from .fsio import (
    sweep_stale_temp_files,
)
from .jobs import Target, check_one, clean_files, found_disk_full, with_place, write_folders
from .model import Policy, Report
from .paths import Input


class ExitCode(enum.IntEnum):
    OK = 0  # nothing identifying / everything cleaned or already clean
    FOUND = 1  # check: identifying metadata found
    USAGE = 2  # bad command line (Click's own code)
    ERROR = 3  # check: some file could not be read (FOUND wins: a leak is never hidden); clean: a file refused
    DISK_FULL = interrupt.DISK_FULL_EXIT  # clean stopped because the disk is full (wins over a signal)
    # clean stopped by a signal exits 128 + its number: 130 for Ctrl+C (SIGINT), 143 for SIGTERM
    INTERRUPTED = 130
    TERMINATED = 143


T = TypeVar("T")
R = TypeVar("R")


# ---------------------------------------------------------------- a batch, with its progress bar (see console)

def run_batch(job: Callable[[Input], R] | Callable[[Sequence[Input]], list[R]], inputs: Sequence[Input],
              label: str, *, chunked: bool = False, advance: bool = True) -> Iterator[tuple[R, Progress]]:
    """``job`` over every input (or over runs of a few, when ``chunked``), on both cores
    for big batches; yields each result as it comes, in order, with the progress bar.

    Without ``advance`` the caller advances the bar for each file really done,
    so a stopped batch's bar ends where the batch did.
    """
    mapped = batch.map_chunks(job, inputs) if chunked else batch.map_files(job, inputs)  # type: ignore[arg-type]
    with Progress(len(inputs), label) as bar:
        for result in mapped:
            if advance:
                bar.advance()
            yield result, bar


# ---------------------------------------------------------------- commands

PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="PATH...")
JSON = click.option("--json", "as_json", is_flag=True,
                    help="Print one JSON array (one object per file) instead of words.")


class Commands(click.Group):
    """The command group; a photo named where a command belongs gets a hint."""

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and self.get_command(ctx, name) is None and not name.startswith("-") and looks_like_a_path(name):
            raise click.UsageError(render.not_a_command_hint(name), ctx)
        return super().resolve_command(ctx, args)


def looks_like_a_path(name: str) -> bool:
    """An existing file or folder, or a name with a photo's extension."""
    return os.path.lexists(name) or Path(name).suffix.lower() in paths_mod.PHOTO_EXTENSIONS


def check_quoting(raw_paths: Sequence[str]) -> None:
    """Raise a UsageError when the shell split one name with spaces into several (``clean My Photos``)."""
    missing = [not os.path.lexists(p) for p in raw_paths]
    for start in range(len(raw_paths)):
        for stop in range(len(raw_paths), start + 1, -1):
            if all(missing[start:stop]):
                parts = raw_paths[start:stop]
                joined = " ".join(parts)
                if os.path.lexists(joined):
                    raise click.UsageError(render.quotes_hint(parts, joined))


def select_paths(raw_paths: Sequence[str], **kwargs: object) -> paths_mod.Selection:
    check_quoting(raw_paths)
    return paths_mod.select(tuple(raw_paths), **kwargs)  # type: ignore[arg-type]


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="geoscrub")
def main() -> None:
    """Find and remove what a photo gives away, without touching the picture.

    \b
      geoscrub check PHOTOS...     say what each photo gives away
      geoscrub clean PHOTOS...     write cleaned copies (NAME.clean.jpg)
      geoscrub watch INBOX ...     clean every photo dropped into a folder
      geoscrub web serve           the web page: photos cleaned in the browser

    Folders are searched inside.  Place names are looked up offline: geoscrub
    never uses the network.  Put -- before file names that start with a dash.
    """
    oscaps.make_encodable(sys.stdout)  # a name the console cannot show is escaped, never a crash
    oscaps.make_encodable(sys.stderr)


#: --look: what the picture shows (faces, words), with the optional detectors; see geoscrub/look.
LOOK = click.option("--look", is_flag=True,
                    help="Also look at what each photo shows: faces and words such as a school's name, a street "
                         "sign or a number plate (on this computer; needs pip install 'geoscrub[look]'). "
                         "It can miss things: it never says a photo is safe.")


def load_looker(wanted: bool):  # type: ignore[no-untyped-def]
    """The detectors when --look is asked for (None otherwise); without the extra, says how to install it, exit 2."""
    if not wanted:
        return None
    from .look import run as looking  # the heavy detectors are imported only here

    try:
        return looking.load()
    except looking.LookMissing as err:
        click.echo(f"geoscrub: {err}", err=True)
        sys.exit(ExitCode.USAGE)


@main.command()
@JSON
@LOOK
@PATHS
def check(as_json: bool, look: bool, paths: tuple[str, ...]) -> None:
    """Say what each photo gives away: place, people, device, time.

    \b
    Exit code 0: nothing identifying, and every file was read;
    1: something identifying found (1 wins over 3: a leak is never hidden,
       and the files that could not be read are still listed);
    3: nothing identifying found, but some file could not be read or is not
       a photo geoscrub knows (it may hold anything);
    2: bad command line; 130: stopped by Ctrl+C.
    Your photos are never changed (place names are looked up offline).
    With --look, a photo that may show faces or words also counts as 1.
    """
    looker = load_looker(look)
    selection = select_paths(paths)
    try:
        reports = [with_place(r) for r, _ in run_batch(check_one, selection.inputs, "Checking")]
        if looker is not None:
            from .look.run import look_at_report

            with Progress(len(reports), "Looking") as bar:  # seconds a photo: show it going
                for report in reports:
                    look_at_report(looker, report)
                    bar.advance()
    except KeyboardInterrupt:  # nothing is written, so nothing is left to finish
        click.echo(render.stopped_check_text(), err=True)
        sys.exit(ExitCode.INTERRUPTED)
    if as_json:
        click.echo(render.dumps([render.report_json(r) for r in reports]))
    else:
        click.echo(render.render_check(reports, selection.skipped, colour=use_colour(sys.stdout)))
    shows = looker is not None and any(r.sight.looked and r.sight.shows_anything for r in reports)  # type: ignore[union-attr]
    if shows or any(r.findings for r in reports):  # before ERROR: a leak must never be hidden by a lesser status
        sys.exit(ExitCode.FOUND)
    sys.exit(ExitCode.ERROR if any(r.status == "error" for r in reports) else ExitCode.OK)


@main.command(short_help="Write cleaned copies beside each photo, or under --output.")
@click.option("--output", "-o", "output", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write copies into DIR, mirroring the folders given (a file given alone goes to DIR/NAME). "
                   "A file already there is never replaced.")
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
@LOOK
@click.option("--cover", type=click.Choice(["faces", "words", "all"]), default=None,
              help="With --look: also write NAME.covered.jpg beside each clean copy, with every face, words or "
                   "both that were found filled with a solid black box. It is re-encoded (a new picture) and "
                   "checked like every copy; the lossless clean copy is still written. Never replaces a file.")
@PATHS
def clean(output: Path | None, in_place: bool, dry_run: bool, as_json: bool, rename: bool,
          drop_orientation: bool, drop_colour_profile: bool, rebuild: bool, look: bool, cover: str | None,
          paths: tuple[str, ...]) -> None:
    """Write cleaned copies: NAME.clean.EXT beside each photo, or under --output.

    A file that is already there is never replaced: if it is this photo's
    clean copy from an earlier run, the photo is "already cleaned" and
    nothing is done; anything else is refused and left as it is.  The
    picture itself is never changed, and a file geoscrub does not fully
    understand is refused and left exactly as it was (with --rebuild, a
    damaged photo gets a new, re-encoded copy, labelled "rebuilt").

    \b
    Exit code 0: every file cleaned, already clean, already cleaned or rebuilt;
    3: some file refused; 2: bad command line; 4: stopped because the disk is
    full (wins over the others); 130: stopped by Ctrl+C; 143: stopped by SIGTERM.
    When stopped, the photos in hand are finished (or, on a full disk, rolled
    back), the photos done are listed, the rest are left untouched and counted
    ("the disk is full: N photos not started"; with --json, one object with
    "action": "not_started" each).  Nothing is left half-written.
    """
    if output is not None and in_place:
        raise click.UsageError("choose either --output or --in-place, not both")
    if rebuild and in_place:
        raise click.UsageError("--rebuild writes a new copy and keeps the damaged original: use it without --in-place")
    if cover is not None and not look:
        raise click.UsageError("--cover needs --look (it covers what looking finds)")
    looker = load_looker(look)
    policy = Policy(keep_orientation=not drop_orientation, keep_color_profile=not drop_colour_profile)
    target = Target(out_dir=output, in_place=in_place, rename=rename)
    selection = select_paths(paths, skip_clean_copies=output is None and not in_place, exclude=output)
    inputs = target.claim_fixed_destinations(selection.inputs)
    colour = use_colour(sys.stdout)
    job = functools.partial(clean_files, target=target, policy=policy, dry_run=dry_run, rebuild=rebuild)
    outcomes: list[render.CleanOutcome] = []
    waiting = 0
    disk_full = False
    json_out = JsonArray()
    with interrupt.stop_between_files():
        swept = [] if dry_run else [p for f in write_folders(inputs, target) for p in sweep_stale_temp_files(f)]
        if swept and not as_json:
            click.echo(render.swept_text(len(swept)))
        for outcome, bar in run_batch(job, inputs, "Cleaning", chunked=True, advance=False):
            if found_disk_full(outcome):
                if disk_full:  # in hand when the disk filled (another worker's photo): rolled back, untouched
                    outcome = render.CleanOutcome(Report(outcome.report.path), "not_started")
                else:
                    disk_full = True
                    interrupt.stop_for_full_disk()  # tells the workers too
            if outcome.action == "not_started":
                waiting += 1
                if as_json:
                    bar.echo(json_out.item(render.not_started_json(outcome.report.path)))
                continue
            bar.advance()
            outcomes.append(outcome)
            if looker is not None:
                from .look.run import look_or_cover

                look_or_cover(looker, outcome, cover, policy, dry_run=dry_run)
            if as_json:
                with_place(outcome.report)
                bar.echo(json_out.item(render.outcome_json(outcome)))
            else:
                if dry_run:  # the only report that shows where a photo was taken
                    with_place(outcome.report)
                for line in render.clean_lines(outcome, dry_run=dry_run, colour=colour):
                    bar.echo(line)
        stopped_by = interrupt.received()
    name = signal.Signals(stopped_by).name if stopped_by is not None else None
    if as_json:
        click.echo(json_out.end())
        if disk_full or name is not None:  # the array has an object for each; people get the sentence
            click.echo(render.stop_text(not_started=waiting, disk_full=disk_full, stopped_by=name,
                                        dry_run=dry_run), err=True)
    else:
        if outcomes:
            click.echo("")
        click.echo(render.clean_summary(outcomes, selection.skipped, dry_run=dry_run, not_started=waiting,
                                        stopped_by=name, disk_full=disk_full))
    if disk_full:
        sys.exit(ExitCode.DISK_FULL)
    if stopped_by is not None:
        sys.exit(interrupt.exit_code(stopped_by))
    uncovered = any(getattr(o.covered, "error", None) is not None for o in outcomes)
    sys.exit(ExitCode.ERROR if uncovered or any(o.action == "refused" for o in outcomes) else ExitCode.OK)


# ---------------------------------------------------------------- subcommands defined elsewhere
# One line each; their modules keep heavy imports inside the command function.
from .watch.command import watch as watch_command

main.add_command(watch_command)

from .web.commands import web as web_command  # noqa: E402  (the web page: geoscrub web build/serve)

main.add_command(web_command)
