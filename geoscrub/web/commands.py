"""``geoscrub web build DIR`` and ``geoscrub web serve``: the page, built and served."""
from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import GeoscrubError


def default_site() -> Path:
    """Where ``serve`` keeps the site it builds, so nothing appears in the current folder."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "geoscrub" / "site"



def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _build(folder: Path, *, force: bool = False):  # type: ignore[no-untyped-def]  # -> site.SiteInfo
    from . import site  # zip, tar and download code load only when a site is built

    try:
        return site.build(folder, force=force)
    except GeoscrubError as err:
        raise click.ClickException(str(err)) from None


@click.group(short_help="The web page: photos cleaned in the browser, never uploaded.")
def web() -> None:
    """The web page: photos cleaned on the phone or computer itself, never uploaded.

    \b
      geoscrub web build DIR     write the whole site into DIR (put it on an https web space)
      geoscrub web serve         build it and open it on this computer
    """


@web.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
def build(folder: Path) -> None:
    """Write the static site into DIR (new, empty, or an older geoscrub site)."""
    info = _build(folder, force=True)
    click.echo(f"Built the page into {info.folder}: {info.files} files, {_megabytes(info.size)} "
               f"({_megabytes(info.gzip_size)} sent gzipped), version {info.version}.")
    _say_not_precompiled(info)
    if info.look_size:
        click.echo(f"Of that, {_megabytes(info.look_size)} is the face and word finder, which a phone downloads "
                   "only when it turns looking on.")
    else:
        click.echo(f"Looking for faces and words is not in this site: {info.look_missing}.")
    click.echo("Put the folder on an https web space; offline use needs https (or localhost).")


def _say_not_precompiled(info) -> None:  # type: ignore[no-untyped-def]  # info: site.SiteInfo
    if info.not_precompiled:
        click.echo(f"Note: {info.not_precompiled}. The page works the same, but starts about a second slower.",
                   err=True)


@web.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the site is built (only rebuilt when it changed); default ~/.cache/geoscrub/site.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep 127.0.0.1 unless other devices must reach it.")
@click.option("--no-open", is_flag=True, help="Do not open the page in a browser.")
def serve(folder: Path | None, port: int, host: str, no_open: bool) -> None:
    """Build the site if needed and serve it on this computer until Ctrl+C."""
    from . import server as server_mod

    info = _build(folder or default_site())
    try:
        httpd = server_mod.make_server(info.folder, host, port)
    except OSError as err:
        raise click.ClickException(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    url = server_mod.url_of(httpd)
    _say_not_precompiled(info)
    click.echo(f"Serving {info.folder} (version {info.version}) at {url}  (Ctrl+C stops)")
    if not server_mod.is_loopback(host):
        click.echo("Other devices get plain http here, so their browsers will not keep the page for offline use; "
                   "for phones, host the built site on https.", err=True)
    if not no_open:
        import webbrowser

        webbrowser.open(url)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        httpd.server_close()
