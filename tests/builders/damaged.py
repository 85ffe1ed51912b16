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
