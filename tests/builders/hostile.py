"""Hostile inputs: seed discovery, a deterministic mutation engine and hand-made attack files.

Shared by tests/test_properties.py, tests/test_hostile.py and fuzz/fuzz.py.
Every function is pure: it returns bytes (or lists of bytes) and does no I/O.
The mutator deliberately knows nothing about geoscrub's parsers: it splits
files with its own tiny walkers so a parser bug cannot hide its own inputs.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import random
import struct
import zlib
from collections.abc import Callable

from . import core

#: Largest sample accepted as a seed (keeps each fuzz input cheap).
MAX_SEED_BYTES = 1 << 20
#: Builder modules never used as seeds: attack files are not samples, and the look scenes' damage
#: (look_conditions) needs numpy, which must not be loaded where the core's tests run.
_NOT_SEEDS = {"hostile", "look_conditions"}


# ----------------------------------------------------------------- seeds --
def _zero_arg_builders(module: object) -> list[tuple[str, Callable[[], object]]]:
    out = []
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or fn.__module__ != getattr(module, "__name__", None):
            continue
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue
        if all(p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in params):
            out.append((name, fn))
    return out


def builder_modules() -> list[object]:
    """Every module in tests/builders except this one (other engineers add theirs)."""
    from tests import builders

    mods = []
    for info in pkgutil.iter_modules(builders.__path__):
        if info.name in _NOT_SEEDS:
            continue
        try:
            mods.append(importlib.import_module(f"tests.builders.{info.name}"))
        except Exception:  # a builder under construction must not stop the fuzzing of others
            continue
    return mods


def _extra_core_seeds() -> list[bytes]:
    """Variants the zero-argument builders do not produce on their own."""
    c = core
    seeds = [
        c.dirty_jpeg(orientation=6), c.jpeg(progressive=True), c.dirty_png(orientation=8),
        c.jpeg([c.app2_icc(c.icc_profile()), c.app1_exif(c.exif_tiff(orientation=3))]),
        c.jpeg(c.app1_extended_xmp(c.xmp_packet(padding=3000), chunk=1000)),
        c.png([c.raw_profile_exif(c.exif_tiff()), c.ztxt("Comment", b"hello " * 50)]),
        c.webp(lossless=True), c.webp([c.riff_chunk(b"XMP\x00", c.xmp_packet())], trailer=b"tail"),
    ]
    return seeds


def seed_files() -> dict[str, list[bytes]]:
    """{registered format name: sample files} from every builder present.

    Formats are picked up from ``geoscrub.registry.FORMATS`` at call time, so
    TIFF/GIF/HEIF samples appear here as soon as their module is registered
    and a builder for them exists in tests/builders/.
    """
    from geoscrub import registry

    found: dict[str, list[bytes]] = {fmt.name: [] for fmt in registry.FORMATS}
    candidates: list[bytes] = []
    for module in builder_modules():
        for _name, fn in _zero_arg_builders(module):
            try:
                value = fn()
            except Exception:
                continue
            if isinstance(value, (bytes, bytearray)) and 16 <= len(value) <= MAX_SEED_BYTES:
                candidates.append(bytes(value))
    try:
        candidates.extend(_extra_core_seeds())
    except Exception:
        pass
    seen: set[bytes] = set()
    for blob in candidates:
        if blob in seen:
            continue
        seen.add(blob)
        for fmt in registry.FORMATS:
            if fmt.accept(blob[:64]):
                found[fmt.name].append(blob)
                break
    return {name: blobs for name, blobs in found.items() if blobs}


# ------------------------------------------------------------- structure --
def units(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of the file's segments/chunks/boxes, by a naive walk of its own.

    JPEG markers, PNG chunks, RIFF chunks, ISO-BMFF boxes, GIF/TIFF fall back
    to fixed 64-byte blocks.  Used to duplicate, drop and reorder whole units.
    """
    out: list[tuple[int, int]] = []
    n = len(data)
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 4 <= n and data[pos] == 0xFF and len(out) < 512:
            marker = data[pos + 1]
            if marker in (0xD8, 0xD9) or 0xD0 <= marker <= 0xD7:
                out.append((pos, pos + 2))
                pos += 2
                continue
            end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
            if end > n:
                break
            if marker == 0xDA:
                nxt = data.find(b"\xff\xd9", end)
                end = n if nxt < 0 else nxt
            out.append((pos, end))
            pos = end
    elif data[:8] == b"\x89PNG\r\n\x1a\n":
        pos = 8
        while pos + 12 <= n and len(out) < 512:
            end = pos + 12 + struct.unpack(">I", data[pos : pos + 4])[0]
            if end > n:
                break
            out.append((pos, end))
            pos = end
    elif data[:4] == b"RIFF":
        pos = 12
        while pos + 8 <= n and len(out) < 512:
            size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
            end = pos + 8 + size + (size & 1)
            if end > n:
                break
            out.append((pos, end))
            pos = end
    elif data[4:8] == b"ftyp":
        pos = 0
        while pos + 8 <= n and len(out) < 512:
            size = struct.unpack(">I", data[pos : pos + 4])[0]
            if size < 8 or pos + size > n:
                break
            out.append((pos, pos + size))
            pos += size
    if not out:
        out = [(i, min(i + 64, n)) for i in range(0, n, 64)]
    return out


