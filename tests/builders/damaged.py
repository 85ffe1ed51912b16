"""Photos whose headers are sound but whose picture data is damaged.

The lossless path refuses the ones below the line; their pictures can still be
decoded, so ``--rebuild`` can make new copies of them.  Each carries the usual
identifying metadata, so a rebuilt copy that kept anything of the file would show it.
"""
from __future__ import annotations

import struct

from tests.builders import core


def jpeg_gps_then_broken_scan() -> bytes:
    """Valid EXIF with GPS, then coded data broken halfway by a comment marker whose length
    runs past the end of the file (as a bad sector or a cut download leaves it)."""
    data = core.jpeg([core.app1_exif(core.exif_tiff())])
    sos = data.rfind(b"\xff\xda")
    middle = sos + (len(data) - sos) // 2
    return data[:middle] + b"\xff\xfe\xff\xf0" + data[middle:]


def jpeg_broken_before_anything_identifying() -> bytes:
    """No metadata, and coded data broken the same way: nothing can be said about it."""
    data = core.jpeg()
    sos = data.rfind(b"\xff\xda")
    middle = sos + (len(data) - sos) // 2
    return data[:middle] + b"\xff\xfe\xff\xf0" + data[middle:]


def png_gps_then_broken_picture() -> bytes:
    """EXIF with GPS and an author, then picture data that no longer inflates (checksums intact)."""
    good = core.png([core.png_chunk(b"eXIf", core.exif_tiff()), core.text("Author", core.OWNER)])
    out, pos = [good[:8]], 8
    while pos < len(good):
        length = int.from_bytes(good[pos : pos + 4], "big")
        ctype, body = good[pos + 4 : pos + 8], good[pos + 8 : pos + 8 + length]
        if ctype == b"IDAT":
            body = body[:2] + bytes(b ^ 0x5A for b in body[2:])  # zlib header kept, data scrambled
        out.append(core.png_chunk(ctype, body))
        pos += 12 + length
    return b"".join(out)


def heic_exif_then_cut_picture() -> bytes:
    """A HEIC laid out as phones write it (EXIF first in the media data, then the picture),
    cut short inside the picture as a stopped download leaves it."""
    from tests.builders import heif as hb

    p = hb.parts(hb.heic())
    items = [hb.Item(2, b"Exif", hb.exif_item(), hidden=True), hb.Item(1, p.item_type, p.data, props=list(p.links))]
    whole = hb.assemble(items, list(p.props), [(b"cdsc", 2, [1])])
    return whole[: len(whole) - 500]


# ----------------------------------------------------------- for --rebuild --
#: Big enough for several progressive scans and real coded data.
SIZE = (256, 192)


def _scan_start(data: bytes) -> int:
    """Where the first scan's coded data starts in a JPEG without a thumbnail."""
    sos = data.index(b"\xff\xda")
    return sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0]


def jpeg_pixels_damaged_after_exif(orientation: int | None = None, icc: bytes | None = None) -> bytes:
    """Valid EXIF (GPS, owner, serial), then a stray start-of-image marker in the middle of the pixel data."""
    segments = [core.app1_exif(core.exif_tiff(orientation=orientation))]
    if icc is not None:
        segments.append(core.app2_icc(icc))
    data = bytearray(core.jpeg(segments, base=core.encode(core.picture(*SIZE), "JPEG", quality=90)))
    middle = (_scan_start(bytes(data)) + len(data)) // 2
    data[middle : middle + 2] = b"\xff\xd8"
    return bytes(data)


def progressive_jpeg_cut_short(scans: int = 3) -> bytes:
    """A progressive JPEG with EXIF, cut in the header of its ``scans``-th scan (an upload that stopped)."""
    data = core.jpeg([core.app1_exif(core.exif_tiff())],
                     base=core.encode(core.picture(*SIZE), "JPEG", quality=90, progressive=True))
    starts = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\xff\xda"]
    return data[: starts[scans] + 5]


def jpeg_cut_inside_picture(keep: float = 0.6) -> bytes:
    """A baseline JPEG with EXIF (GPS, owner, serial) keeping only its first ``keep`` of bytes, so the
    file ends inside the coded picture data: no end-of-image marker (a download or upload that stopped)."""
    data = core.jpeg([core.app1_exif(core.exif_tiff())], base=core.encode(core.picture(*SIZE), "JPEG", quality=90))
    cut = int(len(data) * keep)
    assert cut > _scan_start(data) + 100, "the cut must fall inside the coded picture"
    return data[:cut]


def png_with_bad_crc() -> bytes:
    """A PNG with text, XMP and EXIF whose pixel chunk (IDAT) has a wrong checksum."""
    data = bytearray(core.dirty_png())
    at = data.index(b"IDAT")
    length = struct.unpack(">I", data[at - 4 : at])[0]
    data[at + 4 + length] ^= 0xFF
    return bytes(data)


def png_with_bad_text_crc() -> bytes:
    """A PNG whose Author text chunk, before the picture, has a wrong checksum (Pillow stops at it unless lenient)."""
    data = bytearray(core.dirty_png())
    at = data.index(b"tEXt")
    length = struct.unpack(">I", data[at - 4 : at])[0]
    data[at + 4 + length] ^= 0xFF
    return bytes(data)
