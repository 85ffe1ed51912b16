"""Regression tests for hostile files and failing disks (threats.md cases 1-32).

Each test names the case it covers.  The rule everywhere: a clear, typed
GeoscrubError (or a verified clean copy), never a traceback, a hang, a
memory blow-up, a leaked file or a half-written photo.
"""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

import geoscrub
from geoscrub import fsio, limits
from geoscrub.errors import (
    DiskFull,
    GeoscrubError,
    LimitExceeded,
    MalformedFile,
    NotARegularFile,
    TruncatedFile,
    UnsupportedFormat,
    WriteFailed,
)
from geoscrub.metadata import exif, xmp
from tests.builders import core, hostile
from tests.builders.systems import POSIX_ONLY

ROOT = Path(__file__).resolve().parent.parent


def refused(data: bytes) -> GeoscrubError:
    """The error clean_bytes raises (and scan_bytes too, or it reports the damage)."""
    with pytest.raises(GeoscrubError) as info:
        geoscrub.clean_bytes(data)
    return info.value


def cleaned(data: bytes) -> bytes:
    _fmt, _found, out = geoscrub.clean_bytes(data)
    assert geoscrub.scan_bytes(out)[1].findings == ()
    return out


def findings(data: bytes) -> dict[str, str]:
    return {f.key: f.value for f in geoscrub.scan_bytes(data)[1].findings}


class Budget:
    """CPU-time ceiling around a block, plus a traced-memory ceiling when ``megabytes`` is given.

    It guards against work that grows out of bounds (a hang, a loop over a
    lying length), so it counts the CPU this process spends, not wall time:
    a busy machine must not fail it, a runaway parser still does.

    Memory tracing slows Python code down many times, so it is only used
    around the bomb tests, whose work is done in C (zlib, struct).
    """

    def __init__(self, seconds: float = 2.0, megabytes: int | None = None) -> None:
        self.seconds, self.megabytes = seconds, megabytes

    def __enter__(self) -> Budget:
        if self.megabytes is not None:
            tracemalloc.start()
        self.began = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.process_time() - self.began
        peak = 0
        if self.megabytes is not None:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        if exc[0] is None:
            limit = " (with memory tracing)" if self.megabytes is not None else ""
            assert elapsed < self.seconds * (3 if self.megabytes is not None else 1), f"took {elapsed:.2f} s{limit}"
            if self.megabytes is not None:
                assert peak < self.megabytes * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def exif_carriers(tiff: bytes) -> dict[str, bytes]:
    """The same EXIF block in each core format."""
    return {
        "JPEG": core.jpeg([core.app1_exif(tiff)]),
        "PNG": core.png(after_idat=[core.png_chunk(b"eXIf", tiff)]),
        "WebP": core.webp([core.riff_chunk(b"EXIF", tiff)]),
    }


def xmp_carriers(packet: bytes) -> dict[str, bytes]:
    return {
        "JPEG": core.jpeg([core.app1_xmp(packet)]),
        "PNG": core.png([core.itxt("XML:com.adobe.xmp", packet.decode())]),
        "WebP": core.webp([core.riff_chunk(b"XMP ", packet)]),
    }


# ------------------------------------------------------------ case 1: truncation
def _samples_for_truncation() -> list[tuple[str, bytes]]:
    out = [("JPEG", core.dirty_jpeg(orientation=6)), ("PNG", core.dirty_png()), ("WebP", core.dirty_webp())]
    for fmt, seeds in hostile.seed_files().items():
        if fmt not in ("JPEG", "PNG", "WebP"):
            small = [s for s in seeds if len(s) <= 8192]
            if small:
                out.append((fmt, max(small, key=len)))
    return out


