"""Videos (MP4, MOV, 3GP, M4V): every hiding place removed, film and sound kept byte for byte."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import geoscrub
from geoscrub import api, fileview, limits, registry, report
from geoscrub.errors import GeoscrubError, InternalError, LimitExceeded, MalformedFile, TruncatedFile, UnsafeToClean
from geoscrub.model import Category, Policy, Report
from tests.builders import video as vb

AV = (b"vide", b"soun")


def clean(data: bytes, policy: Policy | None = None) -> bytes:
    return api.clean_bytes(data, policy)[2]


def kept_samples(data: bytes) -> list[tuple[bytes, list[bytes]]]:
    return [(h, s) for h, s in vb.samples(data) if h in AV]


def findings(data: bytes):
    return api.scan_bytes(data)[1]


def keys(data: bytes) -> set[str]:
    return {f.key for f in findings(data).findings}


def phone_clip(**kw: object) -> bytes:
    return vb.movie([vb.video_track(), vb.sound_track()], moov_extra=(vb.udta_location(), vb.mdta_keys()), **kw)


# ------------------------------------------------------------ recognising --


@pytest.mark.parametrize("brand, name", [(b"isom", "MP4"), (b"mp42", "MP4"), (b"qt  ", "MOV"),
                                         (b"3gp5", "3GP"), (b"M4V ", "M4V")])
def test_videos_are_told_apart_by_their_brand(brand, name):
    assert registry.sniff(phone_clip(brand=brand)[:64]).name == name


def test_old_quicktime_without_ftyp_is_a_mov():
    data = phone_clip(ftyp=False)
    assert data[4:8] == b"mdat"
    assert registry.sniff(data[:64]).name == "MOV"
    assert kept_samples(clean(data)) == kept_samples(data)


def test_heif_brands_are_still_pictures():
    heic = vb.box(b"ftyp", b"heic", bytes(4), b"mif1", b"heic") + vb.box(b"meta")
    assert registry.sniff(heic[:64]).name == "HEIC/HEIF"


# ------------------------------------------------------------ hiding places --


@pytest.mark.parametrize("faststart", [False, True], ids=["moov-after-mdat", "moov-before-mdat"])
def test_phone_location_and_device_are_removed_and_the_film_kept(faststart):
    data = phone_clip(faststart=faststart)
    found = findings(data)
    assert found.location is not None
    assert abs(found.location.latitude - 51.501) < 1e-3 and abs(found.location.longitude + 0.1416) < 1e-3
    assert {"GPSPosition", "Make", "Model", "Software", "CreationDate", "CreateDate"} <= keys(data)
    cleaned = clean(data)
    assert vb.ISO6709 not in cleaned and b"\xa9xyz" not in cleaned and b"iPhone" not in cleaned
    assert kept_samples(cleaned) == kept_samples(data)
    assert (vb.top_types(cleaned).index(b"moov") < vb.top_types(cleaned).index(b"mdat")) == faststart
    assert not findings(cleaned).findings


def test_sixty_four_bit_chunk_offsets_are_rewritten():
    data = phone_clip(faststart=True, co64=True)
    cleaned = clean(data)
    assert b"co64" in cleaned and b"stco" not in cleaned
    assert kept_samples(cleaned) == kept_samples(data)


def test_timed_gps_samples_between_film_chunks_are_gone_from_the_media_data():
    data = vb.movie([vb.video_track(), vb.gps_track(), vb.sound_track()])
    gps = next(s for h, s in vb.samples(data) if h == b"meta")
    assert all(sample in data for sample in gps)
    found = findings(data)
    timed = [f for f in found.findings if f.key == "TimedGPS"]
    assert timed and timed[0].category is Category.PLACE
    assert timed[0].explanation == report.VIDEO_WORDS["timed_gps"]
    cleaned = clean(data)
    assert b"GPS5" not in cleaned and b"DEVC" not in cleaned and vb.ISO6709 not in cleaned
    assert [h for h, _ in vb.samples(cleaned)] == [b"vide", b"soun"]
    assert kept_samples(cleaned) == kept_samples(data)


@pytest.mark.parametrize("codec", [b"camm", b"djmd", b"rtmd"])
def test_other_cameras_timed_gps_tracks_are_reported_and_removed(codec):
    data = vb.movie([vb.video_track(), vb.gps_track(codec)], faststart=True)
    assert "TimedGPS" in keys(data)
    assert b"GPS5" not in clean(data)


def test_timecode_track_is_removed():
    data = vb.movie([vb.video_track(), vb.timecode_track()])
    assert "Timecode" in keys(data)
    cleaned = clean(data)
    assert b"tmcd" not in cleaned
    assert struct.pack(">I", 123456) not in cleaned.split(b"mdat", 1)[1]


def test_xmp_in_a_uuid_box_is_removed_at_any_level():
    data = vb.movie([vb.video_track()], moov_extra=(vb.xmp_uuid(),), top_extra=(vb.xmp_uuid(b"Sam Other"),))
    people = [f.value for f in findings(data).findings if f.category is Category.PERSON]
    assert "Alex Example" in people and "Sam Other" in people
    cleaned = clean(data)
    assert b"Alex Example" not in cleaned and b"Sam Other" not in cleaned and vb.XMP_UUID not in cleaned


def test_user_data_names_and_vendor_boxes_are_removed():
    udta = vb.box(b"udta", vb.box(b"\xa9ART", struct.pack(">HH", 12, 0), b"Alex Example"),
                  vb.box(b"CAME", b"SERIAL-123456"), vb.box(b"zzzz", b"vendor payload"))
    track_udta = vb.box(b"udta", vb.box(b"\xa9nam", struct.pack(">HH", 9, 0), b"Our house"))
    data = vb.movie([vb.video_track(extra=(track_udta,))], moov_extra=(udta,))
    assert {"Artist", "SerialNumberHash", "'zzzz' box", "©nam"} <= keys(data)
    cleaned = clean(data)
    for secret in (b"Alex Example", b"SERIAL-123456", b"vendor payload", b"Our house"):
        assert secret not in cleaned


def test_header_dates_are_zero_and_timing_is_kept():
    for version in (0, 1):
        data = vb.movie([vb.video_track(), vb.sound_track()], version=version)
        cleaned = clean(data)
        fields = vb.header_fields(cleaned)
        assert len(fields) == 5 and all(c == 0 and m == 0 for _, c, m, _ in fields)
        assert [v for *_, v in fields] == [v for *_, v in vb.header_fields(data)]
        assert "CreateDate" in keys(data)
        for name, length in ((b"mvhd", 20), (b"mdhd", 8)):  # timescale and duration unchanged
            at = data.index(name) + 8 + (24 if version else 12)
            at2 = cleaned.index(name) + 8 + (24 if version else 12)
            assert data[at : at + length] == cleaned[at2 : at2 + length]


def test_the_track_matrix_is_kept_so_the_film_is_not_shown_sideways():
    turned = (0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000)
    data = vb.movie([vb.video_track(matrix=turned), vb.sound_track()])
    assert vb.matrices(clean(data))[0] == turned
    assert vb.matrices(clean(data, Policy(keep_orientation=False)))[0] == vb.Track(b"", b"", []).matrix


def test_encoder_and_handler_names_are_blanked():
    data = vb.movie([vb.video_track()])
    assert "CompressorName" in keys(data)
    cleaned = clean(data)
    assert b"Pocket 7" not in cleaned


def test_data_after_the_last_box_is_dropped_and_reported():
    data = phone_clip(tail=b"\x01\x02SECRET TRAILER")
    assert "TrailingData" in keys(data)
    assert b"SECRET TRAILER" not in clean(data)


def test_unused_bytes_in_the_media_data_are_dropped_and_reported():
    data = vb.movie([vb.video_track(), vb.sound_track()], gap=b"HIDDEN")
    assert "UnusedMediaData" in keys(data)
    cleaned = clean(data)
    assert b"HIDDEN" not in cleaned
    assert kept_samples(cleaned) == kept_samples(data)


def test_cleaning_twice_changes_nothing_and_a_clean_video_is_reported_clean():
    once = clean(phone_clip(faststart=True))
    assert clean(once) == once
    assert not findings(once).findings


def test_constant_size_samples_are_handled():
    frames = [[b"A" * 16, b"B" * 16] for _ in range(4)]
    data = vb.movie([vb.video_track(frames, constant_size=16), vb.gps_track()], faststart=True)
    assert kept_samples(clean(data)) == kept_samples(data)


# ------------------------------------------------------------ report words --


def test_report_says_filmed_for_videos():
    data = phone_clip()
    fmt, found = api.scan_bytes(data)
    rep = Report(Path("clip.mp4"))
    rep.fill(fmt.name, found)
    bullets = report.bullets(rep)
    assert bullets[0].startswith("Shows where it was filmed: ")
    assert "where it was filmed" in report.verdict(rep)
    gps = vb.movie([vb.video_track(), vb.gps_track()])
    rep = Report(Path("gopro.mp4"))
    fmt, found = api.scan_bytes(gps)
    rep.fill(fmt.name, found)
    assert any(b.startswith("Records where the camera was every second while filming") for b in report.bullets(rep))


# ------------------------------------------------------------ refusals --


def refused(data: bytes, kind: type[GeoscrubError] = GeoscrubError) -> GeoscrubError:
    with pytest.raises(kind) as info:
        clean(data)
    assert not isinstance(info.value, InternalError)
    return info.value


def test_fragmented_mp4_is_refused_with_a_reason():
    data = phone_clip() + vb.box(b"moof", vb.box(b"mfhd", bytes(8)))
    assert "fragmented" in str(refused(data, UnsafeToClean))
    mvex = vb.movie([vb.video_track()], moov_extra=(vb.box(b"mvex", vb.full_box(b"trex", 0, 0, bytes(20))),))
    assert "fragmented" in str(refused(mvex, UnsafeToClean))


def test_encrypted_video_is_refused():
    track = vb.video_track()
    track.entry = b"\x00\x00\x00\x00encv" + track.entry[8:]
    track.entry = struct.pack(">I", len(track.entry)) + track.entry[4:]
    refused(vb.movie([track]), UnsafeToClean)


def test_film_stored_in_another_file_is_refused():
    data = bytearray(vb.movie([vb.video_track()]))
    at = data.index(b"url ") + 4
    data[at + 3] = 0  # the self-contained flag
    refused(bytes(data), UnsafeToClean)


def test_a_video_with_only_a_gps_track_is_refused():
    refused(vb.movie([vb.gps_track()]), UnsafeToClean)


def test_missing_media_data_is_refused_as_cut_away():
    data = phone_clip(faststart=True)
    cut = data[: data.index(b"mdat") - 4] + struct.pack(">I", 8) + b"mdat"
    assert "missing" in str(refused(cut, TruncatedFile))


# ------------------------------------------------------------ hostile --


def test_a_box_size_that_lies_is_refused():
    data = bytearray(phone_clip())
    at = data.index(b"moov") - 4
    struct.pack_into(">I", data, at, len(data))  # runs past the end
    refused(bytes(data), TruncatedFile)
    data = bytearray(phone_clip())
    at = data.index(b"stsd") - 4
    struct.pack_into(">I", data, at, 4)  # smaller than its own header
    refused(bytes(data), MalformedFile)


def test_boxes_nested_without_end_are_refused():
    inner = vb.box(b"free")
    for _ in range(40):
        inner = vb.box(b"udta", inner)
    refused(vb.movie([vb.video_track()], moov_extra=(vb.box(b"trak", inner),)))


def test_too_many_boxes_hit_a_named_limit():
    many = vb.box(b"free") * (limits.MAX_BOXES + 1)
    err = refused(vb.movie([vb.video_track(extra=(many,))]), LimitExceeded)
    assert err.limit == "MAX_BOXES"
    # in user data (dropped whole) the walk for the report stops at the same limit
    data = vb.movie([vb.video_track()], moov_extra=(vb.box(b"udta", many),))
    assert "UserData" in keys(data) and b"udta" not in clean(data)


def test_a_huge_sample_size_table_is_refused_quickly():
    data = bytearray(phone_clip())
    at = data.index(b"stsz") + 12
    struct.pack_into(">I", data, at, 0xFFFFFFFF)  # claims four billion samples
    refused(bytes(data), TruncatedFile)
    frames = [[b"A" * 16] for _ in range(3)]
    data = bytearray(vb.movie([vb.video_track(frames, constant_size=16)]))
    at = data.index(b"stsc") + 16
    struct.pack_into(">I", data, at, 0x7FFFFFFF)  # one chunk of two billion samples
    refused(bytes(data), MalformedFile)


def _offsets(data: bytes) -> int:
    return data.index(b"stco") + 12


def test_overlapping_chunks_are_refused():
    data = bytearray(vb.movie([vb.video_track()]))
    at = _offsets(data)
    first = struct.unpack_from(">I", data, at)[0]
    struct.pack_into(">I", data, at + 4, first + 4)  # chunk 2 starts inside chunk 1
    refused(bytes(data), MalformedFile)


def test_a_removed_track_sharing_bytes_with_the_film_is_refused():
    data = bytearray(vb.movie([vb.video_track(), vb.gps_track()]))
    video_at = data.index(b"stco") + 12
    gps_at = data.index(b"stco", video_at) + 12
    struct.pack_into(">I", data, gps_at, struct.unpack_from(">I", data, video_at)[0])
    refused(bytes(data), UnsafeToClean)


@pytest.mark.parametrize("offset", [0, 3, 0xFFFFFF00])
def test_chunk_offsets_outside_the_media_data_are_refused(offset):
    data = bytearray(vb.movie([vb.video_track()], faststart=True))
    struct.pack_into(">I", data, _offsets(data), offset)
    refused(bytes(data))


def test_chunk_tables_that_disagree_are_refused():
    data = bytearray(vb.movie([vb.video_track()]))
    at = data.index(b"stsc") + 12
    struct.pack_into(">I", data, at, 3)  # the first run starts at chunk 3
    refused(bytes(data), MalformedFile)


def test_every_truncation_is_a_typed_error():
    data = phone_clip(faststart=True)
    for cut in range(0, len(data), 7):
        try:
            api.clean_bytes(data[:cut])
        except GeoscrubError as err:
            assert not isinstance(err, InternalError), (cut, err)


def test_every_single_byte_change_is_a_typed_error_or_a_verified_clean():
    data = phone_clip(faststart=True)
    moov = data.index(b"moov") - 4
    for at in range(moov, moov + 1200, 3):
        damaged = bytearray(data)
        damaged[at] ^= 0xFF
        try:
            api.clean_bytes(bytes(damaged))
        except GeoscrubError as err:
            assert not isinstance(err, InternalError), (at, err)


# ------------------------------------------------------------ files, big files, everywhere --


def test_big_videos_are_cleaned_a_window_at_a_time(tmp_path, monkeypatch):
    data = vb.movie([vb.video_track(vb.film(200, 3000)), vb.gps_track(), vb.sound_track(vb.sound(200))],
                    faststart=True, moov_extra=(vb.udta_location(),))
    src = tmp_path / "clip.mp4"
    src.write_bytes(data)
    expected = clean(data)
    monkeypatch.setattr(api, "IN_MEMORY_MAX", 0)
    monkeypatch.setattr(fileview, "WINDOW", 4096)
    seen = []
    real = fileview.FileView.__init__
    monkeypatch.setattr(fileview.FileView, "__init__", lambda self, fd, size: (seen.append(size), real(self, fd, size))[1])
    result = geoscrub.clean(src, tmp_path / "out.mp4")
    assert result.error is None and seen
    assert (tmp_path / "out.mp4").read_bytes() == expected


def test_big_videos_are_never_held_in_memory(tmp_path, monkeypatch):
    src = tmp_path / "clip.mov"
    src.write_bytes(phone_clip(brand=b"qt  "))
    monkeypatch.setattr(limits, "MAX_IN_MEMORY_BYTES", 1000)  # a photo read whole this big would be refused
    monkeypatch.setattr(api, "IN_MEMORY_MAX", 0)
    assert geoscrub.clean(src, tmp_path / "out.mov").error is None


def test_a_huge_movie_box_hits_a_named_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_MOVIE_BOX_BYTES", 1000)
    assert refused(phone_clip(), LimitExceeded).limit == "MAX_MOVIE_BOX_BYTES"


def test_too_many_chunks_hit_a_named_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_VIDEO_CHUNKS", 5)
    assert refused(phone_clip(), LimitExceeded).limit == "MAX_VIDEO_CHUNKS"


def test_the_cli_cleans_videos_found_in_folders(tmp_path):
    from click.testing import CliRunner

    from geoscrub.cli import main

    folder = tmp_path / "films"
    folder.mkdir()
    for name, brand in (("a.mp4", b"isom"), ("b.mov", b"qt  "), ("c.3gp", b"3gp5"), ("d.m4v", b"M4V ")):
        (folder / name).write_bytes(phone_clip(brand=brand))
    result = CliRunner().invoke(main, ["clean", "--output", str(tmp_path / "out"), str(folder)])
    assert result.exit_code == 0, result.output
    for name in ("a.mp4", "b.mov", "c.3gp", "d.m4v"):
        out = (tmp_path / "out" / name).read_bytes()
        assert vb.ISO6709 not in out and kept_samples(out) == kept_samples((folder / name).read_bytes())
    checked = CliRunner().invoke(main, ["check", str(folder)])
    assert "Shows where it was filmed" in checked.output
    assert "4 show where they were filmed" in checked.output.splitlines()[-1]


def test_the_check_summary_says_taken_or_filmed_for_photos_and_clips_together(tmp_path):
    from click.testing import CliRunner

    from geoscrub.cli import main
    from tests.builders import core

    (tmp_path / "clip.mp4").write_bytes(phone_clip())
    (tmp_path / "photo.jpg").write_bytes(core.dirty_jpeg())
    summary = CliRunner().invoke(main, ["check", str(tmp_path)]).output.splitlines()[-1]
    assert "2 show where they were taken or filmed" in summary


#: The tags ffmpeg writes as Apple keys (-movflags use_metadata_tags): its own, and a position.
FFMPEG_KEYS = {
    b"major_brand": b"isom", b"minor_version": b"512", b"compatible_brands": b"isomiso2mp41",
    b"location": b"+51.5007-000.1246/", b"creation_time": b"2025-06-14T16:03:11Z", b"encoder": b"Lavf59.27.100",
}


def _checked(tmp_path: Path, data: bytes, name: str = "clip.mp4") -> tuple[list[str], dict]:
    """What ``check`` prints (its bullets) and says in JSON about one clip."""
    import json

    from click.testing import CliRunner

    from geoscrub.cli import main

    clip = tmp_path / name
    clip.write_bytes(data)
    printed = CliRunner().invoke(main, ["check", str(clip)]).output
    [obj] = json.loads(CliRunner().invoke(main, ["check", "--json", str(clip)]).output)
    return [line[4:] for line in printed.splitlines() if line.startswith("  - ")], obj


def _words_for_ffmpeg_tags(bullets: list[str], obj: dict) -> None:
    assert bullets[0] == "Shows where it was filmed: near City of Westminster, England, United Kingdom"
    assert obj["location"]["latitude"] == pytest.approx(51.5007, abs=1e-4)
    assert obj["location"]["longitude"] == pytest.approx(-0.1246, abs=1e-4)
    assert not any("+51.5007" in b for b in bullets), bullets
    assert not any("someone typed" in b for b in bullets), bullets
    assert "Names the app or software that made it: Lavf59.27.100" in bullets
    assert any(b.startswith("Tells when the video was filmed or edited:") and "14 June 2025 at 16:03:11" in b
               for b in bullets), bullets
    kinds = {f["key"]: f["category"] for f in obj["findings"]}
    assert kinds["encoder"] == "device" and kinds["creation_time"] == "time"


def test_an_ffmpeg_position_tag_is_read_as_a_place_and_its_own_tags_as_software_and_time(tmp_path):
    data = vb.movie([vb.video_track()], moov_extra=(vb.mdta_keys(FFMPEG_KEYS),))
    _words_for_ffmpeg_tags(*_checked(tmp_path, data))


def test_how_precise_a_phones_position_is_is_said_like_for_photos(tmp_path):
    keys = {b"com.apple.quicktime.location.ISO6709": b"+51.5007-000.1246+012.000/",
            b"com.apple.quicktime.location.accuracy.horizontal": b"8.000000"}
    bullets, obj = _checked(tmp_path, vb.movie([vb.video_track()], moov_extra=(vb.mdta_keys(keys),)))
    assert bullets[0] == "Shows where it was filmed: near City of Westminster, England, United Kingdom (to about 8 m)"
    assert obj["location"]["accuracy_m"] == 8.0
    assert not any("8.000000" in b for b in bullets), bullets


def test_a_location_key_holding_a_place_name_is_still_said_to_name_the_place(tmp_path):
    keys = {b"com.apple.quicktime.location.name": b"Parliament Square",
            b"com.apple.quicktime.location.date": b"2025-06-14T16:03:11+0100"}
    bullets, _ = _checked(tmp_path, vb.movie([vb.video_track()], moov_extra=(vb.mdta_keys(keys),)))
    assert "Names the place where it was filmed: Parliament Square" in bullets
    assert any(b.startswith("Tells when the video was filmed") and "14 June 2025 at 16:03:11" in b for b in bullets)


def test_a_typed_title_is_still_a_typed_title_and_an_unknown_tag_is_not(tmp_path):
    keys = {b"com.apple.quicktime.title": b"Sam's party", b"com.example.shutter": b"fast"}
    bullets, _ = _checked(tmp_path, vb.movie([vb.video_track()], moov_extra=(vb.mdta_keys(keys),)))
    assert "Has a title, comment or description someone typed: Sam's party" in bullets
    assert not any("someone typed" in b and "fast" in b for b in bullets), bullets


# ------------------------------------------------------------ real clips --


REQUIRE_TOOLS = os.environ.get("GEOSCRUB_REQUIRE_TOOLS") == "1"


def _need_ffmpeg() -> None:
    if shutil.which("ffmpeg") is None:
        if REQUIRE_TOOLS:
            pytest.fail("ffmpeg is required (GEOSCRUB_REQUIRE_TOOLS=1)")
        pytest.skip("ffmpeg is not installed")


def _streams(path: Path) -> bytes:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v?", "-map", "0:a?", "-c", "copy",
                           "-f", "streamhash", "-hash", "sha256", "-"], capture_output=True, check=True).stdout


@pytest.mark.parametrize("flags", [[], ["-movflags", "+faststart"]], ids=["moov-last", "faststart"])
def test_an_ffmpeg_clip_plays_the_same_after_cleaning(tmp_path, flags):
    _need_ffmpeg()
    src = tmp_path / "clip.mov"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=1",
                    "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "mpeg4", "-c:a", "aac", "-shortest",
                    "-metadata", "location=+48.8584+002.2945/", "-metadata", "artist=Alex Example",
                    "-metadata:s:v", "rotate=90", *flags, str(src)], check=True, capture_output=True)
    result = geoscrub.clean(src, tmp_path / "out.mov")
    assert result.error is None and result.location is not None
    out = (tmp_path / "out.mov").read_bytes()
    assert b"Alex Example" not in out and b"+48.8584" not in out
    assert _streams(tmp_path / "out.mov") == _streams(src)
    assert vb.matrices(out) == vb.matrices(src.read_bytes())


def test_a_clip_ffmpeg_made_is_worded_like_a_photo(tmp_path):
    _need_ffmpeg()
    src = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=1",
                    "-c:v", "mpeg4", "-metadata", "location=+51.5007-000.1246/",
                    "-metadata", "creation_time=2025-06-14T16:03:11Z", "-movflags", "use_metadata_tags", str(src)],
                   check=True, capture_output=True)
    _words_for_ffmpeg_tags(*_checked(tmp_path, src.read_bytes(), "made.mp4"))


#: ../shared/corpus/video beside the repository (or beside a folder holding it, for worktrees).
CORPUS = next((p / "shared" / "corpus" / "video" for p in Path(__file__).resolve().parents[1:]
               if (p / "shared" / "corpus" / "video").is_dir()), Path("/nonexistent"))
HEADER_ONLY = {"QuickTime.mov", "pentax_320x240.mov"}  # their media data was cut away by their authors


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus (../shared/corpus/video) is not here")
@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*")) if CORPUS.is_dir() else [])
def test_real_clips_are_cleaned_or_refused_with_a_reason(tmp_path, name):
    result = geoscrub.clean(CORPUS / name, tmp_path / name)
    if name in HEADER_ONLY:
        assert isinstance(result.error, TruncatedFile) and "cut away" in str(result.error)
        return
    assert result.error is None, result.error
    assert result.findings
    out = (tmp_path / name).read_bytes()
    assert not findings(out).findings
    assert b"\xa9xyz" not in out and b"GPS5" not in out
    if shutil.which("ffmpeg"):
        assert _streams(tmp_path / name) == _streams(CORPUS / name)


def test_a_video_keeps_its_own_extension_whatever_its_brand(tmp_path):
    from click.testing import CliRunner

    from geoscrub.cli import main

    src = tmp_path / "IMG_0001.MOV"
    src.write_bytes(phone_clip(brand=b"isom"))  # an MP4 brand in a .MOV file
    result = CliRunner().invoke(main, ["clean", str(src)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "IMG_0001.clean.MOV").exists()


def test_the_watch_service_cleans_big_videos_from_disk(tmp_path, monkeypatch):
    from tests.test_watch import Dirs, drop, files_under, inbox_is_empty, running, wait_for

    dirs = Dirs(tmp_path)
    data = vb.movie([vb.video_track(vb.film(40, 2000)), vb.gps_track(), vb.sound_track()], faststart=True,
                    moov_extra=(vb.mdta_keys(),))
    expected = clean(data)
    monkeypatch.setattr(api, "IN_MEMORY_MAX", 0)  # every upload counts as big
    monkeypatch.setattr(fileview, "WINDOW", 4096)
    with running(dirs, poll=False):
        drop(dirs.inbox / "trip" / "GX010042.MP4", data)
        wait_for(inbox_is_empty(dirs), what="the video to be handled")
    assert files_under(dirs.quarantine) == []
    assert (dirs.outbox / "trip" / "GX010042.MP4").read_bytes() == expected


def test_a_video_that_cannot_be_cleaned_still_says_what_it_gives_away(tmp_path):
    data = phone_clip(faststart=True)
    cut = data[: data.index(b"mdat") - 4] + struct.pack(">I", 8) + b"mdat"  # media data cut away
    src = tmp_path / "cut.mov"
    src.write_bytes(cut)
    result = geoscrub.scan(src)
    assert isinstance(result.error, TruncatedFile)
    assert result.location is not None and {"Make", "Model"} <= {f.key for f in result.findings}


def test_unknown_codec_settings_are_refused_and_notes_in_them_dropped():
    unknown = vb.Track(b"vide", vb.visual_entry(children=(vb.box(b"zzzz", b"setting"),)), vb.film())
    assert "zzzz" in str(refused(vb.movie([unknown]), UnsafeToClean))
    noted = vb.Track(b"vide", vb.visual_entry(children=(vb.box(b"avcC", b"\x01config"),
                                                        vb.box(b"uuid", bytes(16), b"Alex's camera"))), vb.film())
    data = vb.movie([noted])
    assert "'uuid' box" in keys(data)
    cleaned = clean(data)
    assert b"Alex's camera" not in cleaned and b"\x01config" in cleaned


def test_the_web_page_engine_cleans_videos():
    from geoscrub.web import engine

    result = engine.clean_for_page(phone_clip(brand=b"qt  "), "IMG_0042.MOV")
    assert result["status"] == "cleaned" and result["format"] == "MOV"
    assert result["kept_name"] == "IMG_0042.clean.MOV" and result["mime"] == "video/quicktime"
    assert result["download_name"] == result["neutral_name"] and result["neutral_name"].endswith(".mov")
    assert result["bullets"][0].startswith("Shows where it was filmed")
    assert vb.ISO6709 not in bytes(result["cleaned"])


@pytest.mark.parametrize("brand, name, mime", [(b"isom", "clip.mp4", "video/mp4"), (b"3gp5", "clip.3gp", "video/3gpp"),
                                               (b"qt  ", "IMG_1.MOV", "video/quicktime")])
def test_the_web_page_offers_every_clip_as_a_video(brand, name, mime):
    from geoscrub.web import engine

    result = engine.clean_for_page(phone_clip(brand=brand), name)
    assert result["status"] == "cleaned" and result["mime"] == mime


def test_the_web_pages_picker_and_share_target_take_clips():
    import json
    from importlib import resources

    static = resources.files("geoscrub.web").joinpath("static")
    picker = static.joinpath("index.html").read_text(encoding="utf-8")
    accept = picker.split('accept="', 1)[1].split('"', 1)[0].split(",")
    shared = json.loads(static.joinpath("manifest.webmanifest").read_text(encoding="utf-8"))
    share_accept = shared["share_target"]["params"]["files"][0]["accept"]
    for wanted in ("video/*", ".mp4", ".mov", ".m4v", ".3gp"):
        assert wanted in accept and wanted in share_accept


@pytest.mark.parametrize("faststart", [False, True])
def test_a_second_media_data_box_that_no_track_uses_is_dropped(faststart):
    extra = vb.box(b"mdat", b"HIDDEN " + vb.ISO6709)
    data = vb.movie([vb.video_track(), vb.sound_track()], faststart=faststart, top_extra=(extra,))
    assert vb.top_types(data).count(b"mdat") == 2
    assert "UnusedMediaData" in keys(data)
    cleaned = clean(data)
    assert vb.top_types(cleaned).count(b"mdat") == 1 and b"HIDDEN" not in cleaned
    assert kept_samples(cleaned) == kept_samples(data)
