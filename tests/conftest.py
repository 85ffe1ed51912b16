"""Shared fixtures: decoding helpers and a clean temporary folder per test."""
from __future__ import annotations

import io

import pytest
from PIL import Image


def pixels(data: bytes) -> list[tuple[str, tuple[int, int], bytes]]:
    """Decoded pixels of every frame (the judge of 'the picture did not change')."""
    with Image.open(io.BytesIO(data)) as im:
        frames = []
        n = 1 if im.format == "MPO" else getattr(im, "n_frames", 1)
        for i in range(n):
            im.seek(i)
            frames.append((im.mode, im.size, im.tobytes()))
        return frames


@pytest.fixture
def decode():
    return pixels