@pytest.mark.parametrize("fmt,sample", _samples_for_truncation(), ids=lambda v: v if isinstance(v, str) else "")
def test_case1_every_truncation_of_a_real_file_is_refused_or_cleaned_never_crashes(fmt, sample):
    outcomes = set()
    with Budget(seconds=20):
        for cut in range(len(sample)):
            try:
                _f, _found, out = geoscrub.clean_bytes(sample[:cut])
            except GeoscrubError as err:
                outcomes.add(type(err).__name__)
                continue
            assert geoscrub.scan_bytes(out)[1].findings == ()
            outcomes.add("cleaned")
    assert outcomes & {"TruncatedFile", "MalformedFile", "UnsupportedFormat"}


def test_case1_the_classic_truncated_exif_header_is_refused():
    err = refused(hostile.jpeg_truncated_exif())
    assert isinstance(err, TruncatedFile)


def test_case1_a_file_cut_inside_the_exif_segment_is_refused_not_read_past_its_end():
    data = core.dirty_jpeg()
    err = refused(data[:40])
    assert isinstance(err, TruncatedFile) and "past the end" in str(err)


# --------------------------------------------------------- cases 2-4: EXIF bombs
@pytest.mark.parametrize("builder", [hostile.exif_ifd_cycle, hostile.exif_subifd_self_loop])
def test_case2_ifd_loops_stop_within_a_second(builder):
    tiff = builder()
    with pytest.raises(MalformedFile, match="loop"):
        exif.walk(tiff)
    for fmt, data in exif_carriers(tiff).items():
        with Budget(seconds=1):
            assert "DamagedExif" in findings(data), fmt
            out = cleaned(data)
        assert b"Cam\x00" not in out


def test_case3_a_huge_count_is_refused_without_allocating_it():
    tiff = hostile.exif_huge_count()
    with pytest.raises(MalformedFile, match="1006641184 bytes past the end"):
        exif.walk(tiff)
    for data in exif_carriers(tiff).values():
        with Budget(seconds=1, megabytes=20):
            assert "DamagedExif" in findings(data)
            cleaned(data)


def test_case3_an_ifd_claiming_65535_entries_hits_the_named_limit():
    with pytest.raises(LimitExceeded) as info:
        exif.walk(hostile.exif_huge_entry_count())
    assert info.value.limit == "MAX_IFD_ENTRIES"


def test_case4_ifds_nested_1000_deep_hit_the_depth_limit_not_a_recursion_error():
    tiff = hostile.exif_deep_nesting(1000)
    with pytest.raises(LimitExceeded) as info:
        exif.walk(tiff)
    assert info.value.limit == "MAX_IFD_DEPTH" and "MAX_IFD_DEPTH" in str(info.value)
    for data in exif_carriers(tiff).values():
        with Budget(seconds=1):
            cleaned(data)


def test_case4_a_chain_of_1000_ifds_hits_the_ifd_count_limit():
    with pytest.raises(LimitExceeded) as info:
        exif.walk(hostile.exif_long_chain(1000))
    assert info.value.limit == "MAX_IFDS"


def test_case2_a_tiff_file_whose_directories_loop_is_refused_quickly():
    tiff = hostile.exif_ifd_cycle()
    with Budget(seconds=1):
        refused(tiff)
        refused(hostile.exif_deep_nesting(1000))


# ---------------------------------------------------------------- case 9: XML
def test_case9_billion_laughs_in_xmp_is_not_expanded():
    bomb = hostile.billion_laughs()
    for fmt, data in xmp_carriers(bomb).items():
        with Budget(seconds=1, megabytes=20):
            found = geoscrub.scan_bytes(data)[1].findings
            out = cleaned(data)
        assert not any("lollol" in f.value for f in found), fmt
        assert any("unsafe XML" in f.value for f in found), fmt
        assert b"ENTITY" not in out


def test_case9_an_external_entity_in_xmp_never_reads_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-HOME-ADDRESS")
    packet = hostile.external_entity_xmp(secret.as_uri())
    for fmt, data in xmp_carriers(packet).items():
        found = geoscrub.scan_bytes(data)[1].findings
        assert not any("TOP-SECRET" in f.value for f in found), fmt
        assert b"TOP-SECRET" not in cleaned(data)
    direct = xmp.scan_xmp(hostile.external_entity_xmp("file:///etc/passwd"))
    assert all("root:" not in f.value for f in direct.findings)


