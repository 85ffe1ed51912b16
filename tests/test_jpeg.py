"""JPEG: every carrier is found and removed; the coded picture stays byte-identical."""
from __future__ import annotations

import struct

import pytest

from geoscrub import GeoscrubError, MalformedFile, Policy, TruncatedFile, clean_bytes, scan_bytes
from geoscrub.formats import jpeg
from geoscrub.metadata import exif as exif_meta
from tests.builders import core

from .conftest import pixels


def keys(data: bytes) -> set[str]:
    return {f.key for f in scan_bytes(data)[1].findings}


def markers(data: bytes) -> list[int]:
    return [s.marker for s in jpeg.parse(data).segments]


def test_dirty_jpeg_reports_every_carrier_worst_first():
    _, found = scan_bytes(core.dirty_jpeg())
    categories = [f.category.value for f in found.findings]
    assert categories == sorted(categories, key=lambda c: ["place", "person", "hidden_image", "device", "time", "other"].index(c))
    found_keys = {f.key for f in found.findings}
    assert {"GPSPosition", "Artist", "HostComputer", "BodySerialNumber", "ThumbnailImage",
            "dc:creator", "mwg-rs:Name", "By-line", "City", "Comment", "MotionPhotoVideo"} <= found_keys
    assert found.location is not None
    assert found.location.latitude == pytest.approx(core.LAT, abs=1e-5)
    assert found.location.longitude == pytest.approx(core.LON, abs=1e-5)


def test_clean_keeps_only_allowlisted_segments_and_identical_pixels():
    dirty = core.dirty_jpeg()
    _, _, cleaned = clean_bytes(dirty)
    assert set(markers(cleaned)) <= jpeg.IMAGE_MARKERS | {jpeg.SOI, jpeg.EOI, 0xE0}
    assert pixels(cleaned) == pixels(dirty)
    assert scan_bytes(cleaned)[1].findings == ()
    assert b"ftyp" not in cleaned and b"Alex" not in cleaned


def test_second_exif_segment_with_gps_is_found_and_removed():
    first = core.app1_exif(core.exif_tiff(gps=None, owner=None, serial=None))
    second = core.app1_exif(core.exif_tiff(owner=None, serial=None))
    dirty = core.jpeg([first, second])
    assert "GPSPosition" in keys(dirty)
    _, _, cleaned = clean_bytes(dirty)
    assert b"Exif" not in cleaned


def test_extended_xmp_with_a_foreign_guid_is_read_and_removed():
    big = core.xmp_packet(creator="Extended Person", padding=70000)
    ext = core.app1_extended_xmp(big, guid=b"F" * 32)
    main = core.app1_xmp(core.xmp_packet(gps=False).replace(b"Alex Example", b"Main"))
    dirty = core.jpeg([main, *ext])
    assert len(ext) == 2
    values = {f.value for f in scan_bytes(dirty)[1].findings}
    assert "Extended Person" in values
    _, _, cleaned = clean_bytes(dirty)
    assert b"xmp/extension" not in cleaned and b"xap/1.0" not in cleaned


def test_mp4_after_eoi_is_reported_as_a_video_and_cut():
    dirty = core.jpeg(trailer=core.mp4_video(3))
    found = {f.key: f for f in scan_bytes(dirty)[1].findings}
    assert found["MotionPhotoVideo"].value == "3-second video"
    _, _, cleaned = clean_bytes(dirty)
    assert cleaned.endswith(b"\xff\xd9")
    assert cleaned == jpeg.FORMAT.strip(core.jpeg(), Policy())


def test_orientation_6_survives_as_the_only_exif_tag():
    dirty = core.jpeg([core.app1_exif(core.exif_tiff(orientation=6))])
    _, _, cleaned = clean_bytes(dirty)
    exif_segments = [s for s in jpeg.parse(cleaned).segments if s.marker == 0xE1]
    assert len(exif_segments) == 1
    tiff = exif_segments[0].payload(cleaned)[6:]
    assert exif_meta.orientation(tiff) == 6
    _, dirs = exif_meta.walk(tiff)
    assert [(d.name, [e.tag for e in d.entries]) for d in dirs] == [("IFD0", [0x0112])]


def test_orientation_can_be_dropped_by_policy():
    dirty = core.jpeg([core.app1_exif(core.exif_tiff(orientation=6))])
    _, _, cleaned = clean_bytes(dirty, Policy(keep_orientation=False))
    assert 0xE1 not in markers(cleaned)


def test_icc_profile_kept_by_default_and_dropped_on_request():
    profile = core.icc_profile()
    dirty = core.jpeg([core.app2_icc(profile), core.comment("hi")])
    _, _, kept = clean_bytes(dirty)
    assert profile in kept
    _, _, dropped = clean_bytes(dirty, Policy(keep_color_profile=False))
    assert profile not in dropped
    assert pixels(dropped) == pixels(dirty)


