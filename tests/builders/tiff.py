"""Byte builders for TIFF and DNG fixtures with chosen metadata.

A tiny independent TIFF writer (not geoscrub's): directories are described as
``Ifd`` objects holding tags, pixel pieces and child directories.  Everything
identifying is invented.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from tests.builders import core

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED, SRATIONAL = 1, 2, 3, 4, 5, 7, 10
LONG8, IFD8 = 16, 18
OWNER, SERIAL, LAT, LON = core.OWNER, core.SERIAL, core.LAT, core.LON

# tag ids used by the tests
ARTIST, HOST, MAKE, MODEL, SOFTWARE, DATETIME, DESCRIPTION, COPYRIGHT = (
    0x013B, 0x013C, 0x010F, 0x0110, 0x0131, 0x0132, 0x010E, 0x8298)
XMP, IPTC, PHOTOSHOP, ICC, ORIENTATION = 0x02BC, 0x83BB, 0x8649, 0x8773, 0x0112
GEOTIFF = (0x830E, 0x8482, 0x85D8, 0x87AF, 0x87B0, 0x87B1)
MAKERNOTE, BODY_SERIAL, CAMERA_SERIAL, DNG_PRIVATE = 0x927C, 0xA431, 0xC62F, 0xC634


@dataclass
class Ifd:
    """One directory: (tag, type, value) entries, pixel pieces and children.

    ``value`` is bytes for ASCII/UNDEFINED, a tuple of ints, or a tuple of
    (numerator, denominator) pairs for rationals.  ``pieces`` become strips
    (or tiles when ``tiled``); their offsets and byte counts are added here.
    """

    tags: list[tuple[int, int, object]] = field(default_factory=list)
    pieces: list[bytes] = field(default_factory=list)
    tiled: bool = False
    sub_ifds: list[Ifd] = field(default_factory=list)
    exif: Ifd | None = None
    gps: Ifd | None = None
    interop: Ifd | None = None  # hangs off exif
    #: (offset, length) written as the strips as they are, instead of storing ``pieces``:
    #: lets a test point a picture part at bytes the file uses for something else
    refs: list[tuple[int, int]] | None = None


def _pack_value(order: str, typ: int, value: object) -> tuple[int, bytes]:
    if typ in (ASCII, UNDEFINED):
        raw = bytes(value)  # type: ignore[arg-type]
        return len(raw), raw
    values = tuple(value)  # type: ignore[arg-type]
    if typ in (RATIONAL, SRATIONAL):
        code = "I" if typ == RATIONAL else "i"
        flat = [n for pair in values for n in pair]
        return len(values), struct.pack(f"{order}{len(flat)}{code}", *flat)
    code = {BYTE: "B", SHORT: "H", LONG: "I", 13: "I", 8: "h", 9: "i", 11: "f", 12: "d", LONG8: "Q", 17: "q",
            IFD8: "Q"}[typ]
    return len(values), struct.pack(f"{order}{len(values)}{code}", *values)


class _Out:
    """Classic TIFF (4-byte offsets, 12-byte entries) or, with ``big``, BigTIFF: header
    "II+"/"MM\\0+", offset size 8, 8-byte entry counts and offsets, 20-byte entries, values of
    up to 8 bytes inline, and pixel offsets, byte counts and directory pointers as LONG8/IFD8."""

    def __init__(self, order: str, big: bool = False) -> None:
        self.order, self.big = order, big
        if big:
            self.buf = bytearray((b"II+\x00" if order == "<" else b"MM\x00+") + struct.pack(order + "HHQ", 8, 0, 0))
        else:
            self.buf = bytearray((b"II*\x00" if order == "<" else b"MM\x00*") + b"\x00\x00\x00\x00")
        self.first_pointer = 8 if big else 4

    def pointer(self, at: int, value: int) -> None:
        """Write a directory pointer (the header's, or an IFD's next) at ``at``."""
        size = 8 if self.big else 4
        self.buf[at : at + size] = struct.pack(self.order + ("Q" if self.big else "I"), value)

    def blob(self, raw: bytes) -> int:
        if len(self.buf) % 2:
            self.buf += b"\x00"
        at = len(self.buf)
        self.buf += raw
        return at

    def write(self, ifd: Ifd) -> tuple[int, int]:
        """Write children, pixels, then the IFD; returns (offset, position of its next pointer)."""
        o = self.order
        pointer_type, offset_type = (IFD8, LONG8) if self.big else (LONG, LONG)
        tags = list(ifd.tags)
        if ifd.exif is not None:
            exif = Ifd(list(ifd.exif.tags))
            if ifd.exif.interop is not None:
                exif.tags.append((0xA005, pointer_type, (self.write(ifd.exif.interop)[0],)))
            tags.append((0x8769, pointer_type, (self.write(exif)[0],)))
        if ifd.gps is not None:
            tags.append((0x8825, pointer_type, (self.write(ifd.gps)[0],)))
        if ifd.sub_ifds:
            tags.append((0x014A, pointer_type, tuple(self.write(s)[0] for s in ifd.sub_ifds)))
        if ifd.pieces or ifd.refs:
            offsets = tuple(self.blob(p) for p in ifd.pieces)
            counts = tuple(len(p) for p in ifd.pieces)
            if ifd.refs is not None:  # the pieces are still stored, but the tags point elsewhere
                offsets, counts = tuple(r[0] for r in ifd.refs), tuple(r[1] for r in ifd.refs)
            off_tag, cnt_tag = (0x0144, 0x0145) if ifd.tiled else (0x0111, 0x0117)
            tags += [(off_tag, offset_type, offsets), (cnt_tag, offset_type, counts)]
        tags.sort(key=lambda t: t[0])
        packed = [(tag, typ) + _pack_value(o, typ, value) for tag, typ, value in tags]
        inline = 8 if self.big else 4
        # out-of-line values first, then the table pointing at them
        places = [self.blob(raw) if len(raw) > inline else -1 for *_, raw in packed]
        if len(self.buf) % 2:
            self.buf += b"\x00"
        start = len(self.buf)
        if self.big:
            table = bytearray(struct.pack(o + "Q", len(packed)))
            for (tag, typ, count, raw), at in zip(packed, places):
                table += struct.pack(o + "HHQ", tag, typ, count)
                table += struct.pack(o + "Q", at) if at >= 0 else raw.ljust(8, b"\x00")
        else:
            table = bytearray(struct.pack(o + "H", len(packed)))
            for (tag, typ, count, raw), at in zip(packed, places):
                table += struct.pack(o + "HHI", tag, typ, count)
                table += struct.pack(o + "I", at) if at >= 0 else raw.ljust(4, b"\x00")
        self.buf += table + b"\x00" * (8 if self.big else 4)
        return start, start + len(table)


def tiff(pages: list[Ifd], order: str = "<", *, big: bool = False) -> bytes:
    """A classic TIFF (or, with ``big``, a BigTIFF) whose IFD chain holds ``pages``."""
    out = _Out(order, big)
    previous = out.first_pointer
    for page in pages:
        start, next_pos = out.write(page)
        out.pointer(previous, start)
        previous = next_pos
    return bytes(out.buf)


def rgb_page(width: int = 32, height: int = 24, *, rows_per_strip: int = 8, tiled: bool = False,
             seed: int = 0) -> Ifd:
    """An uncompressed 8-bit RGB picture with detail, in strips or 16x16 tiles."""
    img = core.picture(width, height)
    if seed:
        img = img.rotate(90 * seed, expand=False)
    raw = img.tobytes()
    row = width * 3
    tags: list[tuple[int, int, object]] = [
        (0x0100, LONG, (width,)), (0x0101, LONG, (height,)), (0x0102, SHORT, (8, 8, 8)),
        (0x0103, SHORT, (1,)), (0x0106, SHORT, (2,)), (0x0115, SHORT, (3,)), (0x011C, SHORT, (1,)),
        (0x011A, RATIONAL, ((72, 1),)), (0x011B, RATIONAL, ((72, 1),)), (0x0128, SHORT, (2,)),
    ]
    if tiled:
        assert width % 16 == 0 and height % 16 == 0
        tags += [(0x0142, SHORT, (16,)), (0x0143, SHORT, (16,))]
        pieces = []
        for ty in range(0, height, 16):
            for tx in range(0, width, 16):
                pieces.append(b"".join(raw[(ty + y) * row + tx * 3 : (ty + y) * row + (tx + 16) * 3]
                                       for y in range(16)))
        return Ifd(tags, pieces, tiled=True)
    tags.append((0x0116, SHORT, (rows_per_strip,)))
    pieces = [raw[y * row : min(y + rows_per_strip, height) * row] for y in range(0, height, rows_per_strip)]
    return Ifd(tags, pieces)


def ascii_(text: str) -> bytes:
    return text.encode() + b"\x00"


def owner_tags() -> list[tuple[int, int, object]]:
    """The IFD0 personal tags ExifTool's -all= leaves behind."""
    first = OWNER.split()[0]
    return [
        (ARTIST, ASCII, ascii_(OWNER)), (HOST, ASCII, ascii_(f"{first}'s iPhone")),
        (MAKE, ASCII, ascii_("Examplephone")), (MODEL, ASCII, ascii_("X 12")),
        (SOFTWARE, ASCII, ascii_("ExampleOS 17.2")), (DATETIME, ASCII, ascii_("2025:06:14 16:03:11")),
        (DESCRIPTION, ASCII, ascii_(f"{first} at the playground")),
        (COPYRIGHT, ASCII, ascii_(f"(c) {OWNER}")),
    ]


