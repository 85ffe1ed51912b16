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


def image_blocks(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each image descriptor with its data sub-blocks, by an independent walk."""
    pos = screen_end(data)
    found = []
    while data[pos] != 0x3B:
        start = pos
        if data[pos] == 0x2C:
            packed = data[pos + 9]
            pos += 10 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0) + 1
        else:
            pos += 2
        while data[pos]:
            pos += 1 + data[pos]
        pos += 1
        if data[start] == 0x2C:
            found.append((start, pos))
    return found


def data_after_end_code(payload: bytes) -> bytes:
    """A one-frame GIF with an extra data sub-block after the picture's LZW end code:
    viewers stop at the end code and never show it."""
    data = encode(1)
    _, end = image_blocks(data)[0]
    return data[: end - 1] + bytes([len(payload)]) + payload + data[end - 1 :]


def text_with_control(text: str, delay: int = 500) -> bytes:
    """A 2-frame animation where frame 2's control block is replaced by one that belongs to a
    plain-text block placed before frame 2."""
    data = encode(2)
    second, _ = image_blocks(data)[1]
    gce_start = data.rfind(b"\x21\xf9\x04", 0, second)
    control = b"\x21\xf9\x04\x00" + struct.pack("<H", delay) + b"\x00\x00"
    return data[:gce_start] + control + plain_text_ext(text) + data[second:]
