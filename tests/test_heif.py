"""HEIC/HEIF/AVIF: every carrier found and removed, pictures byte-identical, odd files refused."""
from __future__ import annotations

import random
import struct

import pytest

from geoscrub import api, registry
from geoscrub.errors import GeoscrubError, MalformedFile, TruncatedFile, UnsafeToClean, UnsupportedFormat
from geoscrub.formats import heif
from geoscrub.model import Category, Policy
from tests.builders import heif as hb


def clean(data: bytes, policy: Policy | None = None) -> tuple[object, bytes]:
    _, found, cleaned = api.clean_bytes(data, policy)
    return found, cleaned


def keys(found) -> set[str]:
    return {f.key for f in found.findings}


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[bytes]:
    end = len(data) if end is None else end
    out, pos = [], start
    while pos < end:
        size, btype = struct.unpack(">I4s", data[pos : pos + 8])
        out.append(btype)
        pos += size
    return out


@pytest.fixture(scope="module")
def source() -> bytes:
    return hb.heic()


# ------------------------------------------------------------------ carriers --


def test_exif_gps_owner_and_xmp_in_a_real_heic_are_found_and_removed():
    data = hb.heic(exif=hb.exif_tiff(), xmp=hb.xmp_packet())
    found, cleaned = clean(data)
    assert {"GPSPosition", "Artist", "CameraOwnerName", "BodySerialNumber", "dc:creator"} <= keys(found)
    assert found.location is not None and found.location.latitude == pytest.approx(hb.LAT, abs=1e-4)
    assert heif.FORMAT.scan(cleaned).findings == ()
    assert b"Alex" not in cleaned and b"Exif" not in cleaned and b"rdf" not in cleaned
    assert hb.decode(cleaned) == hb.decode(data)


def test_exif_and_xmp_in_a_real_avif_are_removed_with_pixels_identical():
    data = hb.avif(exif=b"Exif\x00\x00" + hb.exif_tiff(), xmp=hb.xmp_packet())
    assert registry.sniff(data[:64]) is heif.AVIF_FORMAT
    found, cleaned = clean(data)
    assert {"GPSPosition", "Artist"} <= keys(found)
    assert b"Alex" not in cleaned and b"London" not in cleaned
    assert hb.decode(cleaned) == hb.decode(data)


def test_scan_reports_the_location_of_a_heic_like_a_jpeg(tmp_path):
    path = tmp_path / "photo.heic"
    path.write_bytes(hb.single(exif=hb.exif_item()))
    report = api.scan(path)
    assert report.format == "HEIC/HEIF" and report.error is None
    assert report.location is not None
    assert (report.location.latitude, report.location.longitude) == pytest.approx((hb.LAT, hb.LON), abs=1e-4)
    assert report.findings[0].category is Category.PLACE


def test_exif_item_without_exif_prefix_is_read():
    payload = struct.pack(">I", 0) + hb.exif_tiff()  # offset 0: TIFF header straight after (libavif, GIMP)
    found, _ = clean(hb.single(exif=payload))
    assert "GPSPosition" in keys(found)


def test_thumbnail_depth_map_gain_map_and_their_own_metadata_are_removed(source):
    data = hb.with_thumbnail_and_depth(source)
    found, cleaned = clean(data)
    assert {"Thumbnail", "DepthMap", "HDRGainMap", "PortraitMatte"} <= keys(found)
    assert "Depth Person" in {f.value for f in found.findings}  # the depth map's own XMP
    assert "Thumb Owner" in {f.value for f in found.findings}  # the thumbnail's own Exif
    kept = heif.parse(cleaned)
    assert set(kept.items) == {1}
    assert kept.refs == []
    assert b"Thumb Owner" not in cleaned and b"Depth Person" not in cleaned and b"auxC" not in cleaned
    assert hb.decode(cleaned) == hb.decode(data)