def _dms(value: float) -> tuple[tuple[int, int], ...]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60 * 100)
    return ((d, 1), (m, 1), (s, 100))


def gps_ifd(lat: float = LAT, lon: float = LON) -> Ifd:
    return Ifd([
        (0x0000, BYTE, (2, 3, 0, 0)),
        (0x0001, ASCII, b"N\x00" if lat >= 0 else b"S\x00"), (0x0002, RATIONAL, _dms(lat)),
        (0x0003, ASCII, b"E\x00" if lon >= 0 else b"W\x00"), (0x0004, RATIONAL, _dms(lon)),
        (0x0006, RATIONAL, ((2130, 100),)),
    ])


def exif_ifd(*, interop: bool = True) -> Ifd:
    ifd = Ifd([
        (0x9003, ASCII, ascii_("2025:06:14 16:03:11")),
        (0xA430, ASCII, ascii_(OWNER)),
        (BODY_SERIAL, ASCII, ascii_(SERIAL)),
        (MAKERNOTE, UNDEFINED, b"Apple iOS\x00" + SERIAL.encode() + b"\x00" * 6),
    ])
    if interop:
        ifd.interop = Ifd([(0x0001, ASCII, b"R98\x00"), (0x0002, UNDEFINED, b"0100")])
    return ifd


