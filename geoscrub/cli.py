"""The ``geoscrub`` command: a thin Click layer over the library."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .api import clean as clean_file
from .model import Policy

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3


def iter_inputs(paths: tuple[str, ...]) -> list[tuple[Path, Path]]:
    """(file, path relative to what was given) for each file; folders walked, hidden skipped."""
    out: list[tuple[Path, Path]] = []
    for raw in paths:
        root = Path(raw)
        if root.is_dir() and not root.is_symlink():
            for path in sorted(root.rglob("*")):
                rel = path.relative_to(root)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if path.is_symlink() or not path.is_file():
                    continue
                out.append((path, rel))
        else:
            out.append((root, Path(root.name)))
    return out


@click.group()
@click.version_option(__version__, prog_name="geoscrub")
def main() -> None:
    """Find and remove what a photo gives away, without touching the picture."""


@main.command()
@click.option("--output", "output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the cleaned copies (mirrors the input layout).")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def clean(output: Path, paths: tuple[str, ...]) -> None:
    """Write cleaned copies of PATHS into --output."""
    refused = 0
    for path, rel in iter_inputs(paths):
        dest = output / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        report = clean_file(path, dest, Policy())
        if report.error is not None:
            refused += 1
            click.echo(f"refused: {path}: {report.error}", err=True)
        else:
            click.echo(f"cleaned: {path} -> {dest} ({len(report.findings)} items removed)")
    sys.exit(EXIT_ERROR if refused else EXIT_OK)
