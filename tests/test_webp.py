"""WebP: EXIF, XMP (both spellings), unknown chunks and trailers go; flags and size fixed."""
from __future__ import annotations

import struct

import pytest

from geoscrub import GeoscrubError, MalformedFile, Policy, TruncatedFile, clean_bytes, scan_bytes
from geoscrub.formats import webp
from tests.builders import core

from .conftest import pixels


def fourccs(data: bytes) -> list[bytes]:
    return [c.fourcc for c in webp.parse(data)[0]]


def test_dirty_webp_reports_exif_gps_and_xmp():
    found = scan_bytes(core.dirty_webp())[1]
    keys = {f.key for f in found.findings}
    assert {"GPSPosition", "Artist", "dc:creator", "BodySerialNumber"} <= keys
    assert found.location is not None


@pytest.mark.parametrize("lossless", [False, True])
def test_clean_keeps_frames_and_icc_fixes_flags_and_riff_size(lossless):
    dirty = core.webp([core.riff_chunk(b"EXIF", core.exif_tiff()), core.riff_chunk(b"XMP\x00", core.xmp_packet())],
                      lossless=lossless, icc=core.icc_profile(), trailer=b"trailing secret")
    _, _, cleaned = clean_bytes(dirty)
    assert fourccs(cleaned) == [b"VP8X", b"ICCP", b"VP8L" if lossless else b"VP8 "]
    assert cleaned[20] == webp.ICC_FLAG  # VP8X flags: only ICC left
    assert struct.unpack("<I", cleaned[4:8])[0] == len(cleaned) - 8
    assert pixels(cleaned) == pixels(dirty)
    assert scan_bytes(cleaned)[1].findings == ()


def test_misspelled_xmp_chunk_is_found():
    dirty = core.webp([core.riff_chunk(b"XMP\x00", core.xmp_packet())])
    assert any(f.source == "XMP" for f in scan_bytes(dirty)[1].findings)


def test_icc_dropped_on_request_clears_its_flag():
    dirty = core.webp([], icc=core.icc_profile())
    cleaned = clean_bytes(dirty, Policy(keep_color_profile=False))[2]
    assert b"ICCP" not in fourccs(cleaned) and cleaned[20] == 0


def test_unknown_chunk_is_reported_and_dropped():
    dirty = core.webp([core.riff_chunk(b"ZZZZ", b"private")])
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["ZZZZ"]
    assert b"ZZZZ" not in clean_bytes(dirty)[2]


def test_animated_webp_keeps_every_frame():
    frames = [core.picture(), core.picture().transpose(0)]
    base = core.encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    cleaned = clean_bytes(base)[2]
    assert fourccs(cleaned).count(b"ANMF") == 2
    assert pixels(cleaned) == pixels(base)


def test_riff_size_larger_than_file_is_truncated():
    dirty = bytearray(core.dirty_webp())
    struct.pack_into("<I", dirty, 4, len(dirty) * 2)
    with pytest.raises(TruncatedFile):
        scan_bytes(bytes(dirty))


def test_simple_webp_with_extra_chunk_is_malformed():
    base = core.encode(core.picture(), "WEBP")
    body = base[12:] + core.riff_chunk(b"EXIF", core.exif_tiff())
    with pytest.raises(MalformedFile):
        scan_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body)


def test_truncation_at_every_length_never_escapes_the_error_hierarchy():
    dirty = core.dirty_webp()
    for cut in range(len(dirty)):
        try:
            clean_bytes(dirty[:cut])
        except GeoscrubError:
            pass


def test_colour_profile_with_appended_text_is_reported_and_dropped():
    dirty = core.webp([], icc=core.icc_profile() + b"Alex Example")
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["ICCP"]
    cleaned = clean_bytes(dirty)[2]
    assert b"Alex" not in cleaned and b"ICCP" not in fourccs(cleaned)


