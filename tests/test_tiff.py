"""TIFF/DNG: every directory is rebuilt from image-structure tags; pixels are copied unchanged."""
from __future__ import annotations

import random
import struct

import pytest

from geoscrub import GeoscrubError, MalformedFile, Policy, clean_bytes, scan_bytes
from geoscrub.errors import LimitExceeded, TruncatedFile, UnsafeToClean, UnsupportedFormat
from geoscrub.formats import tiff
from geoscrub.metadata import exif as exif_meta
from tests.builders import core
from tests.builders import tiff as tb

from .conftest import pixels


def tags_by_dir(data: bytes) -> dict[str, set[int]]:
    """Directory name -> tag ids, from an independent walk (geoscrub's EXIF walker)."""
    _, dirs = exif_meta.walk(data)
    out: dict[str, set[int]] = {}
    for d in dirs:
        out.setdefault(d.name, set()).update(e.tag for e in d.entries)
    return out


def all_tags(data: bytes) -> set[int]:
    return set().union(*tags_by_dir(data).values())


def keys(data: bytes) -> set[str]:
    return {f.key for f in scan_bytes(data)[1].findings}


@pytest.mark.parametrize("order", ["<", ">"])
def test_ifd0_personal_tags_are_reported_and_removed(order):
    dirty = tb.dirty_tiff(order)
    assert {"Artist", "HostComputer", "Make", "Model", "Software", "DateTime", "ImageDescription",
            "Copyright"} <= keys(dirty)
    cleaned = clean_bytes(dirty)[2]
    left = all_tags(cleaned)
    for tag in (tb.ARTIST, tb.HOST, tb.MAKE, tb.MODEL, tb.SOFTWARE, tb.DATETIME, tb.DESCRIPTION, tb.COPYRIGHT):
        assert tag not in left
    assert tb.OWNER.encode() not in cleaned and b"Alex's iPhone" not in cleaned
    assert cleaned[:4] == dirty[:4]  # byte order kept


def test_gps_exif_and_interop_directories_are_removed_and_location_reported():
    dirty = tb.dirty_tiff()
    found = scan_bytes(dirty)[1]
    assert found.location is not None and found.location.latitude == pytest.approx(tb.LAT, abs=1e-4)
    assert {"GPSPosition", "CameraOwnerName", "BodySerialNumber", "MakerNote", "DateTimeOriginal"} <= keys(dirty)
    assert {"Exif", "GPS", "Interop"} <= set(tags_by_dir(dirty))
    cleaned = clean_bytes(dirty)[2]
    assert set(tags_by_dir(cleaned)) == {"IFD0"}
    assert not all_tags(cleaned) & {0x8769, 0x8825, 0xA005, tb.MAKERNOTE}
    assert tb.SERIAL.encode() not in cleaned


def test_xmp_iptc_and_photoshop_blocks_are_read_for_the_report_and_removed():
    dirty = tb.dirty_tiff()
    found = keys(dirty)
    assert {"XMP", "IPTC", "Photoshop", "dc:creator", "By-line", "mwg-rs:Name"} <= found
    cleaned = clean_bytes(dirty)[2]
    assert not all_tags(cleaned) & {tb.XMP, tb.IPTC, tb.PHOTOSHOP}
    assert b"Sam Example" not in cleaned and b"London" not in cleaned


def test_every_geotiff_tag_is_a_place_finding_and_removed():
    dirty = tb.dirty_tiff()
    places = {f.key for f in scan_bytes(dirty)[1].findings if f.category.value == "place"}
    assert {"ModelPixelScale", "ModelTiePoint", "ModelTransform", "GeoKeyDirectory", "GeoDoubleParams",
            "GeoAsciiParams"} <= places
    assert not all_tags(clean_bytes(dirty)[2]) & set(tb.GEOTIFF)


def test_unknown_tags_are_dropped_and_reported():
    dirty = tb.dirty_tiff()
    assert "OtherExifTags" in keys(dirty)
    assert 0xC7E1 not in all_tags(clean_bytes(dirty)[2])


def test_only_allowlisted_tags_survive():
    cleaned = clean_bytes(tb.dirty_tiff(orientation=3, icc=core.icc_profile()))[2]
    allowed = tiff.STRUCTURE_TAGS | tiff.DNG_RENDER_TAGS | tiff.LAYOUT_TAGS | {tiff.ORIENTATION} | tiff.ICC_PROFILES
    assert all_tags(cleaned) <= allowed


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("tiled", [False, True])
def test_pixels_are_identical_and_strips_copied_byte_for_byte(order, tiled):
    dirty = tb.dirty_tiff(order, tiled=tiled)
    cleaned = clean_bytes(dirty)[2]
    assert pixels(cleaned) == pixels(dirty)
    assert b"".join(map(bytes, tiff.FORMAT.image_data(cleaned))) == b"".join(map(bytes, tiff.FORMAT.image_data(dirty)))
    assert scan_bytes(cleaned)[1].findings == ()


