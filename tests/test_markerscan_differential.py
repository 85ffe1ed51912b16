"""The compiled marker search and the pure-Python reference give the same answers.

The compiled search (geoscrub._markerscan) is an optional speed-up; the pure
path is the reference and what the web page runs.  They are compared on
builder-made and sample photos (at every 0xFF byte, not only where a walk
starts), on tens of thousands of random and mutated buffers, on whole walks
and cleans, and on ../shared/corpus when it is there.  Bounded to a few
seconds.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from geoscrub.api import clean_bytes, scan_bytes
from geoscrub.errors import GeoscrubError
from geoscrub.formats import jpeg, markerscan
from geoscrub.formats.base import forget_recent_parses
from tests.builders import core

ROOT = Path(__file__).resolve().parent.parent
#: ../shared/corpus beside the checkout (or beside the folder of worktrees), when there
CORPUS = next((d for d in (ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus") if d.is_dir()),
              ROOT.parent / "shared" / "corpus")
REQUIRED = os.environ.get("GEOSCRUB_REQUIRE_TOOLS") == "1"
compiled = markerscan.find_marker_compiled
python = markerscan.find_marker_python

needs_compiled = pytest.mark.skipif(compiled is None and not REQUIRED,
                                    reason="the compiled marker search was not built (no C compiler?)")


def test_the_compiled_search_is_built_and_used_where_ci_requires_it():
    """CI sets GEOSCRUB_REQUIRE_TOOLS=1 and has a compiler: a silently failed build must fail here."""
    if not REQUIRED:
        pytest.skip("only required in CI (GEOSCRUB_REQUIRE_TOOLS=1)")
    assert compiled is not None, "geoscrub._markerscan did not build or does not import"
    if not os.environ.get(markerscan.PURE_PYTHON_ENV):
        assert markerscan.active_search() == "compiled"


def _photos() -> list[bytes]:
    from PIL import Image

    noisy = core.encode(Image.effect_noise((320, 240), 90).convert("RGB"), "JPEG", quality=97)
    photos = [
        core.dirty_jpeg(orientation=6),
        core.jpeg([core.app1_exif(core.exif_tiff())], base=noisy),
        core.jpeg([core.comment("x")], progressive=True),
        core.jpeg([], trailer=b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00" + noisy),
    ]
    photos += [p.read_bytes() for p in sorted((ROOT / "samples" / "jpeg").glob("*.jp*g"))]
    return photos


def _corpus() -> list[bytes]:
    if not CORPUS.is_dir():
        return []
    return [p.read_bytes() for p in sorted(CORPUS.rglob("*")) if p.suffix.lower() in (".jpg", ".jpeg")]


def _same_everywhere(data: bytes, starts) -> None:
    for start in starts:
        assert compiled(data, start) == python(data, start), (start, len(data))


def _ff_starts(data: bytes, limit: int = 4000) -> list[int]:
    """Every 0xFF byte, the byte after it (up to ``limit`` of each), and the ends."""
    starts, pos = [0, len(data) - 1, len(data), len(data) + 5], data.find(b"\xff")
    while pos >= 0 and len(starts) < limit:
        starts += [pos, pos + 1]
        pos = data.find(b"\xff", pos + 1)
    return [s for s in starts if s >= 0]


@needs_compiled
def test_both_searches_agree_from_every_ff_byte_of_builder_and_sample_photos():
    photos = _photos()
    assert len(photos) >= 4
    for data in photos:
        _same_everywhere(data, _ff_starts(data))


@needs_compiled
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_both_searches_agree_on_the_real_photo_corpus():
    photos = _corpus()
    assert photos
    for data in photos:
        rng = random.Random(len(data))
        _same_everywhere(data, _ff_starts(data, 60) + [rng.randrange(len(data)) for _ in range(20)])


# bytes biased towards 0xFF and the codes that follow it, where the cases hide
_INTERESTING = bytes([0x00, 0xFF, 0xFF, 0xFF, 0xD0, 0xD7, 0xD8, 0xD9, 0xDA, 0xC0, 0xCF, 0xBF, 0xFE, 0x01, 0x42])


@needs_compiled
def test_both_searches_agree_on_tens_of_thousands_of_random_buffers():
    rng = random.Random(19)
    for _ in range(30_000):
        size = rng.randrange(0, 80)
        if rng.random() < 0.5:
            data = bytes(rng.choice(_INTERESTING) for _ in range(size))
        else:
            data = rng.randbytes(size)
        for start in (0, rng.randrange(size + 3)):
            assert compiled(data, start) == python(data, start), (data.hex(), start)


@needs_compiled
def test_both_searches_agree_on_tens_of_thousands_of_mutated_coded_data():
    rng = random.Random(1919)
    photos = _photos() + _corpus()[:8]
    checked = 0
    for round_ in range(20_000):
        data = photos[round_ % len(photos)]
        at = rng.randrange(len(data))
        window = bytearray(data[at : at + rng.randrange(16, 2048)])
        for _ in range(rng.randrange(1, 6)):  # bit flips, 0xFF pairs, markers, stuffing
            if not window:
                break
            i = rng.randrange(len(window))
            kind = rng.randrange(4)
            if kind == 0:
                window[i] ^= 1 << rng.randrange(8)
            elif kind == 1:
                window[i : i + 2] = bytes([0xFF, rng.choice(_INTERESTING)])
            elif kind == 2:
                window[i] = 0xFF
            else:
                del window[i : i + rng.randrange(1, 4)]
        buffer = bytes(window)
        for start in (0, rng.randrange(len(buffer) + 1)):
            assert compiled(buffer, start) == python(buffer, start), (buffer.hex(), start)
            checked += 1
    assert checked == 40_000


@needs_compiled
def test_the_compiled_search_takes_any_buffer_and_refuses_a_negative_start():
    data = b"\x12\xff\x00\xff\xd9"
    assert compiled(memoryview(data), 0) == compiled(bytearray(data), 0) == python(data, 0) == 3
    assert compiled(data, 99) is None
    with pytest.raises(ValueError):
        compiled(data, -1)
    with pytest.raises(TypeError):
        compiled("text", 0)


@needs_compiled
@pytest.mark.parametrize("ending", [b"", b"\xff", b"\xff\x00", b"\xff\xd0", b"\xff\xff", b"\x12\xff\xff\x00"])
def test_both_searches_find_no_end_in_coded_data_cut_short(ending):
    """Coded data that runs to the end of the buffer, whatever its last bytes: neither search finds an end."""
    data = b"\x12\x34\xff\x00\x56\xff\xd3\x78" + ending
    for start in range(len(data) + 1):
        assert compiled(data, start) is None and python(data, start) is None, (data.hex(), start)


def _outcome(data: bytes) -> tuple:
    """Everything geoscrub answers about a photo: its walk, its findings, its cleaned bytes or refusal."""
    forget_recent_parses()
    try:
        walk = ("walk", tuple(jpeg.parse(data).segments))
    except GeoscrubError as err:
        walk = ("refused", type(err).__name__, str(err))
    forget_recent_parses()
    try:
        _, found = scan_bytes(data)
        scanned = tuple(f.key for f in found.findings)
        cleaned = clean_bytes(data)[2]
    except GeoscrubError as err:
        scanned, cleaned = (), ("refused", type(err).__name__, str(err))
    forget_recent_parses()
    return walk, scanned, cleaned


@needs_compiled
def test_both_paths_walk_scan_and_clean_photos_and_their_mutants_alike(both_searches_restored):
    rng = random.Random(7)
    inputs = _photos() + _corpus()
    inputs += [data[: len(data) * 3 // 5] for data in inputs[:6]]  # cut inside the coded picture: both refuse
    for data in list(inputs[:6]):
        for _ in range(40):
            mutant = bytearray(data)
            for _ in range(3):
                mutant[rng.randrange(len(mutant))] = rng.choice(_INTERESTING)
            inputs.append(bytes(mutant))
    for data in inputs:
        markerscan.use_pure_python(False)
        fast = _outcome(data)
        markerscan.use_pure_python(True)
        assert _outcome(data) == fast


@pytest.fixture
def both_searches_restored():
    before = markerscan.active_search()
    yield
    markerscan.use_pure_python(before == "python")


def test_the_environment_variable_selects_the_pure_python_search():
    code = "from geoscrub.formats import markerscan; print(markerscan.active_search())"
    env = {**os.environ, markerscan.PURE_PYTHON_ENV: "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "python"


def test_geoscrub_works_when_the_compiled_search_is_missing(tmp_path):
    """As after an install without a C compiler, or on the web page (which ships no .so files)."""
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(core.dirty_jpeg(orientation=6))
    code = (
        "import sys; sys.modules['geoscrub._markerscan'] = None\n"  # makes the import fail
        "from geoscrub.formats import markerscan\n"
        "assert markerscan.find_marker_compiled is None and markerscan.active_search() == 'python'\n"
        "from geoscrub.cli import main\n"
        "main(['clean', '--output', sys.argv[2], sys.argv[1]])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != markerscan.PURE_PYTHON_ENV}
    done = subprocess.run([sys.executable, "-c", code, str(photo), str(tmp_path / "out")], env=env, check=False,
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    cleaned = (tmp_path / "out" / "photo.jpg").read_bytes()
    assert scan_bytes(cleaned)[1].findings == ()


@needs_compiled
def test_the_property_tests_hold_on_both_paths_with_the_same_outcome(both_searches_restored):
    """test_properties' property (a clean answer or a typed refusal) on JPEG mutants, on each path."""
    from tests.builders import hostile
    from tests.test_properties import SEEDS, assert_safe

    rng = random.Random(2019)
    for i in range(60):
        seeds = SEEDS["JPEG"]
        mutant = hostile.mutate(seeds[i % len(seeds)], rng)
        markerscan.use_pure_python(False)
        fast = assert_safe(mutant)
        markerscan.use_pure_python(True)
        assert assert_safe(mutant) == fast
