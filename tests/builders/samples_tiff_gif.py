"""Sample files for samples/: a TIFF with an owner and GPS, an animated GIF with a comment and XMP.

The owner, phone and place are invented (see tests.builders.core).
"""
from __future__ import annotations

from pathlib import Path

from tests.builders import gif as gb
from tests.builders import tiff as tb


def owner_gps_tiff() -> bytes:
    """IFD0 names the owner (Artist, HostComputer, Copyright...), plus a GPS directory."""
    page = tb.rgb_page(64, 48, rows_per_strip=16)
    page.tags += tb.owner_tags()
    page.gps = tb.gps_ifd()
    return tb.tiff([page], "<")


def comment_xmp_gif() -> bytes:
    """A looping three-frame animation carrying a comment extension and an XMP packet."""
    return gb.gif(count=3, head=[gb.comment_ext(f"Made by {gb.OWNER} at the playground"), gb.xmp_ext()])


def generate(outdir: Path) -> list[Path]:
    """Write the two samples into ``outdir``; returns their paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in (("tiff-owner-gps.tif", owner_gps_tiff()), ("gif-animated-comment-xmp.gif", comment_xmp_gif())):
        path = outdir / name
        path.write_bytes(data)
        written.append(path)
    return written
