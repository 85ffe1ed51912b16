"""Offline place names for GPS positions ("near Westminster, England, United Kingdom").

The names come from GeoNames (every town of 1,000 people or more; CC BY 4.0,
geonames.org), packed by ``scripts/build_places.py`` into
``geoscrub/data/places.bin.gz``: about 155,000 towns grouped in one-degree
cells, so a lookup compares only the towns of the cells around the photo.
The index is package data read with ``importlib.resources`` (so it works from
a zip or a browser's in-memory file system too), and it is loaded only when a
photo has GPS.  Nothing here touches the network.

Index format (little-endian, after gunzip)::

    magic "geoscrub-places\\0", then uint32 version, towns N, cells C,
    regions R, name bytes, region bytes;
    int32[C] cell keys (row * 360 + column, sorted), uint32[C + 1] first town of each cell;
    int32[N] latitudes, int32[N] longitudes (units of 1e-5 degree);
    uint16[N] region of each town; uint8[N] length of each town's name;
    the town names (UTF-8, back to back); R lines "state<TAB>country<LF>".
"""
from __future__ import annotations

import gzip
import math
import struct
import sys
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import accumulate

#: Beyond this distance from the nearest town, say "about N km from" instead of "near".
NEAR_KM = 25.0
_EARTH_RADIUS_KM = 6371.0
#: The index shipped with the package (see scripts/build_places.py for its source and licence).
DATA_PACKAGE, DATA_FILE = "geoscrub.data", "places.bin.gz"
_MAGIC = b"geoscrub-places\x00"
_VERSION = 1
_HEADER = struct.Struct("<6I")
#: Stored coordinates are whole numbers of this fraction of a degree.
_UNITS = 100_000
#: Towns are grouped in cells of one degree of latitude by one of longitude.
_CELLS_PER_ROW = 360


@dataclass(frozen=True)
class Index:
    """Towns sorted by cell, so each cell's towns are one run of the arrays."""

    latitudes: array  # 'i', 1e-5 degree
    longitudes: array  # 'i', 1e-5 degree
    regions: array  # 'H': index into region_names
    name_ends: array  # 'I': town i's name is names[name_ends[i - 1] : name_ends[i]] (0 for the first)
    names: bytes
    region_names: tuple[tuple[str, str], ...]  # (state, country)
    cells: array  # 'i': sorted keys of the cells that hold towns
    cell_starts: array  # 'I': index of each cell's first town (one more entry at the end)

    def __len__(self) -> int:
        return len(self.latitudes)

    def position(self, town: int) -> tuple[float, float]:
        return self.latitudes[town] / _UNITS, self.longitudes[town] / _UNITS

    def town(self, town: int) -> tuple[str, str, str]:
        start = self.name_ends[town - 1] if town else 0
        state, country = self.region_names[self.regions[town]]
        return self.names[start : self.name_ends[town]].decode("utf-8"), state, country


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return min(math.floor(latitude), 89), math.floor(longitude) % _CELLS_PER_ROW


def index_from_bytes(blob: bytes) -> Index:
    """Parse a places index (gzip'd or not).  Pure Python, so any host can load it from bytes.

    Raises ValueError when the bytes are not a whole, consistent index.
    """
    data = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
    if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _HEADER.size:
        raise ValueError("not a geoscrub places index")
    version, n, c, r, name_bytes, region_bytes = _HEADER.unpack_from(data, len(_MAGIC))
    if version != _VERSION:
        raise ValueError(f"places index version {version}, expected {_VERSION}")
    pos = len(_MAGIC) + _HEADER.size

    def column(code: str, count: int) -> array:
        nonlocal pos
        part = array(code)
        end = pos + part.itemsize * count
        part.frombytes(data[pos:end])
        if len(part) != count:
            raise ValueError("places index cut short")
        if sys.byteorder != "little" and part.itemsize > 1:
            part.byteswap()
        pos = end
        return part

    cells, cell_starts = column("i", c), column("I", c + 1)
    latitudes, longitudes, regions, lengths = column("i", n), column("i", n), column("H", n), column("B", n)
    names, region_text = data[pos : pos + name_bytes], data[pos + name_bytes : pos + name_bytes + region_bytes]
    if len(region_text) != region_bytes or pos + name_bytes + region_bytes != len(data):
        raise ValueError("places index does not add up")
    region_names = tuple(tuple((line.split("\t") + [""])[:2]) for line in region_text.decode("utf-8").splitlines())
    name_ends = array("I", accumulate(lengths))
    if (len(region_names) != r or (n and name_ends[-1] != name_bytes) or (regions and max(regions) >= r)
            or cell_starts[-1] != n or list(cells) != sorted(cells)):
        raise ValueError("places index does not add up")
    return Index(latitudes, longitudes, regions, name_ends, names, region_names, cells, cell_starts)  # type: ignore[arg-type]


def index_bytes() -> bytes:
    """The shipped index file, read as package data."""
    return resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()


@lru_cache(maxsize=1)
def _index() -> Index | None:
    """The town index, loaded on first use; None when the data file is missing or damaged."""
    try:
        return index_from_bytes(index_bytes())
    except (OSError, ValueError, EOFError, ModuleNotFoundError):
        return None


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
    city, state, country = index.town(best)
    return city, state, country, distance_km(latitude, longitude, *index.position(best))


#: Rings of cells searched before falling back to every town (far out at sea, near the poles).
_MAX_RING = 6


def _nearest(index: Index, latitude: float, longitude: float) -> int:
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
        reach = min(latitude - (row - ring), row + ring + 1 - latitude, scale * min(west, east)) * _UNITS
        if best >= 0 and best_d2 <= reach * reach:
            return best
    for key in index.cells:
        best, best_d2 = _search_cell(index, key, latitude, longitude, scale, best, best_d2)
    return best


def _search_cell(index: Index, key: int, latitude: float, longitude: float, scale: float,
                 best: int, best_d2: float) -> tuple[int, float]:
    """Compare the towns of one cell; distances squared are in (1e-5 degree) units."""
    i = bisect_left(index.cells, key)
    if i == len(index.cells) or index.cells[i] != key:
        return best, best_d2
    lats, lons = index.latitudes, index.longitudes
    lat, lon, half, full = latitude * _UNITS, longitude * _UNITS, 180 * _UNITS, 360 * _UNITS
    for town in range(index.cell_starts[i], index.cell_starts[i + 1]):
        dlat = lats[town] - lat
        dlon = ((lons[town] - lon + half) % full - half) * scale
        d2 = dlat * dlat + dlon * dlon
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