def test_transparency_is_kept():
    data = hb.heic(mode="RGBA", exif=hb.exif_tiff())
    found, cleaned = clean(data)
    assert "GPSPosition" in keys(found)
    kept = heif.parse(cleaned)
    assert [r.type for r in kept.refs] == [b"auxl"]
    assert hb.decode(cleaned) == hb.decode(data)
    assert hb.decode(cleaned)[0][0] == "RGBA"


def test_second_picture_keeps_its_pixels_and_loses_its_own_exif(source):
    data = hb.two_pictures(source)
    found, cleaned = clean(data)
    values = {f.value for f in found.findings}
    assert "Second Person" in values and "Alex Example" in values
    assert any(f.source.endswith("(item 5)") for f in found.findings)
    assert set(heif.parse(cleaned).items) == {1, 5}
    assert b"Second Person" not in cleaned
    before, after = hb.decode(data), hb.decode(cleaned)
    assert len(before) == 2 and after == before


def test_motion_photo_video_samsung_box_and_trailer_are_dropped(source):
    data = hb.motion_photo(source, seconds=3) + b"SAMSUNG TRAILER DATA" * 4
    found, cleaned = clean(data)
    assert {"MotionPhotoVideo", "SamsungData"} <= keys(found)
    assert "3-second video" in {f.value for f in found.findings}
    assert any(f.source == "trailer" for f in found.findings)
    assert boxes(cleaned) == [b"ftyp", b"meta", b"mdat"]
    assert b"moov" not in cleaned and b"TRAILER" not in cleaned
    assert hb.decode(cleaned) == hb.decode(data)


def test_filled_free_box_unknown_top_level_box_and_meta_box_are_reported_and_dropped(source):
    data = hb.single(source, top_before=[hb.box(b"free", b"cdif\xff\xe4")],
                     top_after=[hb.box(b"uuid", bytes(16) + b"vendor secret")],
                     meta_extra=[hb.box(b"xml ", b"<owner>Alex</owner>")])
    found, cleaned = clean(data)
    assert {"FreeSpace", "'uuid' box", "'xml ' box"} <= keys(found)
    assert b"secret" not in cleaned and b"Alex" not in cleaned and b"cdif" not in cleaned


def test_unused_bytes_in_media_data_are_reported_and_dropped(source):
    data = hb.single(source, mdat_junk=b"hidden note: Alex lives at 1 Example Road")
    found, cleaned = clean(data)
    assert "UnusedMediaData" in keys(found)
    assert b"Example Road" not in cleaned
    assert hb.decode(cleaned) == hb.decode(data)


def test_text_properties_are_reported_and_dropped(source):
    data = hb.single(source, extra_props=[hb.udes("Alex at the park", "birthday")])
    found, cleaned = clean(data)
    assert "UserDescription" in keys(found)
    assert b"birthday" not in cleaned


def test_iptc_item_is_reported_and_dropped(source):
    iim = b"\x1c\x02\x50" + struct.pack(">H", 12) + b"Alex Example"
    data = hb.assemble([hb.Item(1, b"hvc1", hb.parts(source).data, props=hb.parts(source).links),
                        hb.Item(4, b"iptc", iim, hidden=True)],
                       hb.parts(source).props, [(b"cdsc", 4, [1])])
    found, cleaned = clean(data)
    assert "Alex Example" in {f.value for f in found.findings}
    assert b"Alex" not in cleaned


# ------------------------------------------------- orientation and colour ----


@pytest.mark.parametrize("turns", [1, 3])
def test_portrait_rotation_is_kept_so_the_photo_stays_upright(source, turns):
    data = hb.single(source, extra_props=[hb.irot(turns), hb.imir(0)], essential_extra=True, exif=hb.exif_item())
    _, cleaned = clean(data)
    before, after = hb.decode(data), hb.decode(cleaned)
    assert before[0][1] == (48, 64)  # rotated a quarter turn on display
    assert after == before
    assert hb.irot(turns) in cleaned and hb.imir(0) in cleaned


