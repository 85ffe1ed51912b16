"""Small place-name indexes, sound and damaged, packed by the real build script's ``pack``.

The towns are invented, spread over a few blocks so a lookup can be seen to
inflate only the block it needs.  The damage is done to the bytes ``pack``
wrote, at the places the format in ``geoscrub/places.py`` describes.
"""
from __future__ import annotations

import importlib.util
import struct
import sys
import zlib
from pathlib import Path

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_places.py"


def _build_script():
    """scripts/build_places.py as a module (scripts/ is not a package)."""
    name = "geoscrub_build_places"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


build_places = _build_script()

#: (latitude, longitude, name, (state, country)), invented; each in a different 10-degree block but two.
TOWNS = [
    (51.5, -0.12, "Thamesby", ("Southshire", "Examplia")),
    (51.9, 0.3, "Eastwick", ("Southshire", "Examplia")),  # across the prime meridian: another block
    (50.6, 3.05, "Lutecia", ("North", "Fictonia")),  # same block as Eastwick
    (-33.9, 151.2, "Harbourton", ("Coastal", "Imaginaria")),
    (35.7, 139.7, "Eastport", ("Kanto-ish", "Nowhereland")),
    (-16.5, 179.9, "Datelineville", ("Islands", "Farawaya")),
    (64.1, -21.9, "Steamfjord", ("Capital", "Geysira")),
]

#: Where the header's fields and the first directory entry start (see geoscrub/places.py).
MAGIC_SIZE = len(build_places.MAGIC)
VERSION_AT = MAGIC_SIZE
DIRECTORY_AT = MAGIC_SIZE + build_places.HEADER.size
ENTRY = build_places.DIRECTORY_ENTRY


def scaled_towns(towns=TOWNS) -> list:
    return [(round(lat * 100_000), round(lon * 100_000), name, region) for lat, lon, name, region in towns]


def tiny_index(towns=TOWNS) -> bytes:
    """A whole, consistent index of a few towns."""
    return build_places.pack(scaled_towns(towns))


def directory(blob: bytes) -> list[tuple[int, int, int, int, int, int]]:
    """The directory entries: (block key, towns, cells, offset, stored size, raw size)."""
    blocks = struct.unpack_from("<I", blob, MAGIC_SIZE + 20)[0]
    return list(ENTRY.iter_unpack(blob[DIRECTORY_AT : DIRECTORY_AT + ENTRY.size * blocks]))


def with_entry(blob: bytes, i: int, **fields: int) -> bytes:
    """The index with directory entry ``i`` changed (fields: key, towns, cells, offset, stored, raw)."""
    names = ("key", "towns", "cells", "offset", "stored", "raw")
    entry = dict(zip(names, directory(blob)[i]))
    entry.update(fields)
    out = bytearray(blob)
    ENTRY.pack_into(out, DIRECTORY_AT + ENTRY.size * i, *(entry[n] for n in names))
    return bytes(out)


def with_version(blob: bytes, version: int) -> bytes:
    out = bytearray(blob)
    struct.pack_into("<I", out, VERSION_AT, version)
    return bytes(out)


def with_block_bytes_flipped(blob: bytes, i: int) -> bytes:
    """Block ``i``'s compressed bytes damaged in the middle (as a bad sector would)."""
    _, _, _, offset, stored, _ = directory(blob)[i]
    out = bytearray(blob)
    out[offset + stored // 2] ^= 0xFF
    return bytes(out)


def with_block_replaced(blob: bytes, i: int, raw: bytes) -> bytes:
    """Block ``i`` replaced by ``raw``, compressed soundly, the directory's sizes and offsets made to match.

    The result inflates cleanly; whether it adds up is for the reader to find.
    """
    entries = directory(blob)
    packed = zlib.compress(raw, 9)
    first_offset = entries[0][3]
    blocks = [blob[off : off + stored] for _, _, _, off, stored, _ in entries]
    blocks[i] = packed
    out = bytearray(blob[:first_offset])
    offset = first_offset
    for j, (key, towns, cells, _, _, raw_size) in enumerate(entries):
        size = len(raw) if j == i else raw_size
        ENTRY.pack_into(out, DIRECTORY_AT + ENTRY.size * j, key, towns, cells, offset, len(blocks[j]), size)
        offset += len(blocks[j])
    return bytes(out) + b"".join(blocks)


def block_raw(blob: bytes, i: int) -> bytes:
    _, _, _, offset, stored, _ = directory(blob)[i]
    return zlib.decompress(blob[offset : offset + stored])
