"""Byte builders for GIF fixtures: Pillow encodes the frames, extensions are spliced in.

Everything identifying is invented.
"""
from __future__ import annotations

import io
import struct

from PIL import Image

from tests.builders import core

OWNER = core.OWNER


def sub_blocks(payload: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(payload), 255):
        piece = payload[i : i + 255]
        out += bytes([len(piece)]) + piece
    return bytes(out) + b"\x00"


def comment_ext(text: str) -> bytes:
    return b"\x21\xfe" + sub_blocks(text.encode())


def plain_text_ext(text: str) -> bytes:
    grid = struct.pack("<HHHHBBBB", 0, 0, 64, 16, 8, 16, 1, 0)
    return b"\x21\x01\x0c" + grid + sub_blocks(text.encode())


def app_ext(ident: bytes, payload: bytes) -> bytes:
    assert len(ident) == 11
    return b"\x21\xff\x0b" + ident + sub_blocks(payload)


def xmp_ext(packet: bytes | None = None) -> bytes:
    """XMP as Adobe stores it in GIF: raw packet bytes, then the 258-byte 'magic trailer'."""
    packet = packet if packet is not None else core.xmp_packet()
    magic = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    return b"\x21\xff\x0bXMP DataXMP" + packet + magic


def loop_ext(loops: int = 0, ident: bytes = b"NETSCAPE2.0", extra: bytes = b"") -> bytes:
    """Loop extension; ``extra`` adds more sub-blocks (e.g. a buffering hint) before the end."""
    return b"\x21\xff\x0b" + ident + b"\x03\x01" + struct.pack("<H", loops) + extra + b"\x00"


def icc_ext(profile: bytes) -> bytes:
    return app_ext(b"ICCRGBG1012", profile)


def frames(count: int = 3, size: tuple[int, int] = (24, 16)) -> list[Image.Image]:
    base = core.picture(*size)
    return [base.rotate(180 * (i % 2)).transpose(Image.Transpose.FLIP_LEFT_RIGHT) if i else base
            for i in range(count)]


def encode(count: int = 3, *, loop: int | None = 0) -> bytes:
    """A Pillow-written GIF: one frame, or an animation with graphic control extensions."""
    imgs = [im.convert("P", palette=Image.Palette.ADAPTIVE, colors=64) for im in frames(count)]
    buf = io.BytesIO()
    kw: dict[str, object] = {}
    if count > 1:
        kw = {"save_all": True, "append_images": imgs[1:], "duration": 120}
        if loop is not None:
            kw["loop"] = loop
    imgs[0].save(buf, "GIF", **kw)
    return buf.getvalue()


def screen_end(data: bytes) -> int:
    packed = data[10]
    return 13 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0)


def gif(*, count: int = 3, head: list[bytes] = (), tail: list[bytes] = (), after_trailer: bytes = b"",
        loop: int | None = 0) -> bytes:
    """A Pillow GIF with ``head`` extensions after the colour table and ``tail`` before the trailer."""
    data = encode(count, loop=loop)
    assert data.endswith(b"\x3b")
    at = screen_end(data)
    return data[:at] + b"".join(head) + data[at:-1] + b"".join(tail) + b"\x3b" + after_trailer


def dirty_gif() -> bytes:
    """An animation with a comment, XMP, a plain-text block, a foreign app extension and a trailer."""
    return gif(
        head=[comment_ext(f"Taken by {OWNER} at the playground"), xmp_ext()],
        tail=[plain_text_ext(f"{OWNER}"), app_ext(b"C2PA_GIF1.0", b"creator=" + OWNER.encode()),
              comment_ext("second comment")],
        after_trailer=b"appended secret " + OWNER.encode(),
    )
