"""Offline place names for GPS positions ("near Westminster, England, United Kingdom").

The names come from GeoNames (every town of 1,000 people or more; CC BY 4.0,
geonames.org), packed by ``scripts/build_places.py`` into
``geoscrub/data/places.bin``: about 155,000 towns grouped in one-degree cells,
the cells in blocks of 10 x 10 degrees, each block compressed on its own.
Loading reads the file and its small directory (well under a millisecond); a
lookup inflates only the blocks of the cells around the photo, once.  The
index is package data (read with ``importlib.resources`` when the package is
in a zip; a browser's in-memory file system is a folder like any other), loaded
only when a photo has GPS.  Nothing here touches the network.

Index format, version 2 (little-endian)::

    magic "geoscrub-places\0", then uint32 version, towns N, cells C, regions R,
    block size D (degrees), blocks B, region table's stored size and raw size;
    B directory entries: int32 block key, uint32 towns, cells, offset, stored size, raw size
    (sorted by key; block key = ((row + 90) // D) * ceil(360 / D) + column // D);
    the region table (zlib): R lines "state<TAB>country<LF>";
    then each block (zlib, back to back in directory order), which inflates to
    int32[cells] cell keys (row * 360 + column, sorted), uint32[cells + 1] first town of each cell;
    int32[towns] latitudes, int32[towns] longitudes (units of 1e-5 degree);
    uint16[towns] region of each town; uint8[towns] length of each town's name;
    the town names (UTF-8, back to back).

Towns are numbered block after block in directory order.
"""
from __future__ import annotations

import math
import os
import struct
import sys
import zlib
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, pairwise

#: Beyond this distance from the nearest town, say "about N km from" instead of "near".
NEAR_KM = 25.0
_EARTH_RADIUS_KM = 6371.0
#: The index shipped with the package (see scripts/build_places.py for its source and licence).
DATA_PACKAGE, DATA_FILE = "geoscrub.data", "places.bin"
_MAGIC = b"geoscrub-places\x00"
_VERSION = 2
_HEADER = struct.Struct("<8I")
_ENTRY = struct.Struct("<i5I")
#: Stored coordinates are whole numbers of this fraction of a degree.
_UNITS = 100_000
#: Towns are grouped in cells of one degree of latitude by one of longitude.
_CELLS_PER_ROW = 360


@dataclass(frozen=True)
class Block:
    """The towns of one block's cells, sorted by cell, so each cell's towns are one run of the arrays."""

    first: int  # number of the block's first town in the whole index
    cells: array  # 'i': sorted keys of the block's cells that hold towns
    cell_starts: array  # 'I': block-local index of each cell's first town (one more entry at the end)
    latitudes: array  # 'i', 1e-5 degree
    longitudes: array  # 'i', 1e-5 degree
    regions: array  # 'H': index into the region table
    name_ends: array  # 'I': town i's name is names[name_ends[i - 1] : name_ends[i]] (0 for the first)
    names: bytes


