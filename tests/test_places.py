"""Offline place names: the right town, from the index shipped in the package, never the network, no numpy."""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from geoscrub import places
from tests.builders import places as tiny

DATA = Path(places.__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh():
    places._index.cache_clear()
    places.place_name.cache_clear()
    yield
    places._index.cache_clear()
    places.place_name.cache_clear()


#: Answers the reverse_geocode-based lookup gave before this index replaced it (main before
#: issue 17): towns picked at random, open sea, the date line and both poles.  Before the switch,
#: 44,008 such positions (4,000 anywhere on Earth, 40,000 within a few km of a town) were compared:
#: every name and distance was the same.
KNOWN_PLACES = [
    ((16.848988303019034, 121.12581388248066), 'near Lagawe, Cordillera, Philippines'),
    ((43.41823763818748, 6.732826332322759), "near Fréjus, Provence-Alpes-Côte d'Azur, France"),
    ((43.813566304775584, -111.76649753291873), 'near Rexburg, Idaho, United States'),
    ((20.320710001001746, -102.57234719280143), 'near Moras, Jalisco, Mexico'),
    ((6.8090204290405785, -6.693146404515488), "near Batéguédia, Sassandra-Marahoué, Cote d'Ivoire"),
    ((18.768571394737652, 83.41912331857719), 'near Pārvatipuram, Andhra Pradesh, India'),
    ((40.34503583322035, -3.6189073325209336), 'near Casco Histórico de Vallecas, Madrid, Spain'),
    ((47.768587562950195, 25.798857248144714), 'near Clit, Suceava, Romania'),
    ((29.97788590459864, 106.45582766328687), 'near Shuangfeng, Chongqing, China'),
    ((38.182884744177045, 139.35726017646948), 'near Murakami, Niigata, Japan'),
    ((-8.377946235701705, 123.61620497495085), 'near Hadakewa, East Nusa Tenggara, Indonesia'),
    ((37.87814419079159, 32.436992014810585), 'near Konya, Turkey'),
    ((45.8167906928784, 8.673479196641807), 'near Malgesso, Lombardy, Italy'),
    ((43.90883811765627, 41.92121183537509), 'near Sary-Tyuz, Karachayevo-Cherkesiya Republic, Russian Federation'),
    ((41.37689911023492, 22.783946666222334), 'near Murtino, Strumica, Macedonia'),
    ((44.707496487992316, 25.699617363118932), 'near Bălteni, Dâmbovița County, Romania'),
    ((38.073012135337656, -103.70283162997339), 'near Rocky Ford, Colorado, United States'),
    ((41.52798731555088, 13.955360875296293), 'near Viticuso, Lazio, Italy'),
    ((-4.951157744173398, 34.82313058368206), 'near Mungaa, Singida, Tanzania, United Republic of'),
    ((32.31082676360089, 105.94963241323887), 'near Yuanba, Sichuan, China'),
    ((-24.04966825028635, 21.78264261281538), 'near Hukuntsi, Kgalagadi, Botswana'),
    ((-31.08437895527525, 30.216464392299855), 'near Port Edward, KwaZulu-Natal, South Africa'),
    ((10.293360359949345, 122.9844759056794), 'near Calape, Western Visayas, Philippines'),
    ((42.15810638608256, -96.65641180153115), 'near Pender, Nebraska, United States'),
    ((22.266982714812787, 82.08469252620125), 'near Kotā, Chhattisgarh, India'),
    ((-9.698487838017517, -37.181828589406564), 'near Batalha, Alagoas, Brazil'),
    ((17.21441957618636, -92.80505064919451), 'near La Competencia, Chiapas, Mexico'),
    ((49.31654602424598, -122.95486435580976), 'near Burnaby, British Columbia, Canada'),
    ((36.6476132784228, 34.27423902187343), 'near Kösbucağı, Mersin, Turkey'),
    ((32.81857632974464, -96.37821872712422), 'near McLendon-Chisholm, Texas, United States'),
    ((-57.19684516409999, -99.45569315378864), 'about 1,830 km from Puerto Natales, Region of Magallanes, Chile'),
    ((-22.530777570502224, 98.77497286987915), 'about 1,172 km from West Island, Cocos (Keeling) Islands'),
    ((-9.668424249737129, -75.42385821562867), 'about 46 km from Pozuzo, Pasco, Peru'),
    ((-9.30928366577858, -178.8183352150255), 'about 235 km from Fakaifou Village, Funafuti, Tuvalu'),
    ((2.727024702857264, 179.87272793915025), 'about 738 km from Rawannawi Village, Gilbert Islands, Kiribati'),
    ((-7.402703591092802, 76.2980097165468), 'about 831 km from Meedhoo, Seenu, Maldives'),
    ((-23.819494893876993, -129.34915796649045), 'about 158 km from Adamstown, Pitcairn'),
    ((-84.22434931573493, 106.61347450947034), 'about 4,500 km from Grytviken, South Georgia and the South Sandwich Islands'),
    ((57.96400312379211, 108.36341978311094), 'near Alekseyevskaya, Irkutsk Oblast, Russian Federation'),
    ((34.214732380545726, -99.38820107216675), 'near Vernon, Texas, United States'),
    ((35.69615094289874, -115.75832895339776), 'near Sandy Valley, Nevada, United States'),
    ((42.8770967128782, -79.40049039956537), 'near Port Colborne, Ontario, Canada'),
    ((51.501, -0.1416), 'near City of Westminster, England, United Kingdom'),
    ((48.8584, 2.2945), 'near Neuilly-sur-Seine, Île-de-France, France'),
    ((-16.5, 179.99), 'about 67 km from Labasa, Northern, Fiji'),
    ((0.0, -180.0), 'about 741 km from Kulia Village, Niutao, Tuvalu'),
    ((89.9, 10), 'about 1,298 km from Longyearbyen, Svalbard, Svalbard and Jan Mayen'),
    ((-89.9, 0), 'about 3,895 km from Puerto Williams, Region of Magallanes, Chile'),
    ((90, 180), 'about 1,310 km from Longyearbyen, Svalbard, Svalbard and Jan Mayen'),
    ((-90, -180), 'about 3,899 km from Puerto Williams, Region of Magallanes, Chile'),
]


@pytest.mark.parametrize(("position", "expected"), KNOWN_PLACES)
def test_the_index_names_the_same_places_as_before(fresh, position, expected):
    assert places.place_name(*position) == expected


def test_a_photo_near_westminster_is_named_at_town_precision(fresh):
    city, state, country, km = places.nearest_town(51.5010, -0.1416)
    assert (city, state, country) == ("City of Westminster", "England", "United Kingdom")
    assert km < 2


def test_the_date_line_wraps(fresh):
    town = places.nearest_town(-16.5, 179.99)  # Fiji, next to the antimeridian
    assert town is not None and town[3] < 200


def test_positions_off_the_globe_have_no_name(fresh):
    assert places.place_name(91.0, 0.0) is None
    assert places.place_name(0.0, 181.0) is None
    assert places.place_name(math.nan, 0.0) is None


@pytest.mark.parametrize(("lat", "lon"), [
    (51.5, -0.12), (-16.5, 179.99), (0.0, -180.0), (89.9, 10.0), (-89.9, 0.0), (-85.0, 100.0), (0.5, -30.0),
    (64.1, -21.9), (-54.8, -68.3), (35.0, 139.0),
])
def test_the_cell_search_finds_the_same_town_as_comparing_every_town(fresh, lat, lon):
    index = places._index()
    scale = max(math.cos(math.radians(lat)), 1e-6)

    def d2(i):
        town_lat, town_lon = index.position(i)
        dlon = (town_lon - lon + 180.0) % 360.0 - 180.0
        return (town_lat - lat) ** 2 + (dlon * scale) ** 2

    every = min(range(len(index)), key=d2)
    assert d2(places._nearest(index, lat, lon)) == pytest.approx(d2(every), abs=1e-12)


def test_the_index_loads_from_bytes_alone(fresh):
    """A host without files (a browser running Python) hands over the bytes it fetched."""
    blob = places.index_bytes()
    from_bytes, from_bytearray = places.index_from_bytes(blob), places.index_from_bytes(bytearray(blob))
    assert len(from_bytes) == len(from_bytearray) > 150_000
    assert from_bytes.town(0) == from_bytearray.town(0)


def test_loading_reads_only_the_directory_and_a_lookup_inflates_only_the_blocks_it_needs(fresh):
    index = places._index()
    assert index.blocks_inflated == 0 and len(index.block_keys) > 100
    city, *_ = places.nearest_town(51.5010, -0.1416)
    assert city == "City of Westminster"
    assert index.blocks_inflated == 1
    places.nearest_town(51.52, -0.10)  # the same block again: inflated once, kept
    assert index.blocks_inflated == 1


def test_far_out_at_sea_only_blocks_that_could_hold_a_nearer_town_are_inflated(fresh):
    index = places._index()
    assert places.place_name(-57.19684516409999, -99.45569315378864) == (
        "about 1,830 km from Puerto Natales, Region of Magallanes, Chile")
    assert 0 < index.blocks_inflated < 10 < len(index.block_keys)


def _sweep_every_cell(index, lat, lon):
    """What the search must give when the rings prove nothing: every cell in key order, a strictly nearer town
    replacing the best (the rings' best first, as the rings left it)."""
    scale = max(math.cos(math.radians(lat)), 1e-6)
    cells = sorted((key, b) for b in range(len(index.block_keys)) for key in index.block(b).cells)
    best, best_d2, _ = places._nearest_in_rings(index, lat, lon, scale)
    for key, b in cells:
        best, best_d2 = places._search_block_cell(index.block(b), key, lat, lon, scale, best, best_d2)
    return best


#: Two towns equally far (25 degrees) from (0, 0), beyond the rings: the northern one's block is nearer, so it
#: is found first, but a sweep of every cell in key order meets the southern one first and keeps it.
EQUALLY_FAR = [(0.0, 25.0, "Northtie", ("North", "Tiedland")), (-15.0, 20.0, "Southtie", ("South", "Tiedland"))]
#: The rings meet a town they cannot prove nearest; another as near lies outside them with a smaller cell key.
RING_TIE = [(6.5, 6.5, "Ringtown", ("Ring", "Tiedland")), (-6.5, -6.5, "Outertown", ("Outer", "Tiedland"))]


@pytest.mark.parametrize(("towns", "expected"), [(EQUALLY_FAR, "Southtie"), (RING_TIE, "Ringtown")])
def test_far_from_every_town_equally_near_towns_resolve_as_a_sweep_of_every_cell(towns, expected):
    index = places.index_from_bytes(tiny.tiny_index(towns))
    assert index.town(_sweep_every_cell(index, 0.0, 0.0))[0] == expected
    index = places.index_from_bytes(tiny.tiny_index(towns))
    assert index.town(places._nearest(index, 0.0, 0.0))[0] == expected


@pytest.mark.parametrize(("lat", "lon"), [
    (0.5, -30.0), (-57.2, -99.5), (-84.2, 106.6), (89.9, 10.0), (-89.9, 0.0), (90.0, 180.0), (-90.0, -180.0),
    (0.0, -180.0), (-22.5, 98.8), (2.7, 179.9), (-40.0, -140.0), (30.0, -40.0), (-50.0, 60.0), (-30.0, 5.0),
])
def test_far_from_every_town_the_search_gives_what_a_sweep_of_every_cell_gives(fresh, lat, lon):
    index = places._index()
    assert places._nearest(index, lat, lon) == _sweep_every_cell(index, lat, lon)


def test_a_tiny_index_built_by_the_build_script_names_its_towns():
    index = places.index_from_bytes(tiny.tiny_index())
    assert len(index) == len(tiny.TOWNS)
    assert places.index_from_bytes(tiny.tiny_index()).blocks_inflated == 0
    town = places._nearest(index, 51.5, -0.12)
    assert index.town(town) == ("Thamesby", "Southshire", "Examplia")
    assert index.blocks_inflated == 1
    assert index.town(places._nearest(index, -16.5, -179.95))[0] == "Datelineville"  # across the date line
    assert index.blocks_inflated == 2
    assert index.town(places._nearest(index, 0.0, -100.0))[0] == "Datelineville"  # far from all of them


@pytest.mark.parametrize("damage", ["cut", "magic", "version", "count"])
def test_a_damaged_shipped_index_is_refused_and_names_nothing(fresh, monkeypatch, damage):
    raw = bytearray(places.index_bytes())
    if damage == "cut":
        raw = raw[: len(raw) // 2]
    elif damage == "magic":
        raw[:4] = b"nope"
    elif damage == "version":
        raw[16] = 99
    else:
        struct.pack_into("<I", raw, 20, struct.unpack_from("<I", raw, 20)[0] + 1)  # one town more than it holds
    with pytest.raises(ValueError):
        places.index_from_bytes(bytes(raw))
    monkeypatch.setattr(places, "index_bytes", lambda: bytes(raw))
    assert places.place_name(51.5010, -0.1416) is None


def _last_entry(blob: bytes) -> int:
    return len(tiny.directory(blob)) - 1


#: Damage found by the loader: the directory does not describe the file.
DAMAGED_DIRECTORIES = {
    "old version 1": lambda b: tiny.with_version(b, 1),
    "newer version": lambda b: tiny.with_version(b, 3),
    "gzip'd": lambda b: gzip.compress(b, mtime=0),
    "directory cut short": lambda b: b[: tiny.DIRECTORY_AT + tiny.ENTRY.size // 2],
    "last block cut short": lambda b: b[:-3],
    "bytes after the last block": lambda b: b + b"\0",
    "block offset past the end": lambda b: tiny.with_entry(b, _last_entry(b), offset=len(b) + 100),
    "block offset inside the directory": lambda b: tiny.with_entry(b, 0, offset=tiny.DIRECTORY_AT),
    "block longer than the file": lambda b: tiny.with_entry(b, _last_entry(b), stored=1 << 31),
    "block claiming 4 GB inflated": lambda b: tiny.with_entry(b, 0, raw=0xFFFFFFFF),
    "block claiming a million towns": lambda b: tiny.with_entry(b, 0, towns=1_000_000, raw=20_000_000),
    "block with no cells": lambda b: tiny.with_entry(b, 0, cells=0),
    "blocks out of order": lambda b: tiny.with_entry(b, 1, key=tiny.directory(b)[0][0]),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_DIRECTORIES))
def test_an_index_whose_directory_does_not_describe_it_is_refused(fresh, monkeypatch, damage):
    blob = DAMAGED_DIRECTORIES[damage](tiny.tiny_index())
    with pytest.raises(ValueError):
        places.index_from_bytes(blob)
    monkeypatch.setattr(places, "index_bytes", lambda: blob)
    assert places.place_name(51.5, -0.12) is None


def _thamesby_block(blob: bytes) -> int:
    """The directory position of the block holding Thamesby (51.5, -0.12)."""
    key = tiny.build_places.block_key(tiny.build_places.cell_key(51.5, -0.12))
    return [entry[0] for entry in tiny.directory(blob)].index(key)


def _raw_with(blob: bytes, i: int, at: int, value: bytes) -> bytes:
    raw = bytearray(tiny.block_raw(blob, i))
    raw[at : at + len(value)] = value
    return bytes(raw)


#: Damage found only when a lookup first inflates the block: the directory is sound.
DAMAGED_BLOCKS = {
    "compressed bytes flipped": lambda b, i: tiny.with_block_bytes_flipped(b, i),
    "inflates shorter than the directory says": lambda b, i: tiny.with_block_replaced(
        b, i, tiny.block_raw(b, i)[:-1]),
    "inflates longer than the directory says": lambda b, i: tiny.with_entry(
        b, i, raw=tiny.directory(b)[i][5] - 1),
    "cell from another block": lambda b, i: tiny.with_block_replaced(
        b, i, _raw_with(b, i, 0, struct.pack("<i", 10 * 360 + 100))),
    "first town not at 0": lambda b, i: tiny.with_block_replaced(b, i, _raw_with(b, i, 4, struct.pack("<I", 1))),
    "region past the table": lambda b, i: tiny.with_block_replaced(b, i, _raw_with(b, i, 4 + 8 + 8, b"\xff\xff")),
    "name lengths do not add up": lambda b, i: tiny.with_block_replaced(b, i, _raw_with(b, i, 4 + 8 + 8 + 2, b"\x01")),
    "name not UTF-8": lambda b, i: tiny.with_block_replaced(b, i, _raw_with(b, i, 4 + 8 + 8 + 2 + 1, b"\xff")),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_BLOCKS))
def test_a_damaged_block_is_refused_when_first_inflated_and_names_nothing(fresh, monkeypatch, damage):
    sound = tiny.tiny_index()
    blob = DAMAGED_BLOCKS[damage](sound, _thamesby_block(sound))
    index = places.index_from_bytes(blob)  # the directory is sound: the damage shows on first use
    with pytest.raises(ValueError):
        places.nearest_town_in(index, 51.5, -0.12)
    monkeypatch.setattr(places, "index_bytes", lambda: blob)
    assert places.place_name(51.5, -0.12) is None
    assert places.place_name(-33.9, 151.2) == "near Harbourton, Coastal, Imaginaria"  # other blocks still serve


@pytest.mark.parametrize(("field", "value"), [
    (12, 99),  # more regions than the table holds
    (28, 0),  # the table said to inflate to nothing (zlib's "no limit")
    (28, 3),  # to less than it holds
])
def test_a_damaged_region_table_is_refused_when_first_needed(fresh, monkeypatch, field, value):
    blob = bytearray(tiny.tiny_index())
    struct.pack_into("<I", blob, tiny.MAGIC_SIZE + field, value)
    index = places.index_from_bytes(bytes(blob))
    with pytest.raises(ValueError):
        places.nearest_town_in(index, 51.5, -0.12)
    monkeypatch.setattr(places, "index_bytes", lambda: bytes(blob))
    assert places.place_name(51.5, -0.12) is None


def test_no_single_damaged_byte_makes_the_index_raise_anything_but_value_error(fresh):
    sound = tiny.tiny_index()
    positions = [(lat, lon) for lat, lon, *_ in tiny.TOWNS] + [(0.0, -30.0), (89.9, 10.0)]
    for at in range(len(sound)):
        for flip in (0x01, 0x80, 0xFF):
            blob = bytearray(sound)
            blob[at] ^= flip
            try:
                index = places.index_from_bytes(bytes(blob))
                for lat, lon in positions:
                    places.nearest_town_in(index, lat, lon)
            except ValueError:
                pass


def test_the_shipped_index_is_the_one_its_source_note_records():
    note = (DATA / "SOURCE.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((DATA / places.DATA_FILE).read_bytes()).hexdigest()
    assert digest in note
    script = (ROOT / "scripts" / "build_places.py").read_text(encoding="utf-8")
    pinned = re.search(r'SOURCE_SHA256 = "([0-9a-f]{64})"', script).group(1)
    assert pinned in note and "CC BY 4.0" in note


def test_the_index_is_package_data():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert places.DATA_FILE in str(config["tool"]["setuptools"]["package-data"])


def test_the_index_is_read_through_importlib_resources_when_geoscrub_runs_from_a_zip(tmp_path):
    package = Path(places.__file__).parent
    archive = tmp_path / "geoscrub.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".so", ".pyc"):
                zipped.write(path, path.relative_to(package.parent).as_posix())
    code = ("import sys; from geoscrub import places; assert '.zip' in places.__file__, places.__file__; "
            "print(places.place_name(51.5010, -0.1416))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(archive)}, cwd=tmp_path)
    assert proc.stdout.strip() == "near City of Westminster, England, United Kingdom"


def test_place_names_need_neither_numpy_nor_scipy():
    code = ("import sys; from geoscrub import places; "
            "assert places.place_name(51.5010, -0.1416).startswith('near City of Westminster'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'scipy', 'reverse_geocode')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