def test_orientation_is_kept_by_default_and_dropped_on_request():
    dirty = tb.dirty_tiff(orientation=6)
    kept = clean_bytes(dirty)[2]
    assert exif_meta.orientation(kept) == 6
    assert pixels(kept) == pixels(dirty)
    dropped = clean_bytes(dirty, Policy(keep_orientation=False))[2]
    assert exif_meta.orientation(dropped) is None


def test_colour_profile_is_kept_by_policy():
    profile = core.icc_profile()
    dirty = tb.dirty_tiff(icc=profile)
    assert profile in clean_bytes(dirty)[2]
    assert profile not in clean_bytes(dirty, Policy(keep_color_profile=False))[2]


def test_every_page_of_a_multipage_tiff_is_kept_and_the_thumbnail_page_dropped():
    dirty = tb.multipage_tiff(thumbnail_page=True)
    assert "PreviewImage" in keys(dirty)
    cleaned = clean_bytes(dirty)[2]
    before, after = pixels(dirty), pixels(cleaned)
    assert len(before) == 4 and len(after) == 3
    assert after == [before[0], before[2], before[3]]
    assert tb.OWNER.encode() not in cleaned


def test_multipage_without_thumbnail_keeps_every_frame():
    dirty = tb.multipage_tiff(">", thumbnail_page=False)
    cleaned = clean_bytes(dirty)[2]
    assert pixels(cleaned) == pixels(dirty) and len(pixels(cleaned)) == 3
    assert [p.find(tiff.NEW_SUBFILE_TYPE).value for p in tiff.parse(cleaned).pages] == [(2,)] * 3


def test_dng_keeps_the_raw_subifd_and_colour_tags_and_drops_previews_and_serials():
    dirty = tb.dng()
    found = keys(dirty)
    assert {"PreviewImage", "CameraSerialNumber", "DNGPrivateData", "UniqueCameraModel", "Artist",
            "OriginalRawFileName", "RawDataUniqueID", "GPSPosition"} <= found
    cleaned = clean_bytes(dirty)[2]
    layout = tiff.parse(cleaned)
    assert len(layout.pages) == 1 and [c.keep for c in layout.pages[0].children] == [True]
    raw = layout.pages[0].children[0]
    assert tiff.pieces(cleaned, ">", raw) and tb.raw_tile() in cleaned
    ifd0 = {e.tag for e in layout.pages[0].directory.entries}
    assert {0xC612, 0xC613, 0xC621, 0xC628, 0xC65A} <= ifd0  # DNG version and colour tags kept
    assert not ifd0 & {0xC62F, 0xC634, 0xC614, 0xC615, 0xC65D, 0xC68B, tb.ARTIST, tb.MAKE}
    raw_tags = {e.tag for e in raw.directory.entries}
    assert {0x828D, 0x828E, 0xC61A, 0xC61D, 0xC61F, 0xC620} <= raw_tags
    # readers find the raw image by an explicit NewSubfileType 0; IFD0 loses its "thumbnail" label
    assert raw.find(tiff.NEW_SUBFILE_TYPE).value == (0,)
    assert layout.pages[0].find(tiff.NEW_SUBFILE_TYPE) is None
    assert b"fake preview" not in cleaned and tb.SERIAL.encode() not in cleaned
    assert pixels(cleaned) == pixels(dirty)
    assert scan_bytes(cleaned)[1].findings == ()


def test_cleaning_is_idempotent():
    for dirty in (tb.dirty_tiff(), tb.dirty_tiff(">", tiled=True), tb.multipage_tiff(), tb.dng()):
        once = clean_bytes(dirty)[2]
        assert tiff.FORMAT.strip(once, Policy()) == once