def test_progressive_jpeg_keeps_every_scan():
    base = core.encode(core.picture(96, 64), "JPEG", progressive=True, quality=85)
    dirty = core.jpeg([core.comment("x")], base=base)
    _, _, cleaned = clean_bytes(dirty)
    assert markers(cleaned).count(jpeg.SOS) == markers(base).count(jpeg.SOS) > 1
    assert pixels(cleaned) == pixels(base)


def test_jfif_thumbnail_is_removed_but_jfif_header_kept():
    base = core.encode(core.picture(), "JPEG")
    seg = jpeg.parse(base).segments[1]
    assert seg.marker == 0xE0
    thumb = bytes(3 * 2 * 2)
    payload = seg.payload(base)[:12] + bytes([2, 2]) + thumb
    dirty = base[: seg.start] + core.segment(0xE0, payload) + base[seg.end :]
    assert "JFIFThumbnail" in keys(dirty)
    _, _, cleaned = clean_bytes(dirty)
    app0 = jpeg.parse(cleaned).segments[1]
    assert app0.marker == 0xE0 and app0.payload(cleaned) == payload[:12] + b"\x00\x00"


@pytest.mark.parametrize("segment", [
    core.segment(0xE6, b"GoPro\x00" + b"\x01" * 40),
    core.segment(0xEB, b"JP\x00\x00JUMB" + b"\x00" * 20),
    core.segment(0xE2, b"MPF\x00" + b"\x00" * 8),
    core.segment(0xE0, b"JFXX\x00\x10" + b"\x00" * 20),
    core.comment("call me on 0123"),
])
def test_other_segments_are_reported_and_dropped(segment):
    dirty = core.jpeg([segment])
    assert scan_bytes(dirty)[1].findings
    _, _, cleaned = clean_bytes(dirty)
    assert segment not in cleaned


def test_padding_after_eoi_is_dropped_without_alarm():
    dirty = core.jpeg(trailer=b"\x00" * 32)
    assert scan_bytes(dirty)[1].findings == ()
    assert not clean_bytes(dirty)[2].endswith(b"\x00")


def test_cleaning_is_idempotent():
    _, _, once = clean_bytes(core.dirty_jpeg(orientation=8))
    _, _, twice = clean_bytes(once)
    assert once == twice


def test_truncation_at_every_length_gives_a_typed_error_or_a_clean_result():
    dirty = core.dirty_jpeg()
    for cut in range(0, len(dirty), 7):
        try:
            clean_bytes(dirty[:cut])
        except GeoscrubError:
            continue


def test_exif_with_a_looping_ifd_chain_is_reported_as_damaged_not_hung():
    tiff = bytearray(core.exif_tiff(gps=None, owner=None, serial=None, date=None))
    # make IFD0's next pointer point at IFD0 again
    count = struct.unpack(">H" if tiff[:2] == b"MM" else "<H", tiff[8:10])[0]
    order = ">" if tiff[:2] == b"MM" else "<"
    struct.pack_into(order + "I", tiff, 8 + 2 + 12 * count, 8)
    findings = scan_bytes(core.jpeg([core.app1_exif(bytes(tiff))]))[1].findings
    assert any(f.key == "DamagedExif" and "loop" in f.value for f in findings)


def test_segment_length_past_end_of_file_is_truncated_error():
    data = b"\xff\xd8\xff\xe1\xff\xf0Exif\x00\x00"
    with pytest.raises(TruncatedFile):
        scan_bytes(data)


def test_unknown_marker_in_header_is_malformed():
    base = core.encode(core.picture(), "JPEG")
    with pytest.raises(MalformedFile):
        scan_bytes(base[:2] + b"\xff\x05\x00\x04ab" + base[2:])


def test_huge_declared_frame_is_copied_as_it_is_since_pixels_are_never_decoded():
    base = bytearray(core.encode(core.picture(), "JPEG"))
    sof = next(s for s in jpeg.parse(bytes(base)).segments if s.marker in jpeg.SOF_MARKERS)
    struct.pack_into(">HH", base, sof.start + 5, 65535, 65535)
    assert clean_bytes(bytes(base))[2] == bytes(base)


def test_partial_download_is_refused_as_an_incomplete_picture_not_cleaned_up_to_where_it_stops():
    dirty = core.jpeg([core.app1_exif(core.exif_tiff())])
    cut = dirty[: len(dirty) - 40]
    with pytest.raises(TruncatedFile, match="the picture itself is incomplete") as raised:
        clean_bytes(cut)
    assert raised.value.offset == len(cut)