def fix_checksums(data: bytes) -> bytes:
    """Recompute PNG chunk CRCs and the RIFF size so mutations reach past those gates."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        buf = bytearray(data)
        for start, end in units(data):
            if end - start >= 12 and end <= len(buf):
                buf[end - 4 : end] = struct.pack(">I", zlib.crc32(buf[start + 4 : end - 4]))
        return bytes(buf)
    if data[:4] == b"RIFF" and len(data) >= 12:
        return data[:4] + struct.pack("<I", len(data) - 8) + data[8:]
    return data


# -------------------------------------------------------------- mutation --
_INTERESTING = [0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
                0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def _flip_bits(data: bytearray, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)


def _set_bytes(data: bytearray, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])


def _set_length(data: bytearray, rng: random.Random) -> None:
    """Overwrite a 2- or 4-byte field with a boundary value, often at a unit header."""
    width = rng.choice((2, 4))
    if len(data) < width:
        return
    heads = [s for s, _ in units(bytes(data))]
    if heads and rng.random() < 0.7:
        base = rng.choice(heads)
        offset = min(len(data) - width, base + rng.choice((0, 2, 4)))
    else:
        offset = rng.randrange(len(data) - width + 1)
    value = rng.choice(_INTERESTING + [len(data), len(data) - offset, rng.randrange(1 << (8 * width))])
    value &= (1 << (8 * width)) - 1
    order = rng.choice("<>")
    data[offset : offset + width] = struct.pack(order + ("H" if width == 2 else "I"), value)


def _truncate(data: bytearray, rng: random.Random) -> None:
    del data[rng.randrange(len(data)) :]


def _insert(data: bytearray, rng: random.Random) -> None:
    at = rng.randrange(len(data) + 1)
    data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))


def _delete(data: bytearray, rng: random.Random) -> None:
    at = rng.randrange(len(data))
    del data[at : at + rng.randint(1, 64)]


def _duplicate_unit(data: bytearray, rng: random.Random) -> None:
    parts = units(bytes(data))
    start, end = rng.choice(parts)
    piece = bytes(data[start:end])
    at = rng.choice([s for s, _ in parts] + [len(data)])
    data[at:at] = piece


def _drop_unit(data: bytearray, rng: random.Random) -> None:
    start, end = rng.choice(units(bytes(data)))
    del data[start:end]


def _swap_units(data: bytearray, rng: random.Random) -> None:
    parts = units(bytes(data))
    if len(parts) < 2:
        return
    (a0, a1), (b0, b1) = sorted(rng.sample(parts, 2))
    if a1 > b0:
        return
    data[:] = data[:a0] + data[b0:b1] + data[a1:b0] + data[a0:a1] + data[b1:]


def _splice_tail(data: bytearray, rng: random.Random) -> None:
    """Append junk or a copy of the file after its end (trailers, polyglots)."""
    data.extend(rng.choice([bytes(data[: rng.randint(1, len(data))]), b"\x00" * rng.randint(1, 64),
                            core.mp4_video(1), bytes(rng.randrange(256) for _ in range(16))]))


MUTATORS: list[Callable[[bytearray, random.Random], None]] = [
    _flip_bits, _set_bytes, _set_length, _set_length, _truncate, _insert, _delete,
    _duplicate_unit, _drop_unit, _swap_units, _splice_tail,
]


def mutate(seed: bytes, rng: random.Random) -> bytes:
    """1-4 stacked mutations of ``seed``; half the time checksums are fixed afterwards."""
    data = bytearray(seed)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        if not data:
            break
        rng.choice(MUTATORS)(data, rng)
    out = bytes(data)
    if rng.random() < 0.5:
        out = fix_checksums(out)
    return out


def mutation(seed: bytes, seed_index: int, index: int, base_seed: int = 0) -> bytes:
    """The deterministic ``index``-th mutation of a seed: reproducible from three numbers."""
    return mutate(seed, random.Random(f"{base_seed}:{seed_index}:{index}"))


# ----------------------------------------------------------- attack files --
def tiff_with_ifds(ifds: list[list[tuple[int, int, int, bytes]]], links: list[int] | None = None,
                   order: str = "<") -> bytes:
    """A TIFF/EXIF body with the given IFDs laid out back to back.

    Each entry is (tag, type, count, 4-byte value field).  ``links[i]`` is the
    index of the IFD that IFD i's next pointer names (-1 for none), so loops
    are easy to write.  Returns bytes without the "Exif\\0\\0" prefix.
    """
    offsets, pos = [], 8
    for entries in ifds:
        offsets.append(pos)
        pos += 2 + 12 * len(entries) + 4
    links = links if links is not None else [-1] * len(ifds)
    body = bytearray((b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8))
    for entries, link in zip(ifds, links):
        body += struct.pack(order + "H", len(entries))
        for tag, typ, count, value in entries:
            body += struct.pack(order + "HHI", tag, typ, count) + value[:4].ljust(4, b"\x00")
        body += struct.pack(order + "I", offsets[link] if link >= 0 else 0)
    return bytes(body)


def ifd_offset(index: int, entries_per_ifd: int = 1) -> int:
    """Offset of IFD ``index`` in tiff_with_ifds when every IFD has the same entry count."""
    return 8 + index * (2 + 12 * entries_per_ifd + 4)


def exif_ifd_cycle() -> bytes:
    """IFD0 -> IFD1 -> IFD0 (next-IFD pointers that point at each other)."""
    entry = (0x010F, 2, 4, b"Cam\x00")
    return tiff_with_ifds([[entry], [entry]], links=[1, 0])


def exif_subifd_self_loop() -> bytes:
    """IFD0's ExifIFD pointer names IFD0 itself."""
    return tiff_with_ifds([[(0x8769, 4, 1, struct.pack("<I", 8))]])


