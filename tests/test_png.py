"""PNG: text, EXIF (anywhere), time, unknown chunks and trailers go; the picture stays."""
from __future__ import annotations

import struct
import zlib

import pytest

from geoscrub import GeoscrubError, LimitExceeded, MalformedFile, Policy, clean_bytes, scan_bytes
from geoscrub.formats import png
from geoscrub.metadata import exif as exif_meta
from tests.builders import core

from .conftest import pixels


def chunk_types(data: bytes) -> list[bytes]:
    return [c.type for c in png.parse(data)[0]]


def test_dirty_png_reports_each_carrier():
    found = scan_bytes(core.dirty_png())[1]
    keys = {f.key for f in found.findings}
    assert {"GPSPosition", "Author", "dc:creator", "tIME", "Trailer", "HostComputer"} <= keys
    assert found.location.accuracy_m is not None  # the EXIF position wins over XMP's


def test_exif_after_idat_and_trailer_are_removed_pixels_identical():
    dirty = core.dirty_png()
    _, _, cleaned = clean_bytes(dirty)
    assert set(chunk_types(cleaned)) <= png.IMAGE_CHUNKS
    assert cleaned.endswith(png.make_chunk(b"IEND", b""))
    assert pixels(cleaned) == pixels(dirty)
    assert scan_bytes(cleaned)[1].findings == ()


def test_orientation_is_kept_as_a_minimal_exif_chunk():
    dirty = core.png(after_idat=[core.png_chunk(b"eXIf", core.exif_tiff(orientation=6))])
    _, _, cleaned = clean_bytes(dirty)
    types = chunk_types(cleaned)
    assert types.index(b"eXIf") < types.index(b"IDAT")
    body = next(c.body(cleaned) for c in png.parse(cleaned)[0] if c.type == b"eXIf")
    assert body == exif_meta.build_orientation_exif(6)


def test_raw_profile_exif_text_chunk_is_decoded_and_removed():
    dirty = core.png(before_idat=[core.raw_profile_exif(core.exif_tiff())])
    found = scan_bytes(dirty)[1]
    assert any(f.key == "GPSPosition" for f in found.findings)
    assert b"zTXt" not in clean_bytes(dirty)[2]


def test_icc_profile_chunk_follows_policy():
    profile = zlib.compress(core.icc_profile())
    iccp = core.png_chunk(b"iCCP", b"sRGB\x00\x00" + profile)
    dirty = core.png(before_idat=[iccp, core.text("Comment", "hello")])
    assert b"iCCP" in clean_bytes(dirty)[2]
    assert b"iCCP" not in clean_bytes(dirty, Policy(keep_color_profile=False))[2]


def test_unknown_ancillary_chunk_is_reported_and_dropped():
    dirty = core.png(before_idat=[core.png_chunk(b"prVt", b"secret")])
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["prVt"]
    assert b"prVt" not in clean_bytes(dirty)[2]


def test_unknown_critical_chunk_is_refused():
    dirty = core.png(before_idat=[core.png_chunk(b"ABCD", b"x")])
    with pytest.raises(MalformedFile, match="critical"):
        clean_bytes(dirty)


def test_bad_crc_is_refused():
    dirty = bytearray(core.png(before_idat=[core.text("Author", "x")]))
    dirty[-20] ^= 0xFF  # inside IDAT or IEND's CRC region
    with pytest.raises(MalformedFile):
        clean_bytes(bytes(dirty))


def test_ztxt_inflate_bomb_hits_the_named_limit():
    bomb = core.png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\x00" * (8 * 1024 * 1024), 9))
    with pytest.raises(LimitExceeded, match="MAX_TEXT_INFLATE"):
        scan_bytes(core.png(before_idat=[bomb]))


def test_huge_declared_size_is_refused():
    base = bytearray(core.encode(core.picture(), "PNG"))
    struct.pack_into(">II", base, 16, 100000, 100000)
    struct.pack_into(">I", base, 29, zlib.crc32(bytes(base[12:29])))
    with pytest.raises(LimitExceeded):
        scan_bytes(bytes(base))


