"""Offline place names: right town, cached index, never the network."""
from __future__ import annotations

import pytest

from geoscrub import places
from tests.builders.systems import POSIX_ONLY

pytestmark = pytest.mark.skipif(places.data_folder() is None, reason="GeoNames data not installed")


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    places._index.cache_clear()
    places.place_name.cache_clear()
    yield tmp_path / "geoscrub"
    places._index.cache_clear()
    places.place_name.cache_clear()


@pytest.mark.parametrize(("lat", "lon", "expected"), [
    (48.8584, 2.2945, "Île-de-France, France"),  # Eiffel Tower
    (-33.8568, 151.2153, "New South Wales, Australia"),  # Opera House
    (40.6892, -74.0445, "New York, United States"),  # Statue of Liberty
])
def test_nearest_town_names_the_right_place(fresh_cache, lat, lon, expected):
    assert expected in places.place_name(lat, lon)


def test_the_index_is_cached_and_the_cache_gives_the_same_answer(fresh_cache):
    first = places.nearest_town(51.5010, -0.1416)
    assert list(fresh_cache.glob("places-v*.bin"))
    places._index.cache_clear()
    assert places.nearest_town(51.5010, -0.1416) == first


def test_the_date_line_wraps(fresh_cache):
    town = places.nearest_town(-16.5, 179.99)  # Fiji, next to the antimeridian
    assert town is not None and town[3] < 200


@POSIX_ONLY
def test_an_unwritable_cache_still_gives_names(fresh_cache, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/geoscrub-cannot-write-here")
    assert places.place_name(48.8584, 2.2945).startswith("near ")


def test_a_new_index_replaces_older_cached_versions(fresh_cache):
    fresh_cache.mkdir(parents=True)
    (fresh_cache / "places-v1-1-2.npz").write_bytes(b"old")
    places.nearest_town(51.5010, -0.1416)
    assert [p.suffix for p in fresh_cache.iterdir()] == [".bin"]


def test_a_corrupt_cache_is_rebuilt(fresh_cache):
    first = places.nearest_town(48.8584, 2.2945)
    cached = next(fresh_cache.glob("places-v*.bin"))
    cached.write_bytes(cached.read_bytes()[:1000])
    places._index.cache_clear()
    assert places.nearest_town(48.8584, 2.2945) == first


@pytest.mark.parametrize(("lat", "lon"), [
    (51.5, -0.12), (-16.5, 179.99), (0.0, -180.0), (89.9, 10.0), (-89.9, 0.0), (-85.0, 100.0), (0.5, -30.0),
    (64.1, -21.9), (-54.8, -68.3), (35.0, 139.0),
])
def test_the_cell_search_finds_the_same_town_as_comparing_every_town(fresh_cache, lat, lon):
    import math

    index = places._index()
    scale = max(math.cos(math.radians(lat)), 1e-6)

    def d2(i):
        dlon = (index.longitudes[i] - lon + 180.0) % 360.0 - 180.0
        return (index.latitudes[i] - lat) ** 2 + (dlon * scale) ** 2

    every = min(range(len(index.latitudes)), key=d2)
    assert d2(places._nearest(index, lat, lon)) == pytest.approx(d2(every), abs=1e-12)