def test_case9_xmp_nested_5000_deep_is_reported_not_recursed():
    with Budget(seconds=2):
        result = xmp.scan_xmp(hostile.deep_xml_xmp(5000))
    assert result.findings


# ------------------------------------------------------- cases 7-8: bombs
def test_case8_a_ztxt_that_inflates_to_1_gb_is_refused_with_the_limit_named():
    data = hostile.ztxt_bomb(1 << 30)
    assert len(data) < 2 * 1024 * 1024
    with Budget(seconds=2, megabytes=50):
        err = refused(data)
    assert isinstance(err, LimitExceeded) and err.limit == "MAX_TEXT_INFLATE"


def test_case8_a_compressed_itxt_bomb_is_refused():
    data = hostile.itxt_bomb()
    with Budget(seconds=2, megabytes=50):
        err = refused(data)
    assert isinstance(err, LimitExceeded) and err.limit == "MAX_TEXT_INFLATE"


def test_case8_many_text_chunks_just_under_the_per_chunk_limit_hit_the_total_limit():
    chunk = core.png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"a" * limits.MAX_TEXT_INFLATE, 9))
    data = core.png([chunk] * (limits.MAX_TEXT_INFLATE_TOTAL // limits.MAX_TEXT_INFLATE + 1))
    with Budget(seconds=2, megabytes=100):
        err = refused(data)
    assert isinstance(err, LimitExceeded) and err.limit == "MAX_TEXT_INFLATE_TOTAL"


def test_case7_a_png_claiming_a_huge_pixel_count_is_refused_before_inflating():
    with Budget(seconds=1, megabytes=20):
        err = refused(hostile.png_huge_frame())
    assert isinstance(err, LimitExceeded) and err.limit == "MAX_PIXELS"
    assert "MAX_PIXELS" in str(err)


@pytest.mark.parametrize("builder", [hostile.jpeg_huge_frame, hostile.webp_huge_frame])
def test_case7_a_huge_declared_size_costs_nothing_where_pixels_are_never_decoded(builder):
    # JPEG and WebP pictures are copied, not decoded: a size header claiming
    # billions of pixels costs no more work than the bytes actually there.
    with Budget(seconds=1, megabytes=20):
        cleaned(builder())


def test_case7_a_frame_at_the_pixel_limit_is_still_accepted():
    side = int(limits.MAX_PIXELS ** 0.5)
    cleaned(hostile.jpeg_huge_frame(side, side))


# ------------------------------------------- lengths past the end, size lies
@pytest.mark.parametrize("builder", [hostile.jpeg_segment_past_eof, hostile.png_chunk_past_eof,
                                     hostile.riff_size_too_big, hostile.riff_chunk_size_lie])
def test_lengths_past_the_end_of_file_are_refused_as_truncated(builder):
    assert isinstance(refused(builder()), TruncatedFile)


def test_a_riff_size_that_hides_the_picture_after_the_riff_end_is_refused():
    """The RIFF size covers only VP8X: 'cleaning' would keep no picture at all."""
    err = refused(hostile.riff_size_too_small())
    assert isinstance(err, MalformedFile) and "no picture" in str(err)


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xd9", b"\xff\xd8" + core.comment("hi") + b"\xff\xd9"])
def test_a_jpeg_without_any_picture_is_refused_not_cleaned_to_nothing(data):
    assert "no picture" in str(refused(data))


def test_a_png_without_idat_is_refused():
    base = core.png()
    no_idat = b"\x89PNG\r\n\x1a\n" + b"".join(
        core.png_chunk(t, b) for t, b in core.png_chunks(base) if t != b"IDAT")
    assert "no picture" in str(refused(no_idat))


@pytest.mark.parametrize("index", range(len(hostile.isobmff_size_lies())))
def test_isobmff_box_size_lies_are_refused(index):
    with Budget(seconds=1, megabytes=50):
        err = refused(hostile.isobmff_size_lies()[index])
    assert isinstance(err, (MalformedFile, UnsupportedFormat))


# --------------------------------------------------- case 10: slow input, totals
def test_case10_megabytes_of_random_app_segments_are_refused_fast_with_the_limit_named():
    import random

    rng = random.Random(10)
    segments = [core.segment(0xE2 + rng.randrange(12), rng.randbytes(65000)) for _ in range(300)]
    data = core.jpeg(segments)
    with Budget(seconds=2):
        err = refused(data)
    assert isinstance(err, LimitExceeded) and err.limit == "MAX_METADATA_BYTES"


def test_case10_hundreds_of_xmp_segments_are_read_only_up_to_the_parse_budget():
    item = b"<dc:title>x</dc:title>"
    head = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">')
    packet = head + item * 2900 + b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    data = core.jpeg([core.app1_xmp(packet)] * 200)  # 13 MB of XMP
    with Budget(seconds=2):
        found = geoscrub.scan_bytes(data)[1].findings
        cleaned(data)
    unread = [f for f in found if "more metadata than geoscrub reads" in f.explanation]
    assert unread and len(unread) < 200


def test_case10_many_exif_blocks_are_read_only_up_to_the_parse_budget():
    data = core.jpeg([core.app1_exif(hostile.exif_long_chain(60))] * 3000)
    with Budget(seconds=2):
        found = geoscrub.scan_bytes(data)[1].findings
    assert any("more metadata than geoscrub reads" in f.explanation for f in found)


def test_a_long_value_is_shortened_without_reading_all_of_it():
    from geoscrub.model import shorten

    with Budget(seconds=0.5):
        text = shorten(b"a" * (8 << 20))
    assert len(text) <= 80


# ----------------------------------------------- cases 11, 14: multiple carriers
def test_case11_gps_in_two_exif_segments_is_removed_from_both():
    data = core.jpeg([core.app1_exif(core.exif_tiff()), core.app1_exif(core.exif_tiff(gps=(48.8584, 2.2945)))])
    out = cleaned(data)
    assert out.count(b"Exif\x00\x00") <= 1
    assert b"Alex" not in out


# -------------------------------------------------------------- case 22: spoofing
def test_case22_content_decides_the_format_not_the_extension(tmp_path):
    cases = {"photo.jpg": (core.dirty_png(), "PNG"), "photo.png": (core.dirty_jpeg(), "JPEG"),
             "photo.gif": (core.dirty_webp(), "WebP")}
    for name, (data, fmt) in cases.items():
        src = tmp_path / name
        src.write_bytes(data)
        report = geoscrub.clean(src, tmp_path / f"out-{name}")
        assert report.error is None and report.format == fmt


@pytest.mark.parametrize("data", [b"AT&TFORM\x00\x00\x10\x00DJVMDIRM" + b"\x00" * 64,
                                  b"%PDF-1.7\n" + b"\x00" * 64, b"PK\x03\x04" + b"\x00" * 64, b"\x00" * 256])
def test_case22_unknown_types_named_jpg_are_refused_never_passed_through(tmp_path, data):
    src = tmp_path / "holiday.jpg"
    src.write_bytes(data)
    dest = tmp_path / "out.jpg"
    report = geoscrub.clean(src, dest)
    assert isinstance(report.error, UnsupportedFormat)
    assert not dest.exists()


def test_case22_a_jpeg_zip_polyglot_is_cut_at_the_end_of_the_picture():
    zip_tail = b"PK\x03\x04" + b"\x14\x00" + b"secret.txt" + b"\x00" * 40 + b"PK\x05\x06" + b"\x00" * 18
    data = core.jpeg() + zip_tail
    assert cleaned(data).endswith(b"\xff\xd9")


# ---------------------------------------------------- cases 27-29: special paths
@POSIX_ONLY
def test_case29_dev_zero_is_refused_as_not_a_regular_file():
    with Budget(seconds=1):
        report = geoscrub.scan("/dev/zero")
    assert isinstance(report.error, NotARegularFile)


@POSIX_ONLY
def test_case29_a_fifo_named_jpg_is_refused_within_a_second(tmp_path):
    fifo = tmp_path / "x.jpg"
    os.mkfifo(fifo)
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(geoscrub.scan(fifo)), daemon=True)
    worker.start()
    worker.join(1.0)
    assert result, "scanning a FIFO blocked"
    assert isinstance(result[0].error, NotARegularFile)
    report = geoscrub.clean(fifo, tmp_path / "out.jpg")
    assert isinstance(report.error, NotARegularFile)


@POSIX_ONLY
def test_case29_a_symlink_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "z.jpg"
    link.symlink_to("/dev/zero")
    assert isinstance(geoscrub.scan(link).error, NotARegularFile)


def test_case27_symlinks_are_refused_when_links_are_not_followed(tmp_path):
    link = tmp_path / "passwd.jpg"
    link.symlink_to("/etc/passwd")
    with pytest.raises(NotARegularFile):
        fsio.read_regular_file(link, follow_symlinks=False)
    report = geoscrub.clean(link, tmp_path / "out.jpg")  # followed: /etc/passwd is no photo
    assert isinstance(report.error, UnsupportedFormat)
    assert not (tmp_path / "out.jpg").exists()


def test_a_folder_is_refused_as_not_a_regular_file(tmp_path):
    assert isinstance(geoscrub.scan(tmp_path).error, (NotARegularFile, GeoscrubError))


def test_max_file_bytes_is_checked_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.jpg"
    big.write_bytes(core.dirty_jpeg())
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    report = geoscrub.clean(big, tmp_path / "out.jpg")
    assert isinstance(report.error, LimitExceeded) and report.error.limit == "MAX_FILE_BYTES"


# --------------------------------------------------------------- case 24: ENOSPC
def _enospc(*_args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("call", ["write", "fsync", "close", "replace"])
def test_case24_disk_full_leaves_original_and_old_copy_intact_and_no_temp_file(tmp_path, monkeypatch, call):
    src = tmp_path / "photo.jpg"
    original = core.dirty_jpeg()
    src.write_bytes(original)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dest = out_dir / "photo.jpg"
    dest.write_bytes(b"previous cleaned copy")
    real_close = os.close
    failed = []

    def failing_close(fd: int) -> None:
        real_close(fd)  # the descriptor is gone, as on NFS where close() reports ENOSPC
        if not failed:  # only the first close after the disk filled: the temp file's
            failed.append(fd)
            _enospc()

    def arm() -> None:
        if call == "close":
            monkeypatch.setattr(fsio.os, "close", failing_close)
        else:
            monkeypatch.setattr(fsio.os, call, _enospc)

    real_scan = geoscrub.api.scan_photo

    def scan_then_fill_the_disk(fmt, data: bytes):
        result = real_scan(fmt, data)
        arm()  # the photo was read; now the disk is full
        return result

    monkeypatch.setattr(geoscrub.api, "scan_photo", scan_then_fill_the_disk)
    report = geoscrub.clean(src, dest)
    monkeypatch.undo()
    assert isinstance(report.error, DiskFull) and isinstance(report.error, WriteFailed), report.error
    assert str(report.error) == "no room left for photo.jpg"
    assert src.read_bytes() == original
    assert dest.read_bytes() == b"previous cleaned copy"
    assert sorted(p.name for p in out_dir.iterdir()) == ["photo.jpg"]


def _failing_syncfs(_fd: int) -> int:
    import ctypes

    ctypes.set_errno(errno.ENOSPC)
    return -1


@pytest.mark.parametrize("fails", ["write", "flush"])
def test_case24_cli_in_place_on_a_full_disk_keeps_the_original(tmp_path, monkeypatch, fails):
    from geoscrub import cli

    photo = tmp_path / "photo.jpg"
    original = core.dirty_jpeg()
    photo.write_bytes(original)
    if fails == "write":
        monkeypatch.setattr(fsio.os, "write", _enospc)
    else:  # delayed allocation: the disk is found full only when the data is flushed
        monkeypatch.setattr(fsio.os, "fsync", _enospc)
        monkeypatch.setattr(fsio, "_syncfs_function", lambda: _failing_syncfs)
    result = CliRunner().invoke(cli.main, ["clean", "--in-place", str(photo)])
    monkeypatch.undo()
    assert result.exit_code == 4, result.output  # stopped because the disk is full
    assert "Traceback" not in result.output
    assert "the disk is full: no room left for photo.jpg" in result.output
    assert photo.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["photo.jpg"]


# ------------------------------------------------------------- case 23: kill -9
_WRITER = textwrap.dedent("""
    import sys
    from geoscrub.fsio import atomic_write
    target, size = sys.argv[1], int(sys.argv[2])
    data = bytes([7]) * size
    print("ready", flush=True)
    while True:
        atomic_write(target, data)
""")


@POSIX_ONLY
def test_case23_kill_9_during_atomic_write_leaves_the_original_or_the_full_replacement(tmp_path):
    target = tmp_path / "photo.jpg"
    original = b"original photo bytes"
    size = 8 * 1024 * 1024
    seen = set()
    for attempt in range(6):
        target.write_bytes(original)
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target), str(size)], stdout=subprocess.PIPE,
                                cwd=ROOT)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.02 + 0.03 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        body = target.read_bytes()
        assert body == original or body == bytes([7]) * size, f"partial file of {len(body)} bytes"
        seen.add("original" if body == original else "replaced")
        leftovers = [p.name for p in tmp_path.iterdir() if p.name != "photo.jpg"]
        assert all(fsio.is_temp_name(name) for name in leftovers), leftovers  # sweepable by name
        for name in leftovers:
            (tmp_path / name).unlink()
    assert seen  # at least one kill landed