def test_apng_frames_are_kept():
    frames = [core.picture(), core.picture().transpose(0)]
    base = core.encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert b"acTL" in base and b"fdAT" in base
    dirty = core.png(before_idat=[core.text("Author", "x")], base=base)
    cleaned = clean_bytes(dirty)[2]
    assert pixels(cleaned) == pixels(base)


def test_truncation_at_every_length_never_escapes_the_error_hierarchy():
    dirty = core.dirty_png()
    for cut in range(len(dirty)):
        try:
            clean_bytes(dirty[:cut])
        except GeoscrubError:
            pass


def test_icc_profile_name_is_made_neutral_and_the_profile_kept():
    profile = core.icc_profile()
    iccp = core.png_chunk(b"iCCP", b"Alex's laptop screen\x00\x00" + zlib.compress(profile))
    cleaned = clean_bytes(core.png(before_idat=[iccp]))[2]
    body = next(c.body(cleaned) for c in png.parse(cleaned)[0] if c.type == b"iCCP")
    assert body.startswith(png.NEUTRAL_PROFILE_NAME + b"\x00") and b"Alex" not in cleaned
    assert zlib.decompress(body.partition(b"\x00")[2][1:]) == profile


@pytest.mark.parametrize("body", [
    b"ICC profile\x00\x00" + zlib.compress(core.icc_profile()) + b"Alex Example",  # after the stream
    b"ICC profile\x00\x00" + zlib.compress(core.icc_profile() + b"Alex Example"),  # after the profile
])
def test_a_colour_profile_carrying_extra_bytes_is_reported_and_dropped(body):
    dirty = core.png(before_idat=[core.png_chunk(b"iCCP", body)])
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["iCCP"]
    assert b"iCCP" not in clean_bytes(dirty)[2]


def test_a_picture_chunk_with_room_for_extra_bytes_is_refused():
    dirty = core.png(before_idat=[core.png_chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1) + b"Alex")])
    with pytest.raises(MalformedFile, match="pHYs"):
        clean_bytes(dirty)


def test_bytes_hidden_after_the_compressed_picture_are_refused():
    from geoscrub import UnsafeToClean

    base = core.encode(core.picture(), "PNG")
    chunks = core.png_chunks(base)
    out = [b"\x89PNG\r\n\x1a\n"]
    for ctype, body in chunks:
        if ctype == b"IEND":
            out.append(core.png_chunk(b"IDAT", b"Alex Example, 14 Elm Road"))
        out.append(core.png_chunk(ctype, body))
    with pytest.raises(UnsafeToClean, match="after the end"):
        clean_bytes(b"".join(out))


def test_a_suggested_palette_on_a_truecolour_picture_is_dropped():
    palette = core.png_chunk(b"PLTE", b"Alex Example lives at 14 Elm Road"[:30])
    dirty = core.png(before_idat=[palette])
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["PLTE"]
    cleaned = clean_bytes(dirty)[2]
    assert b"PLTE" not in cleaned and pixels(cleaned) == pixels(dirty)


def test_transparency_that_does_not_fit_the_colour_type_is_refused():
    with pytest.raises(MalformedFile, match="transparency"):
        clean_bytes(core.png(before_idat=[core.png_chunk(b"tRNS", b"Alex Ex")]))


def test_a_colour_profile_dated_at_export_loses_only_its_date():
    from geoscrub.metadata import icc

    stamped = bytearray(core.icc_profile())
    stamped[4:8] = b"lcms"
    stamped[24:36] = struct.pack(">6H", 2025, 6, 14, 16, 3, 11)
    dirty = core.png(before_idat=[core.png_chunk(b"iCCP", b"GIMP built-in sRGB\x00\x00" + zlib.compress(bytes(stamped)))])
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["ColorProfileDate"]
    cleaned = clean_bytes(dirty)[2]
    body = next(c.body(cleaned) for c in png.parse(cleaned)[0] if c.type == b"iCCP")
    assert png.icc_from_iccp(body) == icc.without_stamp(bytes(stamped))
