"""Photos and junk for the watch-service tests (pure functions returning bytes)."""
from __future__ import annotations

import io
import random

import piexif
from PIL import Image


def _rational(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 100)
    return ((degrees, 1), (minutes, 1), (seconds, 100))


def gps_exif(seed: int = 0) -> bytes:
    """EXIF with a GPS position, a phone make/model and a capture time."""
    lat, lon = 51.5 + seed * 1e-4, 0.12 + seed * 1e-4
    return piexif.dump({
        "0th": {piexif.ImageIFD.Make: b"PhoneMaker", piexif.ImageIFD.Model: b"Phone 12"},
        "Exif": {piexif.ExifIFD.DateTimeOriginal: b"2024:06:01 14:03:22"},
        "GPS": {
            piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: _rational(lat),
            piexif.GPSIFD.GPSLongitudeRef: b"W", piexif.GPSIFD.GPSLongitude: _rational(lon),
        },
    })


def dirty_jpeg(seed: int = 0, size: tuple[int, int] = (16, 12), noise: bool = False) -> bytes:
    """A small JPEG with GPS, device and time in EXIF; different seeds give different bytes."""
    rng = random.Random(seed)
    if noise:
        img = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    else:
        img = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=gps_exif(seed))
    return out.getvalue()


def text_named_like_photo() -> bytes:
    return b"this is not a photo, just some words\n"


def random_junk(seed: int = 0, size: int = 2000) -> bytes:
    return random.Random(seed).randbytes(size)


def cut_short(data: bytes, keep: int = 40) -> bytes:
    """The first ``keep`` bytes: a photo whose metadata runs past the end."""
    return data[:keep]
