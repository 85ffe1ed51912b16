"""``geoscrub watch``: the Click front end of the watch service."""
from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from .. import oscaps
from ..errors import GeoscrubError
from .settle import DEFAULT_PATIENCE

if TYPE_CHECKING:
    from .service import WatchService

#: Exit status when the inbox is missing at start or a folder cannot be used (2 is a command-line mistake).
EXIT_NOT_READY = 3
#: After SIGTERM/SIGINT the current file is finished; past this, exit anyway.
STOP_DEADLINE_S = 4.5

_folder = click.Path(file_okay=False, path_type=Path)


@click.command("watch")
@click.argument("inbox", type=_folder)
@click.option("--output", "outbox", type=_folder, required=True,
              help="Folder for cleaned copies, safe to post (same layout as INBOX).")
@click.option("--quarantine", type=_folder, required=True,
              help="Folder for refused files, each with NAME.reason.txt saying why.")
@click.option("--archive", type=_folder, default=None,
              help="Keep the originals here instead of deleting them once cleaned.")
@click.option("--poll", is_flag=True,
              help="Look for new files by polling (network shares, Nextcloud/Dropbox folders).")
@click.option("--settle", type=click.FloatRange(min=0.0), default=2.0, show_default=True,
              help="Seconds a file must stay unchanged before it counts as fully uploaded.")
@click.option("--patience", type=click.FloatRange(min=0.0), default=DEFAULT_PATIENCE, show_default=True,
              help="Seconds a file that looks unfinished (empty or cut short) must stay unchanged "
                   "before it goes to the quarantine; until then it is looked at again, less and less often.")
@click.option("--json-log", is_flag=True, help="Log one JSON object per line instead of text.")
@click.option("--rescan-every", type=click.FloatRange(min=0.05), default=60.0, show_default=True,
              help="Seconds between full rescans of INBOX (catches anything an event missed).")
@click.option("--status-every", type=click.FloatRange(min=0.05), default=300.0, show_default=True,
              help="Seconds between status lines with counts.")
@click.option("--poll-interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between polls with --poll.")
@click.option("--workers", type=click.IntRange(1, 16), default=4, show_default=True,
              help="Files cleaned at the same time.")
@click.option("--rebuild", is_flag=True,
              help="Instead of quarantining a photo refused as damaged or unsupported, post a new copy made "
                   "from the picture alone (re-encoded, and logged as 'rebuilt').")
@click.option("--hold", default=None, metavar="faces,words|all",
              help="Send a photo that may show faces, words (signs, school names, number plates) or both to "
                   "--review instead of --output, cleaned, with NAME.seen.txt saying what was seen; a photo "
                   "that cannot be looked at is held too. Needs pip install 'geoscrub[look]'.")
@click.option("--review", type=_folder, default=None,
              help="Folder for photos held by --hold, for a person to look at before they are posted.")
def watch(inbox: Path, outbox: Path, quarantine: Path, archive: Path | None, poll: bool, settle: float,
          patience: float, json_log: bool, rescan_every: float, status_every: float, poll_interval: float,
          workers: int, rebuild: bool, hold: str | None, review: Path | None) -> None:
    """Clean every photo dropped into INBOX, for as long as it runs.

    Cleaned copies go to --output; the original is then deleted (or moved to
    --archive).  Anything that cannot be cleaned safely goes to --quarantine
    with a note saying why, and never to --output.  Stop with Ctrl+C.
    """
    if not inbox.is_dir():
        # Not a mistake in the command line: a disk or share not mounted yet.  Exit 3, so a
        # service manager tries again (the deploy unit never restarts exit 2).
        click.echo(f"geoscrub watch: the inbox folder {inbox} is not there (yet): "
                   "is its disk or network share mounted?", err=True)
        sys.exit(EXIT_NOT_READY)
    oscaps.make_encodable(sys.stdout)  # an uploader's emoji name is logged escaped on any console
    from .placement import layout_problem

    held = _hold_choice(hold, review)
    problem = layout_problem(inbox, {"output": outbox, "quarantine": quarantine, "archive": archive,
                                     "review": review})
    if problem:
        raise click.UsageError(problem)
    from .service import WatchConfig, WatchService  # watchdog is loaded only for this command

    config = WatchConfig(inbox=inbox, outbox=outbox, quarantine=quarantine, archive=archive, poll=poll,
                         settle=settle, patience=patience, json_log=json_log, rescan_every=rescan_every,
                         status_every=status_every, poll_interval=poll_interval, workers=workers,
                         rebuild=rebuild, hold=held, review=review)
    try:
        service = WatchService(config)
    except GeoscrubError as err:  # --hold without geoscrub[look]: how to install it
        click.echo(f"geoscrub watch: {err}", err=True)
        sys.exit(2)
    _install_signal_handlers(service)
    try:
        code = service.run()
    except OSError as err:
        click.echo(f"geoscrub watch: {err.strerror or err}: {err.filename or ''}", err=True)
        sys.exit(EXIT_NOT_READY)
    sys.exit(code)


def _hold_choice(hold: str | None, review: Path | None) -> frozenset[str]:
    """--hold's set of kinds; a usage error when it is malformed or has no --review folder."""
    if hold is None:
        if review is not None:
            raise click.UsageError("--review is the folder for --hold: give --hold faces, words or all too")
        return frozenset()
    from ..look.hold import parse_hold

    try:
        kinds = parse_hold(hold)
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    if review is None:
        raise click.UsageError("--hold needs --review DIR: the folder held photos go to")
    return kinds


def _install_signal_handlers(service: WatchService) -> None:
    def on_signal(signum: int, frame: FrameType | None) -> None:
        if service.stopping.is_set():
            return
        service.request_stop()
        # The current file takes well under a second; this is the safety net.
        # Every write is atomic, so even this exit leaves nothing half done.
        timer = threading.Timer(STOP_DEADLINE_S, lambda: os._exit(0))
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
