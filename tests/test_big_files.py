"""Big photos are walked and cleaned from disk a window at a time, with the same results."""
from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoscrub import api, fileview
from geoscrub.errors import VerificationFailed
from geoscrub.fileview import FileView, same_range
from geoscrub.formats import gif, jpeg, jpeg_layout, png
from tests.builders import core
from tests.builders import gif as gif_builders
from tests.builders import heif as heif_builders
from tests.builders import tiff as tiff_builders

SMALL_WINDOW = 4096


def _use_small_windows(monkeypatch) -> None:
    monkeypatch.setattr(api, "IN_MEMORY_MAX", 0)
    monkeypatch.setattr(fileview, "WINDOW", SMALL_WINDOW)
    monkeypatch.setattr(jpeg_layout, "_WINDOW", SMALL_WINDOW)
    monkeypatch.setattr(png, "_PIECE", SMALL_WINDOW // 3)
    monkeypatch.setattr(gif, "_PIECE", SMALL_WINDOW // 5)


@pytest.fixture
def small_windows(monkeypatch):
    """Everything counts as big, and windows are tiny, so every edge case is met on small files."""
    _use_small_windows(monkeypatch)


def _view_of(tmp_path, data: bytes) -> FileView:
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    return FileView(fd, len(data))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=0, max_size=3 * SMALL_WINDOW),
       cuts=st.lists(st.integers(min_value=-10, max_value=3 * SMALL_WINDOW + 10), min_size=2, max_size=6),
       needle=st.sampled_from([b"\xff", b"\xff\xd9", b"abc", b"\x00\x00\x00\x00"]))
def test_a_file_view_answers_like_the_bytes_it_reads(tmp_path_factory, data, cuts, needle):
    fileview.WINDOW = SMALL_WINDOW
    try:
        view = _view_of(tmp_path_factory.mktemp("v"), data)
        try:
            assert len(view) == len(data)
            for a, b in itertools.pairwise(cuts):
                assert view[a:b] == data[a:b]
                if -len(data) <= a < len(data):
                    assert view[a] == data[a]
                assert view.find(needle, max(a, 0)) == data.find(needle, max(a, 0))
                start, prefix = max(a, 0), data[max(a, 0) : max(a, 0) + 5]
                assert view.startswith(prefix, start) == data.startswith(prefix, start)
                assert view.startswith(needle, start) == data.startswith(needle, start)
        finally:
            os.close(view.fd)
    finally:
        fileview.WINDOW = 4 * 1024 * 1024


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0x00, 0xFF, 0xD0, 0xD9, 0xE1, 0x42]), max_size=60), st.integers(0, 20))
def test_the_windowed_marker_search_matches_the_whole_buffer_search(values, window):
    data = bytes(values)

    class Sliced(bytes):
        """Not exactly ``bytes``, so the search goes window by window."""

    jpeg_layout._WINDOW, saved = max(window, 1), jpeg_layout._WINDOW
    try:
        assert jpeg_layout.entropy_end(Sliced(data), 0) == jpeg_layout.find_marker_in_scan(data, 0)
    finally:
        jpeg_layout._WINDOW = saved


def _noisy_photo(progressive: bool = False) -> bytes:
    from PIL import Image

    base = core.encode(Image.effect_noise((300, 200), 70).convert("RGB"), "JPEG", quality=95,
                       progressive=progressive)
    return base


def _noisy_png() -> bytes:
    from PIL import Image

    return core.encode(Image.effect_noise((300, 200), 70).convert("RGB"), "PNG", compress_level=1)


def _one_idat(data: bytes) -> bytes:
    """The same PNG with all its picture data in a single IDAT chunk."""
    chunks = core.png_chunks(data)
    idat = b"".join(body for ctype, body in chunks if ctype == b"IDAT")
    out, placed = [data[:8]], False
    for ctype, body in chunks:
        if ctype == b"IDAT":
            if not placed:
                out.append(core.png_chunk(b"IDAT", idat))
                placed = True
            continue
        out.append(core.png_chunk(ctype, body))
    return b"".join(out)