def test_orientation_can_be_dropped_by_policy(source):
    data = hb.single(source, extra_props=[hb.irot(1)], essential_extra=True)
    _, cleaned = clean(data, Policy(keep_orientation=False))
    assert hb.irot(1) not in cleaned
    assert hb.decode(cleaned)[0][1] == (64, 48)


def test_vendor_colour_profile_is_kept_byte_for_byte(source):
    profile = hb.vendor_icc()
    data = hb.single(source, extra_props=[hb.colr_icc(profile)])
    found, cleaned = clean(data)
    assert not any(f.source == "ICC" for f in found.findings)
    assert hb.colr_icc(profile) in cleaned


def test_lcms_profile_date_is_reported_and_blanked_but_the_profile_kept(source):
    profile = hb.lcms_icc()
    data = hb.single(source, extra_props=[hb.colr_icc(profile)])
    found, cleaned = clean(data)
    assert "2024-05-17 09:41:02" in {f.value for f in found.findings}
    assert profile not in cleaned
    kept = cleaned[cleaned.index(b"colrprof") + 8 :][: len(profile)]
    assert kept[36:84] == profile[36:84] and kept[:24] == profile[:24]
    assert kept[24:36] == bytes(12) and kept[84:100] == bytes(16)


def test_colour_profile_can_be_dropped_by_policy(source):
    data = hb.single(source, extra_props=[hb.colr_icc(hb.vendor_icc())])
    _, cleaned = clean(data, Policy(keep_color_profile=False))
    assert b"colrprof" not in cleaned
    assert b"colrnclx" in cleaned  # the coded colour description is not a profile and stays


# ------------------------------------------------------ layouts that work ----


def test_grid_picture_keeps_every_tile(source):
    data = hb.grid(rows=2, cols=2)
    found, cleaned = clean(data)
    assert "GPSPosition" in keys(found)
    assert hb.decode(cleaned) == hb.decode(data)
    assert hb.decode(data)[0][1] == (128, 128)


@pytest.mark.parametrize("layout", [
    {"iloc_version": 0}, {"iloc_version": 1, "base_offset_size": 4}, {"iloc_version": 2},
    {"offset_size": 8}, {"mdat_first": True},
])
def test_item_location_variants_are_rewritten_correctly(source, layout):
    data = hb.single(source, exif=hb.exif_item(), xmp=hb.xmp_packet(), **layout)
    found, cleaned = clean(data)
    assert "GPSPosition" in keys(found)
    assert hb.decode(cleaned) == hb.decode(data)


def test_cleaning_is_idempotent_and_a_clean_file_is_left_alone(source):
    once = clean(hb.with_thumbnail_and_depth(source))[1]
    found, twice = clean(once)
    assert twice == once and found.findings == ()


def test_image_data_is_the_coded_picture_only(source):
    p = hb.parts(source)
    data = hb.single(source, exif=hb.exif_item())
    joined = b"".join(bytes(x) for x in heif.FORMAT.image_data(data))
    assert p.data in joined and b"Exif" not in joined


# ------------------------------------------------------------------ refusals --


def _picture(source: bytes) -> tuple[hb.Parts, hb.Item]:
    p = hb.parts(source)
    return p, hb.Item(1, p.item_type, p.data, props=list(p.links))


@pytest.mark.parametrize("build, error", [
    (lambda s: hb.single(s, pitm_boxes=2), MalformedFile),
    (lambda s: hb.single(s, dref_index=1), UnsafeToClean),
    (lambda s: hb.single(s, construction_method=2), UnsafeToClean),
    (lambda s: hb.single(s, top_after=[hb.box(b"moov", b"")]), UnsafeToClean),
    (lambda s: hb.single(s, extra_props=[hb.box(b"zzzz", b"x")], essential_extra=True), UnsafeToClean),
    (lambda s: hb.grid(tiles=3), UnsafeToClean),
    (lambda s: hb.grid(descriptor=b"\x01\x00\x00\x01\x00\x80\x00\x40"), UnsafeToClean),
], ids=["two-primary-boxes", "data-in-other-file", "item-offset-method", "image-sequence",
        "unknown-essential-property", "grid-tile-count", "grid-version"])
