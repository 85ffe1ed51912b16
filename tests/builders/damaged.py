"""Photos whose headers are sound but whose picture data is damaged."""
from __future__ import annotations

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