def _animated_webp() -> bytes:
    import io

    from PIL import Image

    frames = [Image.effect_noise((120, 90), 40 + i * 20).convert("RGB") for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=100, quality=80)
    data = out.getvalue()
    assert b"ANMF" in data
    return data


@pytest.mark.parametrize("photo", ["dirty", "progressive", "motion", "orientation", "clean",
                                   "png dirty", "png one idat", "png clean", "png orientation",
                                   "webp dirty", "webp animated", "tiff dirty", "tiff big-endian",
                                   "tiff multipage", "dng", "gif animated", "gif dirty", "gif big frame",
                                   "heic dirty", "heic thumbnail and depth", "heic grid", "heic motion",
                                   "avif dirty"])
def test_a_big_file_is_cleaned_to_exactly_what_memory_would_give(tmp_path, monkeypatch, photo):
    data = {
        "tiff dirty": lambda: tiff_builders.dirty_tiff(orientation=6, icc=core.icc_profile()),
        "tiff big-endian": lambda: tiff_builders.dirty_tiff(">"),
        "tiff multipage": tiff_builders.multipage_tiff,
        "dng": tiff_builders.dng,
        "gif animated": lambda: gif_builders.encode(4),
        "gif dirty": _dirty_gif,
        "gif big frame": _big_gif,
        "webp dirty": lambda: core.dirty_webp() + b"trailing bytes",
        "webp animated": _animated_webp,
        "png dirty": lambda: core.png([core.text("Author", "Alex"), core.itxt("XML:com.adobe.xmp", "<x/>")],
                                      [core.png_chunk(b"eXIf", core.exif_tiff())], trailer=b"old bytes",
                                      base=_noisy_png()),
        "png one idat": lambda: core.png([core.text("Author", "Alex")], base=_one_idat(_noisy_png())),
        "png clean": _noisy_png,
        "png orientation": lambda: core.png(after_idat=[core.png_chunk(b"eXIf", core.exif_tiff(orientation=6))],
                                            base=_noisy_png()),
        "dirty": lambda: core.jpeg([core.app1_exif(core.exif_tiff()), core.app1_xmp(core.xmp_packet()),
                                    core.comment("hello")], base=_noisy_photo()),
        "progressive": lambda: core.jpeg([core.app1_exif(core.exif_tiff())], base=_noisy_photo(True)),
        "motion": lambda: core.jpeg([core.app1_exif(core.exif_tiff())], trailer=core.mp4_video(3),
                                    base=_noisy_photo()),
        "orientation": lambda: core.jpeg([core.app1_exif(core.exif_tiff(orientation=6))], base=_noisy_photo()),
        "clean": _noisy_photo,
        "heic dirty": lambda: heif_builders.single(_noisy_heic(), exif=heif_builders.exif_item(),
                                                   xmp=core.xmp_packet(), trailer=b"old bytes"),
        "heic thumbnail and depth": lambda: heif_builders.with_thumbnail_and_depth(_noisy_heic()),
        "heic grid": lambda: heif_builders.grid(rows=2, cols=2),
        "heic motion": lambda: heif_builders.motion_photo(_noisy_heic()),
        "avif dirty": lambda: heif_builders.single(_noisy_avif(), exif=heif_builders.exif_item()),
    }[photo]()
    src = tmp_path / "in.jpg"
    src.write_bytes(data)
    in_memory = api.clean(src, tmp_path / "memory.jpg")
    scanned_in_memory = api.scan(src)
    _use_small_windows(monkeypatch)
    streamed = api.clean(src, tmp_path / "streamed.jpg")
    assert streamed.error is None and in_memory.error is None
    assert (tmp_path / "streamed.jpg").read_bytes() == (tmp_path / "memory.jpg").read_bytes()
    assert [f.key for f in streamed.findings] == [f.key for f in in_memory.findings]
    scanned = api.scan(src)
    assert (scanned.status, [f.key for f in scanned.findings]) == \
        (scanned_in_memory.status, [f.key for f in scanned_in_memory.findings])


def _dirty_gif() -> bytes:
    """An animated GIF with a comment, XMP and trailing bytes around its frames."""
    data = gif_builders.encode(3)
    at = gif_builders.screen_end(data)
    return (data[:at] + gif_builders.comment_ext("Alex at the park") + gif_builders.xmp_ext()
            + data[at:] + b"after the trailer")


