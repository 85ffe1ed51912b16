"""The app icon, drawn in code: a photo (sun over a hill) on a dark green tile.

The PNG sizes phones ask for are rendered here pixel by pixel, so the
repository holds no binary image and the icon always matches ``icon.svg``.
"""
from __future__ import annotations

import struct
import zlib

BACKGROUND = (20, 83, 45)
FRAME = (255, 255, 255)
SKY = (219, 234, 254)
SUN = (250, 204, 21)
HILL = (22, 163, 74)


def _colour_at(x: float, y: float) -> tuple[int, int, int, int]:
    """The icon's colour at (x, y) in a 0..1 square; corners outside the rounded tile are transparent."""
    radius = 0.18
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    if (x - cx) ** 2 + (y - cy) ** 2 > radius * radius:
        return (0, 0, 0, 0)
    if not (0.18 <= x <= 0.82 and 0.22 <= y <= 0.78):
        return (*BACKGROUND, 255)
    if not (0.23 <= x <= 0.77 and 0.27 <= y <= 0.73):
        return (*FRAME, 255)
    if (x - 0.62) ** 2 + (y - 0.41) ** 2 <= 0.07 ** 2:
        return (*SUN, 255)
    hill = 0.73 - 0.26 * max(0.0, 1 - abs(x - 0.40) / 0.30)
    if y >= hill:
        return (*HILL, 255)
    return (*SKY, 255)


def png(size: int) -> bytes:
    """The icon as a ``size`` x ``size`` RGBA PNG (2x2 supersampled edges)."""
    rows = bytearray()
    for row in range(size):
        rows.append(0)  # filter: none
        for column in range(size):
            samples = [_colour_at((column + dx) / size, (row + dy) / size) for dx in (0.25, 0.75) for dy in (0.25, 0.75)]
            rows.extend(sum(s[i] for s in samples) // 4 for i in range(4))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _chunk(
        b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
