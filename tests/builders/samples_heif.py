"""Sample files for samples/: a HEIC and an AVIF with invented GPS, an owner name and XMP.

The HEIC is laid out like a phone photo: the picture, an Exif item (GPS,
owner, serial number), an XMP item (creator, city), a thumbnail with its own
Exif, and a motion-photo video in an 'mpvd' box.  The AVIF is what Pillow
writes with Exif and XMP.  Everyone and everything in them is invented (see
tests.builders.core).
"""
from __future__ import annotations

from pathlib import Path

from tests.builders import heif as hb


def phone_heic() -> bytes:
    """A HEIC with GPS, owner and serial in Exif, XMP, a thumbnail and a 2-second motion-photo video."""
    p = hb.parts(hb.heic())
    items = [
        hb.Item(1, p.item_type, p.data, props=list(p.links)),
        hb.Item(2, b"Exif", hb.exif_item(), hidden=True),
        hb.xmp_item(3),
        hb.Item(4, p.item_type, p.data, props=list(p.links)),
        hb.Item(5, b"Exif", hb.exif_item(), hidden=True),
    ]
    refs = [(b"cdsc", 2, [1]), (b"cdsc", 3, [1]), (b"thmb", 4, [1]), (b"cdsc", 5, [4])]
    return hb.assemble(items, p.props, refs, top_after=[hb.box(b"mpvd", hb.mp4_video(2))])


def gps_avif() -> bytes:
    """An AVIF with GPS, owner and serial in Exif and a creator and city in XMP."""
    return hb.avif(exif=b"Exif\x00\x00" + hb.exif_tiff(), xmp=hb.xmp_packet())


def generate(outdir: Path) -> list[Path]:
    """Write the two samples into ``outdir``; returns their paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in (("phone_photo_gps_owner_xmp_video.heic", phone_heic()),
                       ("avif_gps_owner_xmp.avif", gps_avif())):
        path = outdir / name
        path.write_bytes(data)
        written.append(path)
    return written