@pytest.mark.parametrize("builder", [tb.dirty_tiff, tb.dng, tb.multipage_tiff])
def test_truncated_files_raise_only_geoscrub_errors(builder):
    whole = builder()
    for cut in sorted(set(range(0, len(whole), max(1, len(whole) // 150))) | {4, 7, 8, 9, len(whole) - 1}):
        try:
            clean_bytes(whole[:cut])
        except GeoscrubError:
            continue
        except Exception as err:  # pragma: no cover - the failure message names the cut
            pytest.fail(f"cut at {cut}: {type(err).__name__}: {err}")


def test_strips_running_past_the_end_are_refused_as_truncated():
    data = bytearray(tb.dirty_tiff())
    pos = tiff.parse(bytes(data)).pages[0].find(tiff.STRIP_OFFSETS).value_offset
    data[pos : pos + 4] = struct.pack("<I", len(data) - 2)  # first strip now starts 2 bytes before the end
    with pytest.raises(TruncatedFile, match="cut short"):
        tiff.FORMAT.strip(bytes(data), Policy())


def test_an_ifd_chain_that_loops_is_refused():
    data = bytearray(tb.multipage_tiff(thumbnail_page=False))
    pages = tiff.parse(bytes(data)).pages
    last = pages[-1].directory
    next_pos = last.offset + 2 + 12 * len(last.entries)
    data[next_pos : next_pos + 4] = struct.pack("<I", pages[0].directory.offset)
    with pytest.raises(MalformedFile, match="loop"):
        tiff.FORMAT.scan(bytes(data))
    with pytest.raises(MalformedFile):
        clean_bytes(bytes(data))


def test_a_subifd_pointing_back_to_ifd0_is_refused():
    page = tb.rgb_page()
    page.tags.append((0x014A, tb.LONG, (0,)))  # patched below to point at IFD0 itself
    data = bytearray(tb.tiff([page]))
    first = struct.unpack("<I", data[4:8])[0]
    ifd = exif_meta.read_ifd(bytes(data), "<", first, "IFD0")
    sub = next(e for e in ifd.entries if e.tag == 0x014A)
    data[sub.value_offset : sub.value_offset + 4] = struct.pack("<I", first)
    with pytest.raises(MalformedFile, match="loop"):
        tiff.FORMAT.scan(bytes(data))


def test_a_bigtiff_without_a_picture_is_refused():
    with pytest.raises(GeoscrubError):
        clean_bytes(tb.bigtiff_header())


def test_old_style_jpeg_compression_is_refused():
    page = tb.rgb_page()
    page.tags = [t for t in page.tags if t[0] != 0x0103] + [(0x0103, tb.SHORT, (6,))]
    with pytest.raises(UnsafeToClean, match="old-style JPEG"):
        clean_bytes(tb.tiff([page]))


def test_a_first_page_without_picture_data_is_refused():
    page = tb.rgb_page()
    page.pieces = []
    with pytest.raises(UnsafeToClean):
        clean_bytes(tb.tiff([page]))


def test_too_many_pages_hit_the_frame_limit(monkeypatch):
    monkeypatch.setattr("geoscrub.limits.MAX_FRAMES", 2)
    with pytest.raises(LimitExceeded):
        tiff.FORMAT.scan(tb.multipage_tiff(thumbnail_page=False))


def test_random_damage_never_escapes_as_another_exception():
    rng = random.Random(4)
    originals = [tb.dirty_tiff(), tb.dng(), tb.multipage_tiff(">")]
    for _ in range(400):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            clean_bytes(bytes(data))
        except GeoscrubError:
            pass


def test_registry_sends_both_byte_orders_to_the_tiff_module():
    for order in "<>":
        assert scan_bytes(tb.dirty_tiff(order))[0] is tiff.FORMAT


# --- picture data that could carry other bytes along -------------------------------------------

def test_an_uncompressed_strip_longer_than_its_rows_is_refused():
    dirty = tb.overlong_strip_tiff(b"Sam Example lives at 12 Elm Road")
    with pytest.raises(UnsafeToClean, match="longer than its pixels"):
        clean_bytes(dirty)


def test_an_uncompressed_strip_of_exactly_its_rows_is_kept():
    clean = tb.tiff([tb.rgb_page(16, 12, rows_per_strip=5)])  # last strip is short (2 rows)
    assert pixels(clean_bytes(clean)[2]) == pixels(clean)


def test_a_strip_pointing_at_another_tags_value_is_refused():
    dirty = tb.strip_over_xmp_tiff()
    with pytest.raises(UnsafeToClean, match="overlaps"):
        clean_bytes(dirty)


def test_two_strips_sharing_bytes_are_refused():
    with pytest.raises(UnsafeToClean, match="share the same bytes"):
        clean_bytes(tb.shared_strip_tiff())


def test_a_compressed_page_is_cleaned_with_its_strip_unchanged():
    dirty = tb.tiff([tb.deflate_page()])
    cleaned = clean_bytes(dirty)[2]
    assert pixels(cleaned) == pixels(dirty)
    assert tb.deflate_page().pieces[0] in cleaned


# --- JPEG streams inside TIFF -------------------------------------------------------------------

@pytest.mark.parametrize("segment", [
    tb.jpeg_segment(0xFE, b"Sam Example lives at 12 Elm Road"),
    tb.jpeg_segment(0xE1, b"Exif\x00\x00" + b"Sam Example"),
    tb.jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x01\x01" + b"Sam"),  # JFIF with a thumbnail
])
def test_a_jpeg_strip_with_a_comment_or_app_segment_is_refused(segment):
    dirty = tb.jpeg_tiff(tb.jpeg_stream([segment]))
    with pytest.raises(UnsafeToClean, match="JPEG segment"):
        clean_bytes(dirty)


def test_a_plain_jpeg_strip_is_copied_byte_for_byte():
    stream = tb.jpeg_stream()
    cleaned = clean_bytes(tb.jpeg_tiff(stream))[2]
    assert stream in cleaned


def test_bytes_after_the_end_of_a_jpeg_strip_are_refused():
    with pytest.raises(UnsafeToClean, match="after its JPEG picture"):
        clean_bytes(tb.jpeg_tiff(tb.jpeg_stream() + b"Sam Example"))


def test_jpeg_tables_with_a_comment_are_refused():
    tables = b"\xff\xd8" + tb.jpeg_segment(0xFE, b"Sam Example") + b"\xff\xd9"
    with pytest.raises(UnsafeToClean, match="JPEG tables"):
        clean_bytes(tb.jpeg_tiff(tb.jpeg_stream(), tables))


def test_jpeg_tables_holding_only_tables_are_kept():
    stream = tb.jpeg_stream()
    dqt = stream.index(b"\xff\xdb")
    tables = b"\xff\xd8" + stream[dqt : dqt + 4 + 65 - 2 + 2] + b"\xff\xd9"
    cleaned = clean_bytes(tb.jpeg_tiff(stream, tables))[2]
    assert tables in cleaned


# --- kept tags must have the type their tag is defined with ------------------------------------

@pytest.mark.parametrize("tag", [0x0129, tb.ORIENTATION, 0x0128])
def test_a_kept_tag_stored_as_text_is_dropped(tag):
    dirty = tb.tagged_page_tiff([(tag, tb.ASCII, tb.ascii_("Sam Example, 12 Elm Road"))])
    cleaned = clean_bytes(dirty)[2]
    assert b"Elm Road" not in cleaned and tag not in all_tags(cleaned)
    assert pixels(cleaned) == pixels(dirty)


def test_a_kept_tag_with_the_right_type_but_wrong_count_is_dropped():
    dirty = tb.tagged_page_tiff([(0x0129, tb.SHORT, tuple(b"Sam Example"))])
    assert 0x0129 not in all_tags(clean_bytes(dirty)[2])


def test_a_picture_tag_with_a_wrong_type_is_refused():
    dirty = tb.tagged_page_tiff([(0x013D, tb.ASCII, b"Sam Example\x00")])  # Predictor
    with pytest.raises(UnsafeToClean, match="unexpected type"):
        clean_bytes(dirty)


def test_dng_calibration_signatures_are_text_and_are_dropped():
    dirty = tb.tagged_page_tiff([(0xC612, tb.BYTE, (1, 4, 0, 0)),
                                 (0xC6F3, tb.ASCII, tb.ascii_("Calibrated for Sam Example")),
                                 (0xC6F4, tb.ASCII, tb.ascii_("Profile of Sam Example"))])
    cleaned = clean_bytes(dirty)[2]
    assert b"Sam Example" not in cleaned and not all_tags(cleaned) & {0xC6F3, 0xC6F4}
    assert 0xC612 in all_tags(cleaned)


def test_no_text_tag_is_on_the_allowlist():
    for tag, (types, _count) in tiff.TAG_RULES.items():
        assert 2 not in types, hex(tag)
    assert set(tiff.TAG_RULES) >= tiff.STRUCTURE_TAGS | tiff.DNG_RENDER_TAGS | tiff.ICC_PROFILES


def test_a_colour_profile_that_is_not_an_icc_profile_is_dropped():
    dirty = tb.tagged_page_tiff([(tb.ICC, tb.UNDEFINED, b"Sam Example lives at 12 Elm Road" * 8)])
    cleaned = clean_bytes(dirty)[2]
    assert b"Sam Example" not in cleaned and tb.ICC not in all_tags(cleaned)
