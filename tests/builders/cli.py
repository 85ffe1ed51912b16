"""Small photos for the command-line tests, built in code.

Everything identifying is invented.  The GPS point is in Westminster, London,
so the offline place lookup has a well-known answer.
"""
from __future__ import annotations

import io
from pathlib import Path

import piexif
from PIL import Image, PngImagePlugin

from tests.builders.core import rational_dms

OWNER = "Alex Example"
SERIAL = "C39XK2J8N7"
WESTMINSTER = (51.4995, -0.1248)


def _picture(size: tuple[int, int] = (32, 24)) -> Image.Image:
    img = Image.new("RGB", size)
    img.putdata([((x * 7) % 256, (y * 11) % 256, (x + y) % 256) for y in range(size[1]) for x in range(size[0])])
    return img


def exif_bytes(*, gps: tuple[float, float] | None = WESTMINSTER, artist: str | None = OWNER,
               serial: str | None = SERIAL, when: str | None = "2025:06:14 16:03:11",
               orientation: int | None = None, host: str | None = None) -> bytes:
    """An EXIF block (piexif) holding the chosen identifying items."""
    zeroth: dict[int, object] = {piexif.ImageIFD.Make: b"Example Phones", piexif.ImageIFD.Model: b"Pocket 7"}
    exif: dict[int, object] = {}
    gps_ifd: dict[int, object] = {}
    if artist:
        zeroth[piexif.ImageIFD.Artist] = artist.encode()
    if orientation:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    if host:
        zeroth[piexif.ImageIFD.HostComputer] = host.encode()
    if serial:
        exif[piexif.ExifIFD.BodySerialNumber] = serial.encode()
    if when:
        exif[piexif.ExifIFD.DateTimeOriginal] = when.encode()
    if gps:
        lat, lon = gps
        gps_ifd = {
            piexif.GPSIFD.GPSLatitudeRef: b"N" if lat >= 0 else b"S",
            piexif.GPSIFD.GPSLatitude: rational_dms(lat, 10000),
            piexif.GPSIFD.GPSLongitudeRef: b"E" if lon >= 0 else b"W",
            piexif.GPSIFD.GPSLongitude: rational_dms(lon, 10000),
            piexif.GPSIFD.GPSHPositioningError: (5, 1),
        }
    return piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps_ifd, "1st": {}, "thumbnail": None})


def jpeg(exif: bytes | None = None) -> bytes:
    """A small baseline JPEG, with an EXIF block when given."""
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"quality": 90}
    if exif is not None:
        kwargs["exif"] = exif
    _picture().save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def identifying_jpeg(**kwargs: object) -> bytes:
    """A JPEG that shows a place, names a person and a device, and tells the time."""
    return jpeg(exif_bytes(**kwargs))  # type: ignore[arg-type]


def png(author: str | None = None) -> bytes:
    """A small PNG; with ``author`` it carries a tEXt Author chunk."""
    buf = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    if author:
        info.add_text("Author", author)
    _picture().save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def truncated_jpeg() -> bytes:
    """A JPEG cut off in its coding tables, after a sound EXIF block (which ``check`` still reads)."""
    data = identifying_jpeg()
    return data[: len(data) // 2]


def phone_jpeg() -> bytes:
    """What an iPhone writes: the model in HostComputer, one moment stored as several dates,
    and the empty bits a first-time user should not be shown (an empty comment, an empty APP segment)."""
    zeroth: dict[int, object] = {
        piexif.ImageIFD.Make: b"Apple", piexif.ImageIFD.Model: b"iPhone 11 Pro Max",
        piexif.ImageIFD.HostComputer: b"iPhone 11 Pro Max", piexif.ImageIFD.DateTime: b"2025:06:14 16:03:11",
    }
    exif: dict[int, object] = {
        piexif.ExifIFD.DateTimeOriginal: b"2025:06:14 16:03:11",
        piexif.ExifIFD.DateTimeDigitized: b"2025:06:14 16:03:11",
        piexif.ExifIFD.SubSecTimeOriginal: b"302",
        piexif.ExifIFD.SubSecTimeDigitized: b"302",
        piexif.ExifIFD.UserComment: b"ASCII\x00\x00\x00",  # a comment with no text in it
    }
    block = piexif.dump({"0th": zeroth, "Exif": exif, "GPS": {}, "1st": {}, "thumbnail": None})
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
           b'xmp:CreateDate="2025-06-14T16:03:11.302+01:00"/></rdf:RDF></x:xmpmeta>')
    app1_xmp = b"\xff\xe1" + (len(xmp) + 31).to_bytes(2, "big") + b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    empty_app = b"\xff\xe9\x00\x02"  # an APP9 segment holding nothing
    data = jpeg(block)
    return data[:2] + app1_xmp + empty_app + data[2:]


def big_jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    """An identifying JPEG of a few hundred kB, for batches that take a moment to clean."""
    img = Image.frombytes("RGB", size, bytes((i * 2654435761 >> 13) & 0xFF for i in range(size[0] * size[1] * 3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95, exif=exif_bytes())
    return buf.getvalue()


def unreadable_jpeg() -> bytes:
    """A JPEG without metadata, cut off in its coding tables: nothing can be said about it."""
    data = jpeg()
    return data[:100]


# --------------------------------------------------------------- folders of files

def write(path: Path, data: bytes) -> Path:
    """Write ``data`` at ``path``, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def listing(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder``, by relative name, with its bytes: a folder's state to compare."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