_IN_PLACE = textwrap.dedent("""
    import sys
    from geoscrub import cli
    print("ready", flush=True)
    sys.argv = ["geoscrub", "clean", "--in-place", *sys.argv[1:]]
    cli.main()
""")


def _cli_has_in_place() -> bool:
    from geoscrub import cli

    clean_cmd = cli.main.commands.get("clean")
    return clean_cmd is not None and any("--in-place" in p.opts for p in clean_cmd.params)


@POSIX_ONLY
@pytest.mark.skipif(not _cli_has_in_place(), reason="the CLI has no --in-place option yet")
def test_case23_kill_9_during_clean_in_place_leaves_each_photo_whole(tmp_path):
    photos = []
    originals = {}
    for i in range(40):
        path = tmp_path / f"photo{i:02d}.jpg"
        data = core.dirty_jpeg()
        path.write_bytes(data)
        photos.append(path)
        originals[path] = data
    clean_version = cleaned(core.dirty_jpeg())
    proc = subprocess.Popen([sys.executable, "-c", _IN_PLACE, *map(str, photos)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=ROOT)
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(0.4)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for path in photos:
        body = path.read_bytes()
        assert body in (originals[path], clean_version), f"{path.name} is neither the original nor the clean copy"
    for extra in set(tmp_path.iterdir()) - set(photos):
        assert fsio.is_temp_name(extra.name), extra.name


# ------------------------------------------------------- cases 5, 31: hostile names
HOSTILE_NAMES = ["-config x.jpg", "--output.jpg", "a.jpg|", "evil\x1b[31mred.jpg", "new\nline.jpg",
                 "tab\there.jpg", "bell\x07.jpg"]


def test_case5_and_31_hostile_names_are_never_options_and_are_escaped_in_output(tmp_path):
    from geoscrub import cli

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in HOSTILE_NAMES:
        (inbox / name).write_bytes(core.dirty_jpeg())
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["clean", "--output", str(out), str(inbox)])
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 0, text
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in text
    assert "\x1b[31m" not in text and "\x07" not in text
    assert "new\nline" not in text
    assert not (tmp_path / "x.jpg").exists()  # "-config x.jpg" never became an option plus a file
    written = sorted(p.name for p in out.rglob("*") if p.is_file())
    assert len(written) == len(HOSTILE_NAMES)