def test_files_not_understood_are_refused(source, build, error):
    with pytest.raises(error):
        api.clean_bytes(build(source))


def test_metadata_stored_in_idat_is_refused(source):
    p, pic = _picture(source)
    exif = hb.Item(2, b"Exif", hb.exif_item(), hidden=True, in_idat=True)
    data = hb.assemble([pic, exif], p.props, [(b"cdsc", 2, [1])])
    with pytest.raises(UnsafeToClean, match="idat"):
        api.clean_bytes(data)


def test_unknown_item_type_linked_to_the_primary_is_refused(source):
    p, pic = _picture(source)
    odd = hb.Item(7, b"zzzz", b"payload", hidden=True)
    data = hb.assemble([pic, odd], p.props, [(b"dimg", 1, [7])])
    with pytest.raises(UnsafeToClean):
        api.clean_bytes(data)
    data = hb.assemble([pic, odd], p.props, [(b"zref", 7, [1])])
    with pytest.raises(UnsafeToClean):
        api.clean_bytes(data)


def test_unlinked_unknown_item_is_reported_and_dropped(source):
    p, pic = _picture(source)
    data = hb.assemble([pic, hb.Item(7, b"zzzz", b"vendor payload", hidden=True)], p.props, [])
    found, cleaned = clean(data)
    assert "zzzz item" in keys(found)
    assert b"vendor payload" not in cleaned


def test_unknown_box_versions_are_refused(source):
    data = bytearray(hb.single(source))
    at = data.index(b"iloc")
    data[at + 4] = 3  # iloc version 3 does not exist
    with pytest.raises(UnsafeToClean):
        api.clean_bytes(bytes(data))


def test_other_iso_media_is_refused_by_name():
    raw = hb.box(b"ftyp", b"crx ", bytes(4), b"crx ", b"isom") + hb.box(b"mdat", b"")  # a Canon raw photo
    with pytest.raises(UnsupportedFormat, match="ISO media"):
        registry.sniff(raw[:64])


def test_item_pointing_outside_the_media_data_is_refused(source):
    data = bytearray(hb.single(source))
    at = data.index(b"mdat")
    struct.pack_into(">I", data, at - 4, 8)  # mdat now claims to be empty
    with pytest.raises(GeoscrubError):
        api.clean_bytes(bytes(data))


# ------------------------------------------------------- damaged and hostile --