@dataclass
class Index:
    """The directory of a places index; blocks and the region table are inflated (and checked) on first use."""

    blob: bytes
    towns: int
    cell_count: int
    region_count: int
    block_degrees: int
    block_keys: array  # 'i': sorted
    block_firsts: array  # 'I': number of each block's first town (one more entry at the end)
    block_cells: array  # 'I': cells in each block
    block_spans: tuple[tuple[int, int, int], ...]  # (offset, stored size, raw size) of each block
    region_span: tuple[int, int, int]
    _blocks: dict[int, Block] = field(default_factory=dict)  # by position in the directory
    _region_lines: list[str] | None = None

    def __len__(self) -> int:
        return self.towns

    @property
    def blocks_inflated(self) -> int:
        """How many blocks lookups have inflated so far."""
        return len(self._blocks)

    def block_for_cell(self, key: int) -> Block | None:
        """The block holding a cell's towns (inflated on first use), or None when no town is near."""
        wanted = _block_key(key, self.block_degrees)
        i = bisect_left(self.block_keys, wanted)
        if i == len(self.block_keys) or self.block_keys[i] != wanted:
            return None
        return self.block(i)

    def block(self, i: int) -> Block:
        found = self._blocks.get(i)
        if found is None:
            found = self._blocks[i] = self._inflate_block(i)
        return found

    def block_bound(self, i: int, latitude: float, longitude: float, scale: float) -> float:
        """A little less than the smallest distance squared (as ``_nearest`` measures it) from
        the position to any point of block ``i``'s area, read from the directory alone."""
        degrees = self.block_degrees
        row, column = divmod(self.block_keys[i], -(-_CELLS_PER_ROW // degrees))
        south, west = row * degrees - 90, column * degrees
        north, width = min(south + degrees, 90), min(degrees, _CELLS_PER_ROW - west)
        dlat = max(0.0, south - latitude, latitude - north)
        east_of_west = (longitude - west) % 360
        dlon = 0.0 if east_of_west <= width else min(east_of_west - width, 360 - east_of_west)
        bound = (dlat * dlat + (dlon * scale) ** 2) * _UNITS * _UNITS
        return bound * (1 - 1e-9) - 1  # below any town's distance despite rounding

    def position(self, town: int) -> tuple[float, float]:
        block, i = self._locate(town)
        return block.latitudes[i] / _UNITS, block.longitudes[i] / _UNITS

    def town(self, town: int) -> tuple[str, str, str]:
        block, i = self._locate(town)
        start = block.name_ends[i - 1] if i else 0
        state, country = self.region(block.regions[i])
        return block.names[start : block.name_ends[i]].decode("utf-8"), state, country

    def region(self, region: int) -> tuple[str, str]:
        """(state, country) of a region id; the region table is inflated on first use."""
        if self._region_lines is None:
            lines = _inflate(self.blob, *self.region_span).decode("utf-8").split("\n")
            if len(lines) != self.region_count + 1 or lines.pop():
                raise ValueError("places index region table does not add up")
            self._region_lines = lines
        state, _, country = self._region_lines[region].partition("\t")
        return state, country

    def _locate(self, town: int) -> tuple[Block, int]:
        if not 0 <= town < self.towns:
            raise IndexError(town)
        i = bisect_right(self.block_firsts, town) - 1
        return self.block(i), town - self.block_firsts[i]

    def _inflate_block(self, i: int) -> Block:
        """Inflate and check one block: ValueError unless it is whole and agrees with the directory."""
        raw = _inflate(self.blob, *self.block_spans[i])
        n, c, first = self.block_firsts[i + 1] - self.block_firsts[i], self.block_cells[i], self.block_firsts[i]
        pos = 0

        def column(code: str, count: int) -> array:
            nonlocal pos
            part = array(code)
            end = pos + part.itemsize * count
            if end > len(raw):
                raise ValueError("places index block cut short")
            part.frombytes(raw[pos:end])
            if sys.byteorder != "little" and part.itemsize > 1:
                part.byteswap()
            pos = end
            return part

        cells, cell_starts = column("i", c), column("I", c + 1)
        latitudes, longitudes, regions, lengths = column("i", n), column("i", n), column("H", n), column("B", n)
        names = raw[pos:]
        name_ends = array("I", accumulate(lengths))
        degrees, key = self.block_degrees, self.block_keys[i]
        if (not c or cell_starts[0] != 0 or cell_starts[-1] != n or (name_ends[-1] if n else 0) != len(names)
                or (regions and max(regions) >= self.region_count)
                or any(a >= b for a, b in pairwise(cells))
                or any(a > b for a, b in pairwise(cell_starts))
                or any(_block_key(cell, degrees) != key for cell in cells)):
            raise ValueError("places index block does not add up")
        return Block(first, cells, cell_starts, latitudes, longitudes, regions, name_ends, names)


def _block_key(cell: int, degrees: int) -> int:
    """The block of ``degrees`` x ``degrees`` cells a cell belongs to (the same rule as scripts/build_places.py)."""
    row, column = divmod(cell, _CELLS_PER_ROW)
    return (row + 90) // degrees * -(-_CELLS_PER_ROW // degrees) + column // degrees


#: No block of a real index comes near this (the biggest inflates to under 1 MB).
_MAX_INFLATED = 16 << 20


def _plausible(stored: int, raw: int, least: int, most: int) -> bool:
    """Whether a stream's inflated size is within what its counts allow and what zlib can inflate to."""
    return least <= raw <= min(most, _MAX_INFLATED, 1032 * stored + 64)


def _inflate(blob: bytes, offset: int, stored: int, size: int) -> bytes:
    """Inflate one zlib stream of the index: exactly ``size`` bytes, never more, or ValueError."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(blob[offset : offset + stored], size or 1)  # max_length 0 means no limit
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("places index block is longer than its directory says")
    except zlib.error as err:
        raise ValueError(f"places index block does not inflate: {err}") from None
    if len(raw) != size or inflater.unused_data:
        raise ValueError("places index block does not add up")
    return raw


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return min(math.floor(latitude), 89), math.floor(longitude) % _CELLS_PER_ROW


def index_from_bytes(blob: bytes) -> Index:
    """Read a places index's directory from its bytes.  Pure Python, so any host can load it from bytes.

    Raises ValueError when the bytes are not a whole, consistent index; each
    block is checked the same way when a lookup first inflates it.
    """
    blob = bytes(blob)
    start = len(_MAGIC) + _HEADER.size
    if not blob.startswith(_MAGIC) or len(blob) < start:
        raise ValueError("not a geoscrub places index")
    version, n, c, r, degrees, b, region_stored, region_raw = _HEADER.unpack_from(blob, len(_MAGIC))
    if version != _VERSION:
        raise ValueError(f"places index version {version}, expected {_VERSION}")
    if not 1 <= degrees <= 180 or len(blob) < start + _ENTRY.size * b:
        raise ValueError("places index directory does not add up")
    directory_end = start + _ENTRY.size * b
    if not _plausible(region_stored, region_raw, region_raw, 0xFFFF * 512):
        raise ValueError("places index directory does not add up")
    keys, firsts, cell_counts, spans = array("i"), array("I", [0]), array("I"), []
    offset, towns_so_far, cells_so_far, last_key = directory_end + region_stored, 0, 0, -(1 << 31) - 1
    for key, towns, cells, at, stored, raw in _ENTRY.iter_unpack(blob[start:directory_end]):
        # blocks follow one another in key order, none empty, each as big as its counts say (none can claim more)
        fixed = 8 * cells + 4 + 11 * towns
        if key <= last_key or at != offset or not cells or not _plausible(stored, raw, fixed, fixed + 255 * towns):
            raise ValueError("places index directory does not add up")
        towns_so_far, cells_so_far, offset, last_key = towns_so_far + towns, cells_so_far + cells, at + stored, key
        keys.append(key)
        firsts.append(towns_so_far)
        cell_counts.append(cells)
        spans.append((at, stored, raw))
    if offset != len(blob) or towns_so_far != n or cells_so_far != c:
        raise ValueError("places index directory does not add up")
    return Index(blob, n, c, r, degrees, keys, firsts, cell_counts, tuple(spans),
                 (directory_end, region_stored, region_raw))


def index_bytes() -> bytes:
    """The shipped index file, read as package data.

    Straight from the package folder when it is one (importing importlib.resources
    and its readers costs more than reading the file); through importlib.resources
    otherwise (a zip).
    """
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", DATA_FILE), "rb") as file:
            return file.read()
    except OSError:
        from importlib import resources

        return resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()


@lru_cache(maxsize=1)
def _index() -> Index | None:
    """The town index, loaded on first use; None when the data file is missing or damaged."""
    try:
        return index_from_bytes(index_bytes())
    except (OSError, ValueError, ModuleNotFoundError):
        return None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest_town(latitude: float, longitude: float) -> tuple[str, str, str, float] | None:
    """(city, region, country, distance in km) of the nearest town, or None.

    Raises ValueError when the part of the shipped index the lookup needs is damaged.
    """
    index = _index()
    return None if index is None else nearest_town_in(index, latitude, longitude)


def nearest_town_in(index: Index, latitude: float, longitude: float) -> tuple[str, str, str, float] | None:
    """``nearest_town`` in a given index (ValueError when a block it inflates is damaged)."""
    if not len(index) or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    best = _nearest(index, latitude, longitude)
    city, state, country = index.town(best)
    return city, state, country, distance_km(latitude, longitude, *index.position(best))


#: Rings of cells searched before looking block by block everywhere (far out at sea, near the poles).
_MAX_RING = 6


def _nearest(index: Index, latitude: float, longitude: float) -> int:
    """Index of the nearest town: cells searched in growing rings around the photo's cell.

    Distance is equirectangular around the photo (what picks the town); the
    search stops once no cell outside the rings can hold anything nearer.
    Far from every town, every block that could hold a nearer town is searched.
    """
    scale = max(math.cos(math.radians(latitude)), 1e-6)
    best, best_d2, proven = _nearest_in_rings(index, latitude, longitude, scale)
    return best if proven else _search_everywhere(index, latitude, longitude, scale, best, best_d2)


def _nearest_in_rings(index: Index, latitude: float, longitude: float, scale: float) -> tuple[int, float, bool]:
    """(town, distance squared, whether no town outside the rings can be nearer) of the rings' nearest town."""
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
            return best, best_d2, True
    return best, best_d2, False


def _search_everywhere(index: Index, latitude: float, longitude: float, scale: float,
                       ring_best: int, ring_d2: float) -> int:
    """The town that comparing every town, cell after cell in key order, would pick, without
    inflating the blocks that cannot hold a nearer town than the best found so far.

    Blocks are visited nearest first; among towns equally near, the first in cell-key
    order wins (as in that sweep, where only a strictly nearer town replaces the best),
    unless the rings' best is already that near.
    """
    lat, lon, half, full = latitude * _UNITS, longitude * _UNITS, 180 * _UNITS, 360 * _UNITS
    best, best_d2, best_order = -1, ring_d2, (0, 0)
    bounds = sorted((index.block_bound(i, latitude, longitude, scale), i) for i in range(len(index.block_keys)))
    for bound, i in bounds:
        if bound > best_d2:
            break  # this block and every one after it are farther than the best
        block = index.block(i)
        lats, lons, starts = block.latitudes, block.longitudes, block.cell_starts
        for c, key in enumerate(block.cells):
            for town in range(starts[c], starts[c + 1]):
                dlat = lats[town] - lat
                dlon = ((lons[town] - lon + half) % full - half) * scale
                d2 = dlat * dlat + dlon * dlon
                if d2 < best_d2 or (d2 == best_d2 and best >= 0 and (key, town) < best_order):
                    best, best_d2, best_order = block.first + town, d2, (key, town)
    return best if best >= 0 else ring_best


def _search_cell(index: Index, key: int, latitude: float, longitude: float, scale: float,
                 best: int, best_d2: float) -> tuple[int, float]:
    """Compare the towns of one cell; distances squared are in (1e-5 degree) units."""
    block = index.block_for_cell(key)
    if block is None:
        return best, best_d2
    return _search_block_cell(block, key, latitude, longitude, scale, best, best_d2)


def _search_block_cell(block: Block, key: int, latitude: float, longitude: float, scale: float,
                       best: int, best_d2: float) -> tuple[int, float]:
    i = bisect_left(block.cells, key)
    if i == len(block.cells) or block.cells[i] != key:
        return best, best_d2
    lats, lons, first = block.latitudes, block.longitudes, block.first
    lat, lon, half, full = latitude * _UNITS, longitude * _UNITS, 180 * _UNITS, 360 * _UNITS
    for town in range(block.cell_starts[i], block.cell_starts[i + 1]):
        dlat = lats[town] - lat
        dlon = ((lons[town] - lon + half) % full - half) * scale
        d2 = dlat * dlat + dlon * dlon
        if d2 < best_d2:
            best, best_d2 = first + town, d2
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