def test_animation_frame_carrying_an_unknown_chunk_is_refused():
    from geoscrub import UnsafeToClean

    frames = [core.picture(), core.picture().transpose(0)]
    base = bytearray(core.encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True))
    anmf = next(c for c in webp.parse(bytes(base))[0] if c.fourcc == b"ANMF")
    extra = core.riff_chunk(b"NOTE", b"Alex Example")
    body = bytes(base[anmf.start + 8 : anmf.start + 8 + anmf.size]) + extra
    new_anmf = core.riff_chunk(b"ANMF", body)
    data = bytes(base[: anmf.start]) + new_anmf + bytes(base[anmf.end :])
    data = data[:4] + struct.pack("<I", len(data) - 8) + data[8:]
    with pytest.raises(UnsafeToClean, match="unknown chunk"):
        clean_bytes(data)


def test_a_colour_profile_dated_at_export_loses_only_its_date():
    from geoscrub.metadata import icc

    stamped = bytearray(core.icc_profile())
    stamped[4:8] = b"lcms"
    stamped[24:36] = struct.pack(">6H", 2025, 6, 14, 16, 3, 11)
    dirty = core.webp([], icc=bytes(stamped))
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["ColorProfileDate"]
    cleaned = clean_bytes(dirty)[2]
    body = next(c.body(cleaned) for c in webp.parse(cleaned)[0] if c.fourcc == b"ICCP")
    assert body == icc.without_stamp(bytes(stamped))


def _exif_chunk(cleaned: bytes) -> bytes | None:
    return next((c.body(cleaned) for c in webp.parse(cleaned)[0] if c.fourcc == b"EXIF"), None)


@pytest.mark.parametrize("prefixed", [False, True], ids=["bare", "exif-prefixed"])
def test_orientation_is_kept_as_an_orientation_only_exif_chunk(prefixed):
    from geoscrub.metadata import exif as exif_meta

    tiff = core.exif_tiff(orientation=6)
    dirty = core.webp([core.riff_chunk(b"EXIF", (b"Exif\x00\x00" if prefixed else b"") + tiff),
                       core.riff_chunk(b"XMP ", core.xmp_packet())], icc=core.icc_profile())
    _, _, cleaned = clean_bytes(dirty)
    assert fourccs(cleaned) == [b"VP8X", b"ICCP", b"VP8 ", b"EXIF"]  # RFC 9649 order: EXIF after the image
    assert _exif_chunk(cleaned) == exif_meta.build_orientation_exif(6)
    assert exif_meta.orientation(_exif_chunk(cleaned)) == 6
    assert cleaned[20] == webp.ICC_FLAG | webp.EXIF_FLAG  # VP8X says EXIF, not XMP
    assert struct.unpack("<I", cleaned[4:8])[0] == len(cleaned) - 8
    assert pixels(cleaned) == pixels(dirty)
    assert scan_bytes(cleaned)[1].findings == ()
    assert clean_bytes(cleaned)[2] == cleaned  # cleaning again changes nothing


def test_drop_orientation_leaves_no_exif_chunk_and_no_exif_flag():
    dirty = core.webp([core.riff_chunk(b"EXIF", core.exif_tiff(orientation=6))])
    cleaned = clean_bytes(dirty, Policy(keep_orientation=False))[2]
    assert b"EXIF" not in fourccs(cleaned) and cleaned[20] == 0
    assert scan_bytes(cleaned)[1].findings == ()


@pytest.mark.parametrize("orientation", [None, 1])
def test_upright_photo_gets_no_exif_chunk(orientation):
    dirty = core.webp([core.riff_chunk(b"EXIF", core.exif_tiff(orientation=orientation))])
    cleaned = clean_bytes(dirty)[2]
    assert b"EXIF" not in fourccs(cleaned) and cleaned[20] == 0


def test_exif_chunk_with_more_than_orientation_is_still_reported():
    from geoscrub.metadata import exif as exif_meta

    # orientation plus one extra byte of room: not what geoscrub writes, so it is a finding
    roomy = exif_meta.build_orientation_exif(6) + b"\x00\x00"
    dirty = core.webp([core.riff_chunk(b"EXIF", roomy)])
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["EXIF"]
    assert _exif_chunk(clean_bytes(dirty)[2]) == exif_meta.build_orientation_exif(6)