def exif_huge_count() -> bytes:
    """A MakerNote claiming 1,006,641,184 bytes in a 40-byte block (exif-py #182)."""
    return tiff_with_ifds([[(0x927C, 7, 1_006_641_184, struct.pack("<I", 26))]])


def exif_huge_entry_count() -> bytes:
    """An IFD that claims 65,535 entries."""
    return b"II*\x00" + struct.pack("<IH", 8, 0xFFFF) + b"\x00" * 64


def exif_deep_nesting(depth: int = 1000) -> bytes:
    """``depth`` IFDs, each one's ExifIFD pointer naming the next (a recursion bomb)."""
    ifds = []
    for i in range(depth):
        nxt = ifd_offset(i + 1) if i + 1 < depth else 0
        ifds.append([(0x8769, 4, 1, struct.pack("<I", nxt))])
    return tiff_with_ifds(ifds)


def exif_long_chain(length: int = 1000) -> bytes:
    """``length`` IFDs chained by next-IFD pointers (no loop, just too many)."""
    entry = (0x0100, 3, 1, struct.pack("<H", 1))
    return tiff_with_ifds([[entry] for _ in range(length)], links=list(range(1, length)) + [-1])


def billion_laughs() -> bytes:
    """The classic XML entity-expansion bomb, dressed as an XMP packet."""
    ents = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)]
    return ('<?xml version="1.0"?><!DOCTYPE x:xmpmeta [' + "".join(ents) + ']>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            '<dc:title>&lol9;</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>').encode()


def external_entity_xmp(url: str = "file:///etc/passwd") -> bytes:
    """XMP whose DTD pulls in an external file (XXE)."""
    return ('<?xml version="1.0"?><!DOCTYPE x:xmpmeta [<!ENTITY xxe SYSTEM "' + url + '">]>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            '<dc:title>&xxe;</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>').encode()


def deep_xml_xmp(depth: int = 5000) -> bytes:
    """XMP nested ``depth`` elements deep (a parser-stack bomb)."""
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b"<a>" * depth + b"deep" + b"</a>" * depth
            + b"</x:xmpmeta>")


def ztxt_bomb(inflated: int = 1 << 30) -> bytes:
    """A PNG with a zTXt chunk that inflates to ``inflated`` bytes (about 1 MB on disk for 1 GB)."""
    return core.png([core.png_chunk(b"zTXt", b"Comment\x00\x00" + zeros_zlib(inflated))])


def zeros_zlib(inflated: int) -> bytes:
    """A valid zlib stream of ``inflated`` zero bytes, built without compressing them all.

    After a full flush the compressor's output for the same 1 MiB block repeats,
    so one block's bytes are repeated instead of compressing a gigabyte.
    """
    block = b"\x00" * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    blocks = inflated // len(block)
    adler = 1
    for _ in range(blocks):
        adler = zlib.adler32(block, adler)
    body = first + again * (blocks - 1) + comp.flush()
    return b"\x78\xda" + body + struct.pack(">I", adler)


def itxt_bomb(inflated: int = 64 << 20) -> bytes:
    """A PNG with a compressed iTXt XMP chunk that inflates far past the limit."""
    body = zlib.compress(b" " * inflated, 9)
    return core.png([core.png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + body)])


