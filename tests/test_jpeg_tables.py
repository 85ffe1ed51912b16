"""JPEG tables the picture never uses are dropped, and the picture decodes exactly as before.

A decoder finds a quantisation table through the number a frame component
names, and a Huffman table through the numbers a scan names; a table whose
number no frame or scan names, or that is replaced before any frame or scan
could read it, is never looked at by any decoder.  Dropping it cannot change
the picture, and removes up to 128 numbers anyone could have chosen.
"""
from __future__ import annotations

import pytest

from geoscrub import clean_bytes, scan_bytes
from geoscrub.formats import jpeg
from tests.builders import jpeg_tables as jt

from .conftest import pixels


def tables(data: bytes) -> list[tuple[int, int, bytes]]:
    """(marker, table byte, table body) of every DQT/DHT table, in file order (an independent walk)."""
    out = []
    for seg in jpeg.parse(data).segments:
        payload = seg.payload(data)
        pos = 0
        if seg.marker == 0xDB:
            while pos < len(payload):
                size = 1 + 64 * ((payload[pos] >> 4) + 1)
                out.append((0xDB, payload[pos], payload[pos + 1 : pos + size]))
                pos += size
        elif seg.marker == 0xC4:
            while pos < len(payload):
                size = 17 + sum(payload[pos + 1 : pos + 17])
                out.append((0xC4, payload[pos], payload[pos + 1 : pos + size]))
                pos += size
    return out


@pytest.mark.parametrize("build", [
    jt.spare_dqt_segment, lambda: jt.spare_dqt_segment(progressive=True), jt.spare_dqt_in_a_shared_segment,
    jt.spare_tables_of_both_kinds, jt.overwritten_dqt,
], ids=["own-segment", "progressive", "shared-segment", "dqt-and-dht", "overwritten"])
def test_a_table_no_decoder_reads_is_dropped_and_the_picture_decodes_the_same(build):
    dirty = build()
    _, _, cleaned = clean_bytes(dirty)
    assert pixels(cleaned) == pixels(dirty)
    assert jt.SECRET not in cleaned and jt.SECRET[:12] not in cleaned
    assert scan_bytes(cleaned)[1].findings == ()


def test_a_spare_table_is_reported_as_data_that_could_hide_something():
    found = scan_bytes(jt.spare_dqt_in_a_shared_segment())[1].findings
    assert [f.key for f in found] == ["UnusedTable"]
    assert found[0].category.value == "other" and "DQT" in found[0].value


def test_the_used_tables_sharing_a_segment_with_a_spare_one_are_kept_in_order():
    dirty = jt.spare_dqt_in_a_shared_segment()
    cleaned = clean_bytes(dirty)[2]
    assert [t for t in tables(dirty) if t[1] != 2] == tables(cleaned)


def test_only_the_overwritten_definition_goes_and_the_one_the_frame_reads_stays():
    dirty = jt.overwritten_dqt()
    before = tables(dirty)
    cleaned = clean_bytes(dirty)[2]
    assert tables(cleaned) == before[1:]


def test_tables_redefined_between_progressive_scans_are_all_kept():
    dirty = jt.used_table_redefined_between_scans()
    assert len([t for t in tables(dirty) if t[0] == 0xC4]) > 4  # the encoder did redefine some
    cleaned = clean_bytes(dirty)[2]
    assert tables(cleaned) == tables(dirty)
    assert cleaned == dirty or pixels(cleaned) == pixels(dirty)