def iptc_iim(by_line: str = OWNER, city: str = "London") -> bytes:
    def ds(num: int, value: str) -> bytes:
        raw = value.encode()
        return b"\x1c\x02" + bytes([num]) + struct.pack(">H", len(raw)) + raw
    return ds(80, by_line) + ds(90, city)


def photoshop_irb(by_line: str = OWNER) -> bytes:
    iim = iptc_iim(by_line)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    return resource + (b"\x00" if len(iim) % 2 else b"")


def geotiff_tags() -> list[tuple[int, int, object]]:
    return [
        (0x830E, 12, (0.0001, 0.0001, 0.0)),
        (0x8482, 12, (0.0, 0.0, 0.0, LON, LAT, 0.0)),
        (0x85D8, 12, (1.0, 0, 0, LON, 0, 1.0, 0, LAT, 0, 0, 1.0, 0, 0, 0, 0, 1.0)),
        (0x87AF, SHORT, (1, 1, 0, 1, 1024, 0, 1, 2)),
        (0x87B0, 12, (6378137.0,)),
        (0x87B1, ASCII, ascii_("WGS 84 | playground|")),
    ]


def dirty_tiff(order: str = "<", *, orientation: int | None = None, icc: bytes | None = None,
               tiled: bool = False, big: bool = False) -> bytes:
    """One page with every carrier: IFD0 owner tags, Exif (+Interop, MakerNote), GPS,
    XMP, IPTC, Photoshop and GeoTIFF, plus an unknown private tag."""
    page = rgb_page(32, 32, tiled=tiled) if tiled else rgb_page()
    page.tags += owner_tags() + geotiff_tags()
    page.tags += [
        (XMP, BYTE, tuple(core.xmp_packet())),
        (IPTC, UNDEFINED, iptc_iim()),
        (PHOTOSHOP, UNDEFINED, photoshop_irb()),
        (0xC7E1, ASCII, ascii_("private vendor note")),
    ]
    if orientation is not None:
        page.tags.append((ORIENTATION, SHORT, (orientation,)))
    if icc is not None:
        page.tags.append((ICC, UNDEFINED, icc))
    page.exif = exif_ifd()
    page.gps = gps_ifd()
    return tiff([page], order, big=big)