def jpeg_huge_frame(width: int = 65535, height: int = 65535) -> bytes:
    """A tiny JPEG whose SOF claims ``width`` x ``height`` pixels."""
    data = bytearray(core.jpeg())
    pos = 2
    while data[pos + 1] not in (0xC0, 0xC1, 0xC2):
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    data[pos + 5 : pos + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_huge_frame(width: int = 100_000, height: int = 100_000) -> bytes:
    data = bytearray(core.png())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def webp_huge_frame() -> bytes:
    """A VP8X WebP whose canvas claims 16,777,216 x 16,777,216 pixels."""
    data = bytearray(core.webp())
    at = data.find(b"VP8X") + 8
    data[at + 4 : at + 10] = b"\xff\xff\xff\xff\xff\xff"
    return bytes(data)


def jpeg_segment_past_eof() -> bytes:
    """An APP1 whose length field runs past the end of the file."""
    return b"\xff\xd8\xff\xe1\xff\xf0Exif\x00\x00II*\x00"


def jpeg_truncated_exif() -> bytes:
    """threats.md case 1: ``FFD8FFE10008Exif0000``."""
    return bytes.fromhex("FFD8FFE10008") + b"Exif\x00\x00"


def png_chunk_past_eof() -> bytes:
    data = core.png()
    return data[:33] + struct.pack(">I", 0x10000) + b"tEXt" + b"Author\x00Alex"


def riff_size_too_big() -> bytes:
    data = core.dirty_webp()
    return data[:4] + struct.pack("<I", len(data) * 4) + data[8:]


def riff_size_too_small() -> bytes:
    """RIFF size covering only the image chunk: the EXIF/XMP after it becomes a 'trailer'."""
    data = core.dirty_webp()
    return data[:4] + struct.pack("<I", 4 + 18) + data[8:]


def riff_chunk_size_lie() -> bytes:
    """A chunk inside the RIFF that claims 4 GB."""
    data = bytearray(core.dirty_webp())
    at = data.find(b"EXIF")
    data[at + 4 : at + 8] = b"\xff\xff\xff\xff"
    return bytes(data)


def isobmff_box(kind: bytes, body: bytes, size: int | None = None) -> bytes:
    return struct.pack(">I", 8 + len(body) if size is None else size) + kind + body


def isobmff_size_lies() -> list[bytes]:
    """ISO-BMFF (HEIF/AVIF) files whose box sizes lie: past EOF, below 8, 64-bit huge, zero-to-EOF."""
    ftyp = isobmff_box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")
    meta_body = b"\x00\x00\x00\x00" + isobmff_box(b"hdlr", b"\x00" * 8 + b"pict" + b"\x00" * 13)
    return [
        ftyp + isobmff_box(b"meta", meta_body, size=0x7FFFFFF0),
        ftyp + isobmff_box(b"meta", meta_body, size=3),
        ftyp + struct.pack(">I", 1) + b"meta" + struct.pack(">Q", 1 << 62) + meta_body,
        ftyp + isobmff_box(b"meta", meta_body, size=0),
        isobmff_box(b"ftyp", b"heic\x00\x00\x00\x00mif1", size=0xFFFFFFFF) + meta_body,
        ftyp + isobmff_box(b"meta", b"\x00\x00\x00\x00" + isobmff_box(b"iinf", b"\x00" * 4 + b"\xff\xff")),
    ]
