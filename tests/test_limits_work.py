"""Limits bound the work geoscrub does, not the size of pictures it never decodes."""
from __future__ import annotations

import struct

from geoscrub import clean_bytes, limits, scan_bytes
from geoscrub.formats import heif
from tests.builders import big_pictures as bp
from tests.builders import heif as hb


def ispe_sizes(data: bytes) -> list[tuple[int, int]]:
    out, at = [], data.find(b"ispe")
    while at >= 0:
        out.append(struct.unpack(">II", data[at + 8 : at + 16]))
        at = data.find(b"ispe", at + 4)
    return out


def test_a_200_megapixel_samsung_heic_is_cleaned_with_every_tile():
    dirty = bp.samsung_200mp_heic(bp.flat_heic_tile())
    assert bp.SAMSUNG_200MP in ispe_sizes(dirty)
    assert bp.SAMSUNG_200MP[0] * bp.SAMSUNG_200MP[1] > limits.MAX_PIXELS
    _, found, cleaned = clean_bytes(dirty)
    assert "GPSPosition" in {f.key for f in found.findings}
    assert bp.SAMSUNG_200MP in ispe_sizes(cleaned)
    tile = hb.parts(bp.flat_heic_tile()).data
    assert cleaned.count(tile) == (bp.SAMSUNG_200MP[0] // bp.TILE) * (bp.SAMSUNG_200MP[1] // bp.TILE)
    assert b"Exif" not in cleaned
    joined = b"".join(bytes(x) for x in heif.FORMAT.image_data(cleaned))
    assert joined == b"".join(bytes(x) for x in heif.FORMAT.image_data(dirty))


def test_a_tiff_scan_declaring_over_a_gigapixel_is_cleaned():
    dirty = bp.tiff_scan_declaring()
    _, found, cleaned = clean_bytes(dirty)
    assert "Artist" in {f.key for f in found.findings}
    assert scan_bytes(cleaned)[1].findings == ()


def test_a_file_past_the_old_128_mib_limit_is_within_the_file_limit():
    assert limits.MAX_FILE_BYTES >= 64 << 30  # a long camera video or a big TIFF scan fits
