"""``scan_file`` reads only headers and the end of a big JPEG when that is provably enough."""
from __future__ import annotations

import pytest
from PIL import Image

from geoscrub import api, fsio
from tests.builders import core


@pytest.fixture(scope="module")
def big_base() -> bytes:
    data = core.encode(Image.effect_noise((1000, 800), 60).convert("RGB"), "JPEG", quality=95)
    assert len(data) > api.HEAD_BYTES + api.TAIL_BYTES
    return data


@pytest.fixture
def reads(monkeypatch):
    """Count the bytes scan_file asks for."""
    counted = []
    real = fsio.read_at

    def counting(fd, offset, length):
        data = real(fd, offset, length)
        counted.append(len(data))
        return data

    monkeypatch.setattr(api, "read_at", counting)
    monkeypatch.setattr(fsio, "read_at", counting)  # read_all reads through it
    return counted


def test_identifying_jpeg_is_judged_from_head_and_tail(tmp_path, big_base, reads):
    path = tmp_path / "big.jpg"
    path.write_bytes(core.jpeg([core.app1_exif(core.exif_tiff())], base=big_base))
    fmt, found = api.scan_file(path)
    assert fmt.name == "JPEG" and any(f.key == "GPSPosition" for f in found.findings)
    assert sum(reads) == api.HEAD_BYTES + api.TAIL_BYTES < path.stat().st_size


def test_quick_result_matches_the_full_walk(tmp_path, big_base):
    data = core.jpeg([core.app1_exif(core.exif_tiff()), core.app1_xmp(core.xmp_packet(gps=False))], base=big_base)
    path = tmp_path / "big.jpg"
    path.write_bytes(data)
    assert api.scan_file(path)[1] == api.scan_bytes(data)[1]


def test_a_file_that_may_be_clean_is_always_walked_whole(tmp_path, big_base, reads):
    path = tmp_path / "plain.jpg"
    path.write_bytes(big_base)
    assert api.scan_file(path)[1].findings == ()
    assert sum(reads) >= len(big_base)  # the whole file was read


@pytest.mark.parametrize("trailer", [
    core.mp4_video(2),
    core.encode(core.picture(), "JPEG"),  # an old picture's tail left behind an edit
    b"some unknown bytes after the picture",
])
def test_bytes_after_the_picture_force_the_full_walk(tmp_path, big_base, trailer, reads):
    path = tmp_path / "trailer.jpg"
    path.write_bytes(core.jpeg([core.app1_exif(core.exif_tiff())], trailer=trailer, base=big_base))
    found = api.scan_file(path)[1]
    assert sum(reads) >= path.stat().st_size  # the whole file was read
    assert any(f.source == "trailer" for f in found.findings)


def test_progressive_jpeg_with_metadata_between_scans_is_walked_whole(tmp_path, reads):
    progressive = core.encode(Image.effect_noise((1000, 800), 60).convert("RGB"), "JPEG", quality=95,
                              progressive=True)
    from geoscrub.formats import jpeg

    second_sos = [s for s in jpeg.parse(progressive).segments if s.marker == jpeg.SOS][1]
    hidden = core.app1_exif(core.exif_tiff())
    data = core.jpeg([core.comment("hello")],
                     base=progressive[: second_sos.start] + hidden + progressive[second_sos.start :])
    path = tmp_path / "progressive.jpg"
    path.write_bytes(data)
    found = api.scan_file(path)[1]
    assert sum(reads) >= len(data)  # the whole file was read
    assert any(f.key == "GPSPosition" for f in found.findings)
