"""Property tests: a mutated photo of any registered format gets a clean answer or a typed refusal.

For every input, ``scan_bytes`` and ``clean_bytes`` either succeed -- and the
output then re-scans with zero findings and cleans to itself -- or raise a
``GeoscrubError``.  Never another exception, never more than 2 s, never more
than 500 MB.  Formats are picked up from ``geoscrub.registry.FORMATS`` and
the sample builders present in tests/builders/, so new formats are covered
as soon as both exist.  The long version of this is fuzz/fuzz.py.
"""
from __future__ import annotations

import random
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geoscrub
from geoscrub import api, registry
from geoscrub.errors import GeoscrubError
from tests.builders import hostile

SEEDS = hostile.seed_files()
FORMATS = sorted(SEEDS)
MAX_SECONDS = 2.0
MAX_BYTES = 500 * 1024 * 1024

QUICK = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def read_before_the_problem(data: bytes, err: GeoscrubError) -> None:
    """What ``check`` does with a file it cannot read whole: look at the parts before the problem.
    That look must never fail with anything but a GeoscrubError either."""
    try:
        fmt = registry.sniff(data[: registry.PREFIX_BYTES])
    except GeoscrubError:
        return
    api.scan_readable(fmt, data, err)


def assert_safe(data: bytes) -> str:
    """The property itself; returns what happened ("cleaned" or the refusal's type)."""
    tracemalloc.start()
    began = time.perf_counter()
    try:
        try:
            geoscrub.scan_bytes(data)
        except GeoscrubError as err:
            read_before_the_problem(data, err)
        try:
            fmt, _found, out = geoscrub.clean_bytes(data)
        except GeoscrubError as err:
            outcome = type(err).__name__
        else:
            outcome = "cleaned"
            fmt2, again = geoscrub.scan_bytes(out)
            assert fmt2.name == fmt.name
            assert again.findings == (), [f.key for f in again.findings]
            assert geoscrub.clean_bytes(out)[2] == out
        elapsed = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < MAX_SECONDS, f"took {elapsed:.2f} s"
    assert peak < MAX_BYTES, f"peak {peak} bytes"
    return outcome


def test_every_core_format_has_samples_to_mutate():
    assert {"JPEG", "PNG", "WebP"} <= set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
@QUICK
@given(data=st.data())
def test_stacked_mutations_get_a_clean_answer_or_a_typed_refusal(fmt, data):
    seeds = SEEDS[fmt]
    seed = seeds[data.draw(st.integers(0, len(seeds) - 1), label="seed")]
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="rng"))
    assert_safe(hostile.mutate(seed, rng))


@pytest.mark.parametrize("fmt", FORMATS)
@QUICK
@given(data=st.data())
def test_overwritten_fields_get_a_clean_answer_or_a_typed_refusal(fmt, data):
    """Explicit edits hypothesis can shrink: a byte run overwritten, then a cut."""
    seeds = SEEDS[fmt]
    blob = bytearray(seeds[data.draw(st.integers(0, len(seeds) - 1), label="seed")])
    at = data.draw(st.integers(0, len(blob) - 1), label="offset")
    patch = data.draw(st.binary(min_size=1, max_size=8), label="patch")
    blob[at : at + len(patch)] = patch
    cut = data.draw(st.integers(1, len(blob)), label="keep")
    if data.draw(st.booleans(), label="fix checksums"):
        assert_safe(hostile.fix_checksums(bytes(blob[:cut])))
    else:
        assert_safe(bytes(blob[:cut]))


@pytest.mark.parametrize("fmt", FORMATS)
@QUICK
@given(data=st.data())
def test_duplicated_dropped_or_swapped_segments_get_a_clean_answer_or_a_typed_refusal(fmt, data):
    seeds = SEEDS[fmt]
    blob = seeds[data.draw(st.integers(0, len(seeds) - 1), label="seed")]
    parts = hostile.units(blob)
    order = data.draw(st.lists(st.integers(0, len(parts) - 1), min_size=1, max_size=len(parts) + 3), label="units")
    head = blob[: parts[0][0]]
    body = b"".join(blob[parts[i][0] : parts[i][1]] for i in order)
    assert_safe(hostile.fix_checksums(head + body))


def test_the_unmutated_samples_clean_to_files_without_findings():
    """The seeds themselves must pass, or the mutations above prove little."""
    outcomes = {fmt: [assert_safe(s) for s in SEEDS[fmt]] for fmt in FORMATS}
    for fmt in ("JPEG", "PNG", "WebP"):
        assert "cleaned" in outcomes[fmt], outcomes[fmt]
