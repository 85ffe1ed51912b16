"""Real-world pictures bigger than a pixel limit would allow: their pixels are never decoded.

Samsung's 200-megapixel mode writes a HEIC grid of 512 x 512 tiles whose
``ispe`` says 16384 x 12288 (201 million pixels).  Tiles here are one flat
colour so the file stays small; the layout is the phone's.
"""
from __future__ import annotations

import io

from PIL import Image

from tests.builders import heif as hb
from tests.builders import tiff as tb

SAMSUNG_200MP = (16384, 12288)
TILE = 512


def flat_heic_tile(side: int = TILE) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (side, side), (90, 120, 200)).save(buf, format="HEIF", quality=30)
    return buf.getvalue()


def samsung_200mp_heic(tile: bytes) -> bytes:
    """A 32 x 24 grid of ``tile`` (512 x 512); the grid's ispe declares 16384 x 12288, with EXIF GPS.

    (The tile is an argument so the fuzzer, which mutates zero-argument
    builders' files, does not take 770 items as a seed.)
    """
    width, height = SAMSUNG_200MP
    return hb.grid(tile, rows=height // TILE, cols=width // TILE)


def tiff_scan_declaring(width: int = 40_000, height: int = 30_000) -> bytes:
    """A deflate-compressed TIFF page whose header declares a 1.2-gigapixel scan (one short strip)."""
    page = tb.deflate_page()
    page.tags = [t for t in page.tags if t[0] not in (0x0100, 0x0101, 0x0116)]
    page.tags += [(0x0100, tb.LONG, (width,)), (0x0101, tb.LONG, (height,)), (0x0116, tb.LONG, (height,))]
    page.tags += tb.owner_tags()
    return tb.tiff([page])