@pytest.mark.parametrize("name", ["-config x.jpg", "--output.jpg"])
def test_case5_a_file_named_like_an_option_works_after_double_dash(tmp_path, name):
    from geoscrub import cli

    photo = tmp_path / name
    photo.write_bytes(core.dirty_jpeg())
    result = CliRunner().invoke(cli.main, ["check", "--", str(photo)])
    assert result.exit_code == 1, result.output  # something identifying found, nothing else
    assert "Traceback" not in result.output


@POSIX_ONLY
def test_case29_cli_skips_or_refuses_fifo_device_and_symlink_entries_quickly(tmp_path):
    from geoscrub import cli

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "ok.jpg").write_bytes(core.dirty_jpeg())
    os.mkfifo(inbox / "x.jpg")
    (inbox / "z.jpg").symlink_to("/dev/zero")
    (inbox / "p.jpg").symlink_to("/etc/passwd")
    out = tmp_path / "out"
    began = time.perf_counter()
    result = CliRunner().invoke(cli.main, ["clean", "--output", str(out), str(inbox)])
    assert time.perf_counter() - began < 5
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 3)
    written = {p.name for p in out.rglob("*") if p.is_file()}
    assert written == {"ok.jpg"}
    for p in out.rglob("*"):
        if p.is_file():
            assert b"root:" not in p.read_bytes()