def test_colour_profile_with_appended_text_is_reported_and_dropped():
    profile = core.icc_profile() + b"Alex Example, 14 Elm Road"
    dirty = core.jpeg([core.app2_icc(profile)])
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["ICC_PROFILE"]
    assert b"Elm Road" not in clean_bytes(dirty)[2]


def test_colour_profile_split_over_segments_is_kept_whole():
    profile = core.icc_profile()
    half = len(profile) // 2
    parts = [core.segment(0xE2, b"ICC_PROFILE\x00" + bytes([i + 1, 2]) + chunk)
             for i, chunk in enumerate((profile[:half], profile[half:]))]
    cleaned = clean_bytes(core.jpeg(parts))[2]
    assert all(part in cleaned for part in parts)


def test_extra_bytes_in_the_adobe_segment_are_cut_but_the_colour_transform_kept():
    adobe = b"Adobe\x00\x64\x00\x00\x00\x00\x01"
    dirty = core.jpeg([core.segment(0xEE, adobe + b"Alex Example")])
    assert "APP14" in keys(dirty)
    cleaned = clean_bytes(dirty)[2]
    assert core.segment(0xEE, adobe) in cleaned and b"Alex" not in cleaned


def test_data_removed_without_a_name_still_makes_the_file_not_clean():
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description rdf:about=""/></rdf:RDF><!-- Alex Example, 14 Elm Road --></x:xmpmeta>')
    dirty = core.jpeg([core.app1_xmp(xmp)])
    assert [f.key for f in scan_bytes(dirty)[1].findings] == ["ExtraData"]
    assert b"Elm Road" not in clean_bytes(dirty)[2]


def test_a_spare_quantisation_table_cannot_carry_text():
    base = core.encode(core.picture(), "JPEG")
    spare = core.segment(0xDB, bytes([0x03]) + b"Alex Example, 14 Elm Road".ljust(64, b" "))
    dirty = base[:2] + spare + base[2:]
    assert "UnusedTable" in keys(dirty)
    assert b"Elm Road" not in clean_bytes(dirty)[2]


def test_a_huffman_segment_with_bytes_after_its_tables_is_refused():
    base = bytearray(core.encode(core.picture(), "JPEG"))
    dht = next(s for s in jpeg.parse(bytes(base)).segments if s.marker == 0xC4)
    payload = dht.payload(bytes(base)) + b"Alex"
    data = bytes(base[: dht.start]) + core.segment(0xC4, payload) + bytes(base[dht.end :])
    with pytest.raises(MalformedFile, match="Huffman"):
        clean_bytes(data)


def test_only_the_first_jfif_header_is_kept():
    base = core.encode(core.picture(), "JPEG")
    second = core.segment(0xE0, b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00")
    cleaned = clean_bytes(base[:20] + second + base[20:])[2]
    assert [s.marker for s in jpeg.parse(cleaned).segments].count(0xE0) == 1


def test_a_colour_profile_dated_at_export_keeps_its_colours_but_not_its_date():
    from geoscrub.metadata import icc

    stamped = bytearray(core.icc_profile())
    stamped[4:8] = b"lcms"
    stamped[24:36] = struct.pack(">6H", 2025, 6, 14, 16, 3, 11)
    stamped = bytes(stamped)
    half = len(stamped) // 2
    parts = [core.segment(0xE2, b"ICC_PROFILE\x00" + bytes([i + 1, 2]) + chunk)
             for i, chunk in enumerate((stamped[:half], stamped[half:]))]
    dirty = core.jpeg(parts)
    found = {f.key: f.value for f in scan_bytes(dirty)[1].findings}
    assert found == {"ColorProfileDate": "2025-06-14 16:03:11"}
    cleaned = clean_bytes(dirty)[2]
    assert jpeg.icc_profile(cleaned, jpeg.parse(cleaned).segments) == icc.without_stamp(stamped)


def test_gps_details_are_shown_with_their_units():
    tiff = core.exif_tiff(h_error=None)
    found = {f.key: f.value for f in scan_bytes(core.jpeg([core.app1_exif(tiff)]))[1].findings}
    assert found["GPSAltitude"] == "31 m above sea level"
    assert "GPSAltitudeRef" not in found and "GPSLatitudeRef" not in found
    assert found["GPSPosition"].endswith("(to about 5 m)")  # GPS is never better than that


def test_a_stated_positioning_error_sets_the_accuracy():
    tiff = core.exif_tiff(h_error=38.8)
    location = scan_bytes(core.jpeg([core.app1_exif(tiff)]))[1].location
    assert location.accuracy_m == pytest.approx(38.8)