def _big_gif() -> bytes:
    """One noisy frame: about 100 KB of LZW codes, followed a piece at a time."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((400, 300), 90).convert("P").save(out, "GIF")
    return out.getvalue()


def _noisy_heic() -> bytes:
    """A lossless HEIC of noise: one coded picture of about 160 KB."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((400, 300), 90).convert("RGB").save(out, "HEIF", quality=-1)
    return out.getvalue()


def _noisy_avif() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((400, 300), 90).convert("RGB").save(out, "AVIF", quality=95)
    return out.getvalue()


def _big_tiff() -> bytes:
    page = tiff_builders.rgb_page(300, 200, rows_per_strip=200)  # one strip of 180 KB
    page.tags += tiff_builders.owner_tags()
    return tiff_builders.tiff([page])


@pytest.mark.parametrize("kind", ["jpeg", "png", "tiff", "gif", "heic", "avif"])
def test_a_big_file_is_never_read_more_than_a_window_at_a_time(tmp_path, monkeypatch, small_windows, kind):
    reads = []
    real_read_at = fileview.read_at

    def recording(fd, offset, length):
        reads.append(length)
        return real_read_at(fd, offset, length)

    monkeypatch.setattr(fileview, "read_at", recording)
    src = tmp_path / "in.jpg"
    src.write_bytes({
        "jpeg": lambda: core.jpeg([core.app1_exif(core.exif_tiff())], trailer=core.mp4_video(2), base=_noisy_photo()),
        "png": lambda: core.png([core.text("Author", "Alex")], base=_one_idat(_noisy_png())),
        "tiff": _big_tiff,
        "gif": _big_gif,
        "heic": lambda: heif_builders.motion_photo(_noisy_heic()),
        "avif": lambda: heif_builders.single(_noisy_avif(), exif=heif_builders.exif_item()),
    }[kind]())
    assert os.path.getsize(src) > 10 * SMALL_WINDOW
    report = api.clean(src, tmp_path / "out.jpg")
    assert report.error is None
    assert reads and max(reads) <= SMALL_WINDOW + 1
    assert api.scan(tmp_path / "out.jpg").status == "clean"


def test_a_big_file_changed_during_cleaning_is_refused(tmp_path, monkeypatch, small_windows):
    src = tmp_path / "in.jpg"
    data = core.jpeg([core.app1_exif(core.exif_tiff())], base=_noisy_photo())
    src.write_bytes(data)
    real_start = api.start_write_plan

    def tamper_then_write(*args, **kwargs):
        middle = len(data) // 2  # inside the coded picture: a metadata segment appears there
        with open(src, "r+b") as handle:
            handle.seek(middle)
            handle.write(b"\xff\xfe\x00\x06name")
        return real_start(*args, **kwargs)

    monkeypatch.setattr(api, "start_write_plan", tamper_then_write)
    report = api.clean(src, tmp_path / "out.jpg")
    assert isinstance(report.error, VerificationFailed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jpg"]


def test_a_dry_run_on_a_big_file_leaves_nothing_behind(tmp_path, small_windows):
    from click.testing import CliRunner

    from geoscrub.cli import main

    photos = tmp_path / "in"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(core.jpeg([core.app1_exif(core.exif_tiff())], base=_noisy_photo()))
    result = CliRunner().invoke(main, ["clean", "--dry-run", str(photos)])
    assert result.exit_code == 0, result.output
    assert "would clean" in result.output.lower()
    assert [p.name for p in photos.iterdir()] == ["a.jpg"]


def test_ranges_compare_across_windows(tmp_path, small_windows):
    data = os.urandom(5 * SMALL_WINDOW)
    view = _view_of(tmp_path, data)
    try:
        assert same_range(view, 100, data, 100, 4 * SMALL_WINDOW)
        changed = data[:3 * SMALL_WINDOW] + bytes([data[3 * SMALL_WINDOW] ^ 1]) + data[3 * SMALL_WINDOW + 1 :]
        assert not same_range(view, 0, changed, 0, len(data))
        assert not same_range(view, 1, data, 0, len(data))  # runs past the end
    finally:
        os.close(view.fd)


_MUTATION = st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate"]), st.floats(0, 1),
                      st.binary(min_size=1, max_size=6))