@POSIX_ONLY
def test_error_messages_of_every_limit_name_the_limit():
    for name in ("MAX_FILE_BYTES", "MAX_IN_MEMORY_BYTES", "MAX_PIXELS", "MAX_SEGMENTS", "MAX_METADATA_SEGMENTS", "MAX_METADATA_BYTES",
                 "MAX_PARSED_METADATA_BYTES", "MAX_IFDS", "MAX_IFD_ENTRIES", "MAX_IFD_DEPTH", "MAX_TEXT_INFLATE",
                 "MAX_TEXT_INFLATE_TOTAL", "MAX_XMP_PARSE_BYTES", "MAX_XML_DEPTH", "MAX_FRAMES", "MAX_BOXES",
                 "MAX_BOX_DEPTH"):
        maximum = getattr(limits, name)
        with pytest.raises(LimitExceeded) as info:
            limits.enforce(name, maximum + 1, maximum)
        assert info.value.limit == name and name in str(info.value)
        limits.enforce(name, maximum, maximum)  # the limit itself is allowed


_MEMORY = textwrap.dedent("""
    import resource, sys
    import geoscrub
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = geoscrub.clean(sys.argv[1], sys.argv[2])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(report.error is None, before * 1024, peak * 1024)
""")


#: Bigger than the old 128 MiB file limit, so the file is one that used to be refused.
_BIG_FILE_BYTES = 160 * 1024 * 1024


def test_cleaning_a_file_over_128_mib_is_allowed_and_stays_under_500_mb(tmp_path):
    base = core.jpeg([core.app1_exif(core.exif_tiff())])
    sos = base.rfind(b"\xff\xda")
    header_end = sos + 2 + int.from_bytes(base[sos + 2 : sos + 4], "big")
    src = tmp_path / "huge.jpg"
    block = bytes(range(254)) * 4096  # coded data without 0xFF bytes
    with open(src, "wb") as fh:
        fh.write(base[:header_end])
        while fh.tell() < _BIG_FILE_BYTES - len(block) - 2:
            fh.write(block)
        fh.write(b"\xff\xd9")
    result = subprocess.run([sys.executable, "-c", _MEMORY, str(src), str(tmp_path / "out.jpg")],
                            check=False, capture_output=True, text=True, cwd=ROOT, timeout=60)
    ok, before, peak = result.stdout.split()
    assert ok == "True", result.stderr
    assert int(peak) - int(before) < 500 * 1024 * 1024, f"peak grew by {(int(peak) - int(before)) >> 20} MiB"
