"""The entropy-coded data walk: the fast search, and the walk carried over to a cleaned copy."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoscrub.api import clean_bytes, scan_bytes
from geoscrub.errors import VerificationFailed
from geoscrub.formats import jpeg, jpeg_layout
from geoscrub.formats.base import forget_recent_parses
from tests.builders import core

MARKER = re.compile(rb"\xff[\xc0-\xcf\xd8-\xfe]")


@pytest.fixture(autouse=True)
def _forget():
    forget_recent_parses()
    yield
    forget_recent_parses()


def _regex_answer(data: bytes, start: int) -> int | None:
    found = MARKER.search(data, start)
    return None if found is None else found.start()


# bytes biased towards 0xFF and the codes that follow it, where the cases hide
_byte = st.sampled_from([0x00, 0xFF, 0xD0, 0xD7, 0xD8, 0xD9, 0xC0, 0xCF, 0xBF, 0x01, 0x42])


@settings(max_examples=400, deadline=None)
@given(st.lists(_byte, max_size=40), st.integers(min_value=0, max_value=45))
def test_the_fast_search_finds_exactly_what_the_marker_pattern_finds(values, start):
    data = bytes(values)
    assert jpeg_layout.find_marker_in_scan(data, start) == _regex_answer(data, start)


def _photo() -> bytes:
    from PIL import Image

    noisy = core.encode(Image.effect_noise((400, 300), 80).convert("RGB"), "JPEG", quality=95)
    return core.jpeg([core.app1_exif(core.exif_tiff())], base=noisy)


def _entropy_start(data: bytes) -> int:
    return jpeg.parse(data, headers_only=True).segments[-1].end


def test_a_cleaned_copy_walks_to_the_same_segments_as_a_fresh_walk():
    data = _photo()
    _, _, cleaned = clean_bytes(data)
    remembered = jpeg.parse(cleaned).segments
    forget_recent_parses()
    fresh = jpeg_layout._walk(cleaned, headers_only=False).segments
    assert remembered == fresh


def test_a_remembered_walk_is_not_trusted_when_the_bytes_differ_in_the_middle():
    data = _photo()
    start = _entropy_start(data)
    end = jpeg_layout.entropy_end(data, start)
    assert end is not None and end - start > jpeg_layout._RUN_WORTH_REMEMBERING
    middle = (start + end) // 2
    hidden = data[:middle] + b"\xff\xe1\x00\x04ab" + data[middle + 6 :]  # same length, a segment inside
    assert jpeg_layout.entropy_end(hidden, start) == middle


def test_a_remembered_walk_is_not_trusted_when_the_next_bytes_differ():
    data = _photo()
    start = _entropy_start(data)
    end = jpeg_layout.entropy_end(data, start)
    assert data[end : end + 2] == b"\xff\xd9"
    # the same coded bytes, but followed by stuffing and more data instead of the end marker
    longer = data[:end] + b"\xff\x00\x12\x34" + data[end:]
    assert jpeg_layout.entropy_end(longer, start) == end + 4


def test_verification_still_refuses_a_copy_whose_picture_changed():
    data = _photo()
    fmt, _ = scan_bytes(data)
    _, _, cleaned = clean_bytes(data)
    broken = bytearray(cleaned)
    broken[len(broken) // 2] ^= 0x01
    from geoscrub.model import Policy
    from geoscrub.verify import verify_clean

    with pytest.raises(VerificationFailed, match="image data"):
        verify_clean(fmt, data, bytes(broken), Policy())


def test_nothing_is_remembered_once_a_file_is_done(tmp_path):
    from geoscrub import api
    from geoscrub.formats import base

    photo = tmp_path / "a.jpg"
    photo.write_bytes(_photo())
    api.clean(photo, tmp_path / "b.jpg")
    api.scan(photo)
    assert not base._memory.__dict__