def test_truncated_files_give_a_typed_error_at_every_length(source):
    data = hb.with_thumbnail_and_depth(source)
    step = max(1, len(data) // 400)
    for cut in range(0, len(data) - 1, step):
        piece = data[:cut]
        with pytest.raises(GeoscrubError):
            api.scan_bytes(piece)
        with pytest.raises(GeoscrubError):
            api.clean_bytes(piece)


def test_truncation_inside_the_media_data_is_reported_as_cut_short(source):
    data = hb.single(source, exif=hb.exif_item())
    with pytest.raises(TruncatedFile):
        heif.FORMAT.scan(data[: len(data) - 10])


def test_corrupted_bytes_never_escape_as_another_exception(source):
    data = hb.with_thumbnail_and_depth(source)
    meta_end = data.index(b"mdat")
    rng = random.Random(3)
    for _ in range(400):
        broken = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            broken[rng.randrange(0, meta_end)] = rng.randrange(256)
        try:
            _, _, cleaned = api.clean_bytes(bytes(broken))
        except GeoscrubError:
            continue
        assert heif.FORMAT.scan(cleaned).findings == ()


def test_box_counts_and_nesting_are_limited(source):
    many_free = [hb.box(b"free", b"")] * 10_001
    with pytest.raises(GeoscrubError):
        api.scan_bytes(hb.single(source, top_before=many_free))


def test_iso_gain_map_rendition_is_dropped_and_the_picture_kept(source):
    data = hb.with_iso_gain_map(source)
    found, cleaned = clean(data)
    assert {"HDRGainMap", "GPSPosition"} <= keys(found)
    kept = heif.parse(cleaned)
    assert set(kept.items) == {1} and kept.groups == []
    assert hb.decode(cleaned) == hb.decode(data)


def test_samples_generator_writes_a_dirty_heic_and_avif(tmp_path):
    from tests.builders import samples_heif

    paths = samples_heif.generate(tmp_path)
    assert sorted(p.suffix for p in paths) == [".avif", ".heic"]
    for path in paths:
        report = api.scan(path)
        assert report.location is not None
        assert {Category.PLACE, Category.PERSON} <= report.categories()
        _, _, cleaned = api.clean_bytes(path.read_bytes())
        assert hb.decode(cleaned) == hb.decode(path.read_bytes())


def test_a_refused_file_is_still_scanned_fully():
    data = hb.grid(tiles=3)
    found = heif.FORMAT.scan(data)
    assert "GPSPosition" in keys(found)
    with pytest.raises(UnsafeToClean):
        heif.FORMAT.strip(data, Policy())


# ------------------------------------------------- smuggling inside kept bytes --


def refused_with_secret_kept_out(data: bytes) -> None:
    assert hb.SECRET[:16] in data
    with pytest.raises(UnsafeToClean):
        clean(data)


def test_metadata_item_hidden_inside_the_picture_data_is_refused():
    data = hb.exif_inside_picture()
    assert "Artist" in keys(heif.FORMAT.scan(data))
    refused_with_secret_kept_out(data)


@pytest.mark.parametrize("nal", [
    hb.hevc_nal(48, hb.SECRET),  # unspecified type: decoders skip it
    hb.hevc_nal(63, hb.SECRET),
    hb.hevc_nal(41, hb.SECRET),  # reserved
    hb.hevc_nal(19, hb.SECRET, layer=3),  # a layer a plain decoder drops
    hb.hevc_nal(39, hb.sei(5, bytes(16) + hb.SECRET)),  # user data note
    hb.hevc_nal(40, hb.sei(4, b"\xb5" + hb.SECRET)),  # registered user data note
    hb.hevc_nal(38, b"\xff" + hb.SECRET + b"\x80"),  # filler that is not blank
    hb.hevc_nal(36, hb.SECRET),  # end of sequence with data
], ids=["type48", "type63", "reserved41", "layer3", "sei-user-data", "sei-registered", "filler", "eos"])
def test_stream_units_that_decoders_skip_are_refused(source, nal):
    refused_with_secret_kept_out(hb.with_extra_nal(nal, source))


def test_number_only_stream_notes_and_blank_filler_are_kept(source):
    light_level = hb.hevc_nal(40, hb.sei(144, struct.pack(">HH", 1000, 400)))
    filler = hb.hevc_nal(38, b"\xff\xff\x80")
    for nal in (light_level, filler):
        data = hb.with_extra_nal(nal, source)
        _, cleaned = clean(data)
        assert nal in cleaned
        assert hb.decode(cleaned) == hb.decode(data)


def test_text_note_inside_the_hevc_settings_is_refused(source):
    note = hb.hevc_nal(39, hb.sei(5, bytes(16) + hb.SECRET))

    def add_array(prop: bytes) -> bytes:
        body = bytearray(prop[8:])
        body[22] += 1
        return hb.box(b"hvcC", bytes(body) + bytes([39]) + struct.pack(">HH", 1, len(note)) + note)

    refused_with_secret_kept_out(hb.with_property(b"hvcC", add_array, source))


@pytest.mark.parametrize("ptype", [b"ispe", b"hvcC", b"pixi", b"irot"])
def test_picture_settings_with_bytes_after_their_fields_are_refused(source, ptype):
    extra = [hb.irot(1)] if ptype == b"irot" else []
    data = hb.with_property(ptype, hb.appended(), source, extra_links=extra)
    refused_with_secret_kept_out(data)


def test_nclx_colour_setting_with_bytes_after_its_fields_is_refused(source):
    refused_with_secret_kept_out(hb.with_property(b"colr", hb.appended(), source))


@pytest.mark.parametrize("ptype", [b"av1C", b"ispe", b"pixi"])
def test_avif_settings_with_bytes_after_their_fields_are_refused(ptype):
    refused_with_secret_kept_out(hb.with_property(ptype, hb.appended(), hb.avif()))


@pytest.mark.parametrize("obu", [
    hb.av1_obu(5, b"\x04\xb5" + hb.SECRET + b"\x80"),  # ITU-T T.35 metadata: free bytes
    hb.av1_obu(15, hb.SECRET),  # padding
    hb.av1_obu(9, hb.SECRET),  # reserved
], ids=["metadata-t35", "padding", "reserved"])
def test_avif_units_that_decoders_skip_are_refused(obu):
    refused_with_secret_kept_out(hb.avif_with_extra_obu(obu))


def test_turned_picture_with_data_is_refused_and_without_data_kept(source):
    refused_with_secret_kept_out(hb.derived(b"iden", hb.SECRET, source))
    data = hb.derived(b"iden", b"", source)
    _, cleaned = clean(data)
    assert {it.type for it in heif.parse(cleaned).items.values()} == {b"iden", b"hvc1"}


def test_overlay_description_with_extra_bytes_is_refused_and_exact_one_kept(source):
    refused_with_secret_kept_out(hb.derived(b"iovl", hb.overlay_descriptor() + hb.SECRET, source))
    data = hb.derived(b"iovl", hb.overlay_descriptor(), source)
    _, cleaned = clean(data)
    assert hb.overlay_descriptor() in cleaned


def test_auxiliary_type_on_the_main_picture_is_reported_and_dropped(source):
    urn = "urn:" + hb.SECRET.decode()
    data = hb.with_property(source=source, extra_links=[hb.aux_c(urn)])
    found, cleaned = clean(data)
    assert "AuxiliaryType" in keys(found)
    assert hb.SECRET not in cleaned and b"auxC" not in cleaned
    assert hb.decode(cleaned) == hb.decode(data)


def test_transparency_with_text_after_its_type_is_refused_and_a_plain_one_kept(source):
    urn = b"urn:mpeg:hevc:2015:auxid:1\x00"
    refused_with_secret_kept_out(hb.with_alpha(urn + hb.SECRET, source))
    _, cleaned = clean(hb.with_alpha(urn, source))
    assert urn in cleaned and 5 in heif.parse(cleaned).items


def test_colour_profile_with_stray_text_is_reported_and_dropped(source):
    data = hb.with_property(b"colr", lambda _: hb.colr_icc(hb.icc_with_text()), source)
    found, cleaned = clean(data)
    assert "ColorProfile" in keys(found)
    assert hb.SECRET not in cleaned
    assert hb.decode(cleaned) == hb.decode(data)


def test_removed_item_sharing_bytes_with_the_picture_is_refused(source):
    p = hb.parts(source)
    items = [hb.Item(1, p.item_type, p.data, props=list(p.links)), hb.Item(2, b"Exif", p.data[:40], hidden=True)]
    data = bytearray(hb.assemble(items, list(p.props), [(b"cdsc", 2, [1])]))
    row = data.find(struct.pack(">HHHH", 2, 0, 0, 1))
    own = struct.unpack(">I", data[row + 8 : row + 12])[0]
    data[row + 8 : row + 12] = struct.pack(">I", own - len(p.data))  # item 2 now reads item 1's first bytes
    with pytest.raises(UnsafeToClean, match="overlaps"):
        clean(bytes(data))