_SEEDS = {
    "jpeg": lambda: core.jpeg([core.app1_exif(core.exif_tiff()), core.comment("x")], trailer=core.mp4_video(1)),
    "png": core.dirty_png,
    "webp": core.dirty_webp,
    "webp animated": _animated_webp,
    "tiff": tiff_builders.dirty_tiff,
    "dng": tiff_builders.dng,
    "gif": lambda: _dirty_gif(),
    "heic": lambda: heif_builders.with_thumbnail_and_depth(),
    "heic motion": lambda: heif_builders.motion_photo(),
    "avif": lambda: heif_builders.single(heif_builders.avif(), exif=heif_builders.exif_item()),
}


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(sorted(_SEEDS)), st.lists(_MUTATION, min_size=1, max_size=3))
def test_damaged_files_get_the_same_verdict_read_whole_or_in_windows(tmp_path_factory, seed, mutations):
    """Whatever the damage, the windowed walk refuses or cleans exactly as the in-memory one does."""
    data = bytearray(_SEEDS[seed]())
    for kind, where, blob in mutations:
        at = int(where * (len(data) - 1))
        if kind == "flip":
            if data:  # an earlier truncate and delete can leave nothing to flip
                data[at] ^= blob[0] or 1
        elif kind == "insert":
            data[at:at] = blob
        elif kind == "delete":
            del data[at : at + len(blob)]
        else:
            del data[max(at, 3):]
    folder = tmp_path_factory.mktemp("m")
    src = folder / "in.jpg"
    src.write_bytes(bytes(data))
    results = []
    for in_memory_max, window in ((api.IN_MEMORY_MAX, fileview.WINDOW), (0, 512)):
        saved = api.IN_MEMORY_MAX, fileview.WINDOW, jpeg_layout._WINDOW, png._PIECE, gif._PIECE
        api.IN_MEMORY_MAX, fileview.WINDOW, jpeg_layout._WINDOW = in_memory_max, window, window
        png._PIECE = window // 3 if in_memory_max == 0 else png._PIECE
        gif._PIECE = window // 5 if in_memory_max == 0 else gif._PIECE
        try:
            out = folder / f"out-{in_memory_max}.jpg"
            report = api.clean(src, out)
            scanned = api.scan(src)
        finally:
            api.IN_MEMORY_MAX, fileview.WINDOW, jpeg_layout._WINDOW, png._PIECE, gif._PIECE = saved
        results.append((type(report.error).__name__, out.read_bytes() if out.exists() else None,
                        scanned.status, [f.key for f in scanned.findings]))
    assert results[0] == results[1]


def test_a_big_file_that_shrinks_while_it_is_read_is_refused_as_cut_short(tmp_path, small_windows):
    from geoscrub.errors import TruncatedFile

    data = bytes(range(256)) * (10 * SMALL_WINDOW // 256)  # no FF D9 anywhere
    view = _view_of(tmp_path, data)
    try:
        assert view[:10] == data[:10]
        os.truncate(tmp_path / "f.bin", 3 * SMALL_WINDOW)  # someone cut the file meanwhile
        with pytest.raises(TruncatedFile, match="got shorter"):
            view[5 * SMALL_WINDOW]
        with pytest.raises(TruncatedFile):
            view.find(b"\xff\xd9", 2 * SMALL_WINDOW)
    finally:
        os.close(view.fd)


def test_a_big_jpeg_cut_inside_its_picture_is_refused_as_incomplete_read_in_windows(tmp_path, small_windows):
    whole = core.jpeg([core.app1_exif(core.exif_tiff())], base=_noisy_photo())
    cut = whole[: len(whole) * 3 // 5]
    assert len(cut) > 3 * SMALL_WINDOW  # the search for the end crosses several windows
    src = tmp_path / "cut.jpg"
    src.write_bytes(cut)
    report = api.clean(src, tmp_path / "out.jpg")
    assert "the picture itself is incomplete" in str(report.error)
    assert not (tmp_path / "out.jpg").exists()