def multipage_tiff(order: str = "<", *, thumbnail_page: bool = True, big: bool = False) -> bytes:
    """Three pages (each with an Artist) and, optionally, a reduced-resolution thumbnail page."""
    pages = []
    for i in range(3):
        page = rgb_page(seed=i)
        page.tags += [(0x00FE, LONG, (2,)), (0x0129, SHORT, (i, 3)), (ARTIST, ASCII, ascii_(OWNER))]
        pages.append(page)
    if thumbnail_page:
        thumb = rgb_page(8, 8, rows_per_strip=8)
        thumb.tags.append((0x00FE, LONG, (1,)))
        pages.insert(1, thumb)
    return tiff(pages, order, big=big)


def dng(order: str = ">", *, big: bool = False) -> bytes:
    """A small DNG like Adobe's converter writes: IFD0 an 8x8 RGB preview carrying the
    DNG colour tags and owner tags; SubIFD 0 the raw CFA image; SubIFD 1 a JPEG preview."""
    ifd0 = rgb_page(8, 8, rows_per_strip=8)
    ifd0.tags += [
        (0x00FE, LONG, (1,)),
        (0xC612, BYTE, (1, 4, 0, 0)), (0xC613, BYTE, (1, 1, 0, 0)),
        (0xC614, ASCII, ascii_("Examplephone X 12")), (0xC615, ASCII, ascii_("Examplephone X 12")),
        (0xC621, SRATIONAL, ((6159, 10000), (-945, 10000), (-745, 10000), (-6846, 10000), (13563, 10000),
                             (3684, 10000), (-802, 10000), (1086, 10000), (7555, 10000))),
        (0xC628, RATIONAL, ((592408, 1000000), (1, 1), (501692, 1000000))),
        (0xC65A, SHORT, (17,)),
        (CAMERA_SERIAL, ASCII, ascii_(SERIAL)),
        (DNG_PRIVATE, BYTE, tuple(b"Adobe\x00MakN" + SERIAL.encode())),
        (0xC65D, BYTE, tuple(range(16))),
        (0xC68B, ASCII, ascii_("IMG_0042.CR2")),
        (ARTIST, ASCII, ascii_(OWNER)), (MAKE, ASCII, ascii_("Examplephone")),
    ]
    raw_w, raw_h = 16, 16
    raw_pixels = raw_tile()
    raw = Ifd([
        (0x00FE, LONG, (0,)), (0x0100, LONG, (raw_w,)), (0x0101, LONG, (raw_h,)),
        (0x0102, SHORT, (16,)), (0x0103, SHORT, (1,)), (0x0106, SHORT, (32803,)),
        (0x0115, SHORT, (1,)), (0x011C, SHORT, (1,)), (0x0142, SHORT, (16,)), (0x0143, SHORT, (16,)),
        (0x828D, SHORT, (2, 2)), (0x828E, BYTE, (0, 1, 1, 2)), (0xC617, SHORT, (1,)),
        (0xC61A, SHORT, (64,)), (0xC61D, SHORT, (4095,)),
        (0xC61F, SHORT, (0, 0)), (0xC620, SHORT, (16, 16)),
    ], [raw_pixels], tiled=True)
    preview = Ifd([
        (0x00FE, LONG, (1,)), (0x0100, LONG, (16,)), (0x0101, LONG, (16,)), (0x0102, SHORT, (8, 8, 8)),
        (0x0103, SHORT, (7,)), (0x0106, SHORT, (6,)), (0x0115, SHORT, (3,)), (0x0116, SHORT, (16,)),
    ], [b"\xff\xd8\xff\xe0 fake preview of the whole uncropped scene \xff\xd9"])
    ifd0.sub_ifds = [raw, preview]
    ifd0.exif = exif_ifd(interop=False)
    ifd0.gps = gps_ifd()
    return tiff([ifd0], order, big=big)


