"""Offline place names: right town, cached index, never the network."""
from __future__ import annotations

import pytest

from geoscrub import places

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
    assert list(fresh_cache.glob("places-v*.npz"))
    places._index.cache_clear()
    assert places.nearest_town(51.5010, -0.1416) == first


def test_the_date_line_wraps(fresh_cache):
    town = places.nearest_town(-16.5, 179.99)  # Fiji, next to the antimeridian
    assert town is not None and town[3] < 200


def test_an_unwritable_cache_still_gives_names(fresh_cache, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/geoscrub-cannot-write-here")
    assert places.place_name(48.8584, 2.2945).startswith("near ")