def raw_tile() -> bytes:
    """The 16x16 16-bit raw pixels the ``dng`` builder stores (what must survive byte for byte)."""
    return bytes((x * 13 + y * 7) % 256 for y in range(16) for x in range(32))


def bigtiff_header(order: str = "<") -> bytes:
    head = b"II+\x00" if order == "<" else b"MM\x00+"
    return head + struct.pack(order + "HHQ", 8, 0, 16) + struct.pack(order + "Q", 0) + b"\x00" * 16


def deflate_page(width: int = 16, height: int = 8) -> Ifd:
    """An RGB page whose one strip is zlib-compressed (compression 8)."""
    import zlib
    page = rgb_page(width, height, rows_per_strip=height)
    page.tags = [t for t in page.tags if t[0] != 0x0103] + [(0x0103, SHORT, (8,))]
    page.pieces = [zlib.compress(b"".join(page.pieces))]
    return page


def overlong_strip_tiff(extra: bytes) -> bytes:
    """An uncompressed page whose strip holds its rows and then ``extra`` bytes no reader shows."""
    page = rgb_page(16, 8, rows_per_strip=8)
    page.pieces = [page.pieces[0] + extra]
    return tiff([page])


def strip_over_xmp_tiff() -> bytes:
    """Page 1 carries XMP naming the owner; page 2 is compressed, and its strip points exactly
    at page 1's XMP packet, so copying that strip would copy the packet."""
    page0 = rgb_page(16, 8, rows_per_strip=8)
    xmp = core.xmp_packet()
    page0.tags.append((XMP, BYTE, tuple(xmp)))
    page1 = deflate_page()
    page1.refs = [(0, len(xmp))]
    first = tiff([page0, page1])
    page1.refs = [(first.find(b"<?xpacket begin"), len(xmp))]
    return tiff([page0, page1])


def shared_strip_tiff() -> bytes:
    """A compressed page with two strips that are the same bytes."""
    page = deflate_page(16, 8)
    page.tags = [t for t in page.tags if t[0] != 0x0116] + [(0x0116, SHORT, (4,))]
    first = tiff([page])
    at = first.find(page.pieces[0])
    page.refs = [(at, len(page.pieces[0])), (at, len(page.pieces[0]))]
    return tiff([page])


def jpeg_stream(extra_segments: list[bytes] = (), width: int = 16, height: int = 8) -> bytes:
    """A baseline JPEG of the test picture, with ``extra_segments`` right after SOI."""
    import io
    buf = io.BytesIO()
    core.picture(width, height).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    return data[:2] + b"".join(extra_segments) + data[2:]


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_tiff(stream: bytes, tables: bytes | None = None) -> bytes:
    """One page whose strip is the JPEG ``stream`` (compression 7), with optional JPEGTables."""
    tags: list[tuple[int, int, object]] = [
        (0x0100, LONG, (16,)), (0x0101, LONG, (8,)), (0x0102, SHORT, (8, 8, 8)), (0x0103, SHORT, (7,)),
        (0x0106, SHORT, (6,)), (0x0115, SHORT, (3,)), (0x0116, SHORT, (8,)), (0x011C, SHORT, (1,)),
    ]
    if tables is not None:
        tags.append((0x015B, UNDEFINED, tables))
    return tiff([Ifd(tags, [stream])])


def tagged_page_tiff(extra: list[tuple[int, int, object]]) -> bytes:
    """A plain RGB page with ``extra`` tags added (e.g. a kept tag stored with the wrong type)."""
    page = rgb_page(16, 8, rows_per_strip=8)
    page.tags = [t for t in page.tags if t[0] not in {tag for tag, _, _ in extra}] + list(extra)
    return tiff([page])


def bigtiff_dirty() -> bytes:
    """A big-endian tiled BigTIFF with every carrier (also a fuzz seed for the BigTIFF reader)."""
    return dirty_tiff(">", tiled=True, big=True)


def bigtiff_dng() -> bytes:
    """A little-endian BigTIFF laid out like a DNG: raw SubIFD, preview SubIFD (a fuzz seed)."""
    return dng("<", big=True)
