"""TIFF and DNG: rebuild every picture directory from an allowlist, copy the pixels byte for byte.

Spec: TIFF 6.0 (sections 2, 8, 15-22), TIFF Technical Note 1 (SubIFDs) and
Adobe DNG 1.7.  In TIFF the personal tags (Artist, HostComputer, Make...)
sit *inside* the image directory, so the file is laid out afresh: a new
header, each kept directory written from allowlisted tags only, and the
strip/tile bytes copied unchanged with their offsets rewritten.

Kept: every page of the IFD0 chain that holds a picture (a reduced-resolution
page after the first is a thumbnail and goes), and SubIFDs that hold the full
picture (a DNG's raw image, or its transparency mask).  Preview SubIFDs, the
Exif/GPS/Interop directories, XMP, IPTC, Photoshop, GeoTIFF and every tag not
needed to show the picture are dropped.  BigTIFF (8-byte offsets) is read
and rebuilt the same way and stays BigTIFF.  Old-style JPEG compression is
refused.

Copied bytes are checked first, so nothing rides along: each kept tag must
have the type and count its tag is defined with (TAG_RULES; no text), an ICC
profile must be a sound one, a kept strip or tile may not overlap a
directory, any tag's value, a dropped picture or another kept part, an
uncompressed one may not be longer than its rows, and a JPEG one (and
JPEGTables) may hold only picture segments: no comment or APPn.
"""
from __future__ import annotations

import bisect
import itertools
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from .. import limits
from .._binary import take
from ..errors import GeoscrubError, MalformedFile, TruncatedFile, UnsafeToClean, UnsupportedFormat
from ..fileview import same_range
from ..metadata import exif as exif_meta
from ..metadata import icc
from ..metadata.exif import BIG, CLASSIC, TYPE_SIZES, Directory, Entry, IfdShape
from ..metadata.iptc import scan_iim, scan_photoshop
from ..metadata.xmp import scan_xmp
from ..model import Category, Finding, Location, Policy, ScanResult
from . import signatures
from .base import Plan, join_plan, remember_last_parses
from .tiff_jpeg import PICTURE_MARKERS, TABLE_MARKERS, check_jpeg_stream
from .tiff_writer import TiffWriter

CLASSIC_HEADERS = signatures.TIFF_CLASSIC_HEADERS
BIGTIFF_HEADERS = signatures.TIFF_BIG_HEADERS

NEW_SUBFILE_TYPE = 0x00FE
STRIP_OFFSETS, STRIP_BYTE_COUNTS = 0x0111, 0x0117
TILE_OFFSETS, TILE_BYTE_COUNTS = 0x0144, 0x0145
SUB_IFDS = 0x014A
COMPRESSION = 0x0103
ORIENTATION = 0x0112
ICC_PROFILES = {0x8773, 0xC68F, 0xC691}  # ICC, DNG AsShotICCProfile, CurrentICCProfile
XMP, IPTC, PHOTOSHOP = 0x02BC, 0x83BB, 0x8649
OLD_JPEG = 6
#: Strips/tiles that are JPEG streams: new-style JPEG, and DNG lossy JPEG.
JPEG_COMPRESSIONS = {7, 34892}
JPEG_TABLES = 0x015B
#: NewSubfileType values of a SubIFD that is the picture: the full image, its transparency mask.
PICTURE_SUBFILE_TYPES = {0, 4}

#: How to decode the strips/tiles: the image-structure tags kept in every picture directory.
STRUCTURE_TAGS = {
    0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x010A, 0x0115, 0x0116, 0x0118, 0x0119,
    0x011A, 0x011B, 0x011C, 0x0124, 0x0125, 0x0128, 0x0129, 0x012D, 0x013D, 0x013E,
    0x013F, 0x0140, 0x0142, 0x0143, 0x014C, 0x014E, 0x0150, 0x0152, 0x0153, 0x0154,
    0x0155, 0x015B, 0x0211, 0x0212, 0x0213, 0x0214,
}
#: DNG colour and calibration tags a raw converter needs to render the raw image.
DNG_RENDER_TAGS = {
    0xC612, 0xC613, 0x828D, 0x828E, 0xC616, 0xC617, 0xC618, 0xC619, 0xC61A, 0xC61B,
    0xC61C, 0xC61D, 0xC61E, 0xC61F, 0xC620, 0xC621, 0xC622, 0xC623, 0xC624, 0xC625,
    0xC626, 0xC627, 0xC628, 0xC629, 0xC62A, 0xC62B, 0xC62C, 0xC62D, 0xC62E, 0xC631,
    0xC632, 0xC633, 0xC640, 0xC65A, 0xC65B, 0xC65C, 0xC68D, 0xC68E, 0xC690, 0xC692,
    0xC6BF, 0xC6F7, 0xC6F9, 0xC6FA, 0xC6FB, 0xC6FC, 0xC6FD, 0xC714,
    0xC715, 0xC71C, 0xC71E, 0xC71F, 0xC725, 0xC726, 0xC740, 0xC741, 0xC74E, 0xC761,
    0xC791, 0xC792, 0xC793, 0xC7A3, 0xC7A4, 0xC7A5, 0xC7A6, 0xC7A7, 0xC7B5, 0xCD2D,
    0xCD31, 0xCD32, 0xCD33, 0xCD34, 0xCD35, 0xCD36, 0xCD37, 0xCD38, 0xCD39, 0xCD3A,
    0xCD3B,
}
_ANY = 0  # any count of at least one
_NUMBERS = frozenset({1, 3, 4, 5, 6, 8, 9, 10, 11, 12})
_B, _S, _L, _SL, _R, _SR, _U, _F, _D = ({1}, {3}, {4}, {3, 4}, {5}, {10}, {7}, {11}, {12})
#: tag -> (allowed field types, exact count or _ANY), from TIFF 6.0 and DNG 1.7.  A kept tag
#: that does not match is dropped: text (ASCII) never passes as a number tag.
TAG_RULES: dict[int, tuple[frozenset[int] | set[int], int]] = {
    0x0100: (_SL, 1), 0x0101: (_SL, 1), 0x0102: (_S, _ANY), 0x0103: (_S, 1), 0x0106: (_S, 1),
    0x010A: (_S, 1), 0x0112: (_S, 1), 0x0115: (_S, 1), 0x0116: (_SL, 1), 0x0118: (_S, _ANY),
    0x0119: (_S, _ANY), 0x011A: (_R, 1), 0x011B: (_R, 1), 0x011C: (_S, 1), 0x0124: (_L, 1),
    0x0125: (_L, 1), 0x0128: (_S, 1), 0x0129: (_S, 2), 0x012D: (_S, _ANY), 0x013D: (_S, 1),
    0x013E: (_R, 2), 0x013F: (_R, 6), 0x0140: (_S, _ANY), 0x0142: (_SL, 1), 0x0143: (_SL, 1),
    0x014C: (_S, 1), 0x014E: (_S, 1), 0x0150: ({1, 3}, _ANY), 0x0152: (_S, _ANY),
    0x0153: (_S, _ANY), 0x0154: (_NUMBERS, _ANY), 0x0155: (_NUMBERS, _ANY), 0x015B: (_U, _ANY),
    0x0211: (_R, 3), 0x0212: (_S, 2), 0x0213: (_S, 1), 0x0214: (_R, _ANY),
    0x8773: ({1, 7}, _ANY), 0xC68F: (_U, _ANY), 0xC691: (_U, _ANY),
    # DNG
    0xC612: (_B, 4), 0xC613: (_B, 4), 0x828D: (_S, 2), 0x828E: (_B, _ANY), 0xC616: (_B, _ANY),
    0xC617: (_S, 1), 0xC618: (_S, _ANY), 0xC619: (_S, 2), 0xC61A: ({3, 4, 5}, _ANY),
    0xC61B: (_SR, _ANY), 0xC61C: (_SR, _ANY), 0xC61D: (_SL, _ANY), 0xC61E: (_R, 2),
    0xC61F: ({3, 4, 5}, 2), 0xC620: ({3, 4, 5}, 2), 0xC621: (_SR, _ANY), 0xC622: (_SR, _ANY),
    0xC623: (_SR, _ANY), 0xC624: (_SR, _ANY), 0xC625: (_SR, _ANY), 0xC626: (_SR, _ANY),
    0xC627: (_R, _ANY), 0xC628: ({3, 5}, _ANY), 0xC629: (_R, 2), 0xC62A: (_SR, 1), 0xC62B: (_R, 1),
    0xC62C: (_R, 1), 0xC62D: (_L, 1), 0xC62E: (_R, 1), 0xC631: (_R, 1), 0xC632: (_R, 1),
    0xC633: (_R, 1), 0xC640: (_SL, _ANY), 0xC65A: (_S, 1), 0xC65B: (_S, 1), 0xC65C: (_R, 1),
    0xC68D: (_SL, 4), 0xC68E: (_SL, _ANY), 0xC690: (_SR, _ANY), 0xC692: (_SR, _ANY),
    0xC6BF: (_S, 1), 0xC6F7: (_R, 1), 0xC6F9: (_L, 3), 0xC6FA: (_F, _ANY), 0xC6FB: (_F, _ANY),
    0xC6FC: (_F, _ANY), 0xC6FD: (_L, 1), 0xC714: (_SR, _ANY), 0xC715: (_SR, _ANY),
    0xC71C: (_B, 16), 0xC71E: (_SL, 2), 0xC71F: (_SL, 1), 0xC725: (_L, 3), 0xC726: (_F, _ANY),
    0xC740: (_U, _ANY), 0xC741: (_U, _ANY), 0xC74E: (_U, _ANY), 0xC761: (_D, _ANY),
    0xC791: (_SL, 2), 0xC792: (_SL, 2), 0xC793: ({3, 4, 5}, 2), 0xC7A3: (_L, 1), 0xC7A4: (_L, 1),
    0xC7A5: (_SR, 1), 0xC7A6: (_L, 1), 0xC7A7: (_B, 16), 0xC7B5: (_R, 4), 0xCD2D: (_U, _ANY),
    0xCD31: (_S, 1), 0xCD32: (_SR, _ANY), 0xCD33: (_SR, _ANY), 0xCD34: (_SR, _ANY),
    0xCD35: (_U, _ANY), 0xCD36: (_U, _ANY), 0xCD37: (_U, _ANY), 0xCD38: (_L, 4),
    0xCD39: (_F, _ANY), 0xCD3A: (_SR, _ANY), 0xCD3B: (_U, _ANY),
}
#: Tags that point at the picture's bytes or directories; rewritten, never copied.
LAYOUT_TAGS = {STRIP_OFFSETS, STRIP_BYTE_COUNTS, TILE_OFFSETS, TILE_BYTE_COUNTS, SUB_IFDS, NEW_SUBFILE_TYPE}
#: Tags whose values decide how the copied bytes decode; part of image_data().
DECODE_TAGS = {
    0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x010A, 0x0115, 0x0116, 0x011C, 0x0124,
    0x0125, 0x013D, 0x0140, 0x0142, 0x0143, 0x0152, 0x0153, 0x015B, 0x0211, 0x0212,
    0x0213, 0x0214, 0x828D, 0x828E, 0xC617,
}
_POINTERS = {exif_meta.EXIF_IFD: "Exif", exif_meta.GPS_IFD: "GPS", exif_meta.INTEROP_IFD: "Interop", SUB_IFDS: "SubIFD"}
#: Entries read in one file, all directories together (a hostile file cannot make us read more).
MAX_TOTAL_ENTRIES = limits.MAX_IFD_ENTRIES * limits.MAX_IFDS


@dataclass
class Node:
    """One directory read from the file, where it hangs, and whether it is a picture we keep."""

    directory: Directory
    kind: str  # "page", "sub" (a SubIFD of a page) or "meta" (Exif, GPS, Interop, nested)
    keep: bool = False
    why_dropped: str = ""
    children: list[Node] = field(default_factory=list)

    def find(self, tag: int) -> Entry | None:
        return next((e for e in self.directory.entries if e.tag == tag), None)


@dataclass
class Layout:
    order: str
    pages: list[Node]  # the IFD0 chain, kept or not
    shape: IfdShape = CLASSIC  # BIG for a BigTIFF

    def nodes(self) -> Iterator[Node]:
        stack = list(reversed(self.pages))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def pictures(self) -> Iterator[Node]:
        """The kept picture directories in file order: each page, then its kept SubIFDs."""
        for page in self.pages:
            if page.keep:
                yield page
                yield from (c for c in page.children if c.keep)


def values(data: bytes, order: str, e: Entry) -> tuple[int, ...]:
    """All integer values of an entry (read_ifd leaves long arrays undecoded)."""
    if e.type not in (1, 3, 4, 13, 16, 18) or e.value_offset < 0:
        raise MalformedFile(f"TIFF tag 0x{e.tag:04x} has the wrong type ({e.type})")
    if e.value is not None:
        return tuple(int(v) for v in e.value)  # type: ignore[union-attr]
    size, code = TYPE_SIZES[e.type]
    raw = take(data, e.value_offset, size * e.count, "TIFF value")
    return struct.unpack(f"{order}{e.count}{code}", raw)


def raw_value(data: bytes, e: Entry) -> bytes:
    if e.value_offset < 0:
        raise MalformedFile(f"TIFF tag 0x{e.tag:04x} has an unknown type ({e.type})")
    return take(data, e.value_offset, TYPE_SIZES[e.type][0] * e.count, "TIFF value")


def _subfile_type(data: bytes, order: str, node: Node) -> int:
    e = node.find(NEW_SUBFILE_TYPE)
    if e is None:
        return 0
    found = values(data, order, e)
    return found[0] if found else 0


def pixel_tags(node: Node) -> tuple[int, int] | None:
    """(offsets tag, byte-counts tag) of a directory that holds strips or tiles, else None."""
    tags = {e.tag for e in node.directory.entries}
    strips = STRIP_OFFSETS in tags and STRIP_BYTE_COUNTS in tags
    tiles = TILE_OFFSETS in tags and TILE_BYTE_COUNTS in tags
    if strips and tiles:
        raise MalformedFile(f"{node.directory.name} has both strips and tiles")
    if strips:
        return STRIP_OFFSETS, STRIP_BYTE_COUNTS
    if tiles:
        return TILE_OFFSETS, TILE_BYTE_COUNTS
    return None


def pieces(data: bytes, order: str, node: Node) -> list[tuple[int, int]]:
    """(offset, length) of every strip or tile, all checked to lie inside the file."""
    tags = pixel_tags(node)
    if tags is None:
        raise MalformedFile(f"{node.directory.name} has no picture data")
    offsets_entry, counts_entry = node.find(tags[0]), node.find(tags[1])
    assert offsets_entry is not None and counts_entry is not None
    offsets, counts = values(data, order, offsets_entry), values(data, order, counts_entry)
    if len(offsets) != len(counts) or not offsets:
        raise MalformedFile(f"{node.directory.name} lists {len(offsets)} picture parts but {len(counts)} sizes")
    for off, length in zip(offsets, counts):
        if length and off + length > len(data):
            raise TruncatedFile("the file is cut short: its picture data runs past the end", off)
    return list(zip(offsets, counts))


def _read(data: bytes, order: str, offset: int, name: str, seen: set[int], budget: list[int],
          shape: IfdShape) -> Directory:
    if offset in seen:
        raise MalformedFile("TIFF directories loop back on themselves", offset)
    seen.add(offset)
    directory = exif_meta.read_ifd(data, order, offset, name, shape)
    budget[0] += len(directory.entries)
    limits.enforce("MAX_IFD_ENTRIES (whole file)", budget[0], MAX_TOTAL_ENTRIES)
    tags = [e.tag for e in directory.entries]
    if len(set(tags)) != len(tags):
        raise MalformedFile(f"TIFF {name} lists the same tag twice", offset)
    return directory


def _children(data: bytes, order: str, node: Node, depth: int, seen: set[int], budget: list[int],
              count: list[int], shape: IfdShape) -> None:
    limits.enforce("MAX_IFD_DEPTH", depth, limits.MAX_IFD_DEPTH)
    for e in node.directory.entries:
        if e.tag not in _POINTERS:
            continue
        if e.type not in ((4, 13, 16, 18) if shape.wide_types else (4, 13)):
            raise MalformedFile(f"TIFF pointer tag 0x{e.tag:04x} has the wrong type")
        for off in values(data, order, e):
            if not off:
                continue
            count[0] += 1
            limits.enforce("MAX_IFDS", count[0], limits.MAX_IFDS)
            kind = "sub" if e.tag == SUB_IFDS and node.kind == "page" else "meta"
            child = Node(_read(data, order, off, _POINTERS[e.tag], seen, budget, shape), kind)
            node.children.append(child)
            _children(data, order, child, depth + 1, seen, budget, count, shape)


def header(data: bytes) -> tuple[str, int, IfdShape]:
    """(byte order, offset of IFD0, directory shape) of a classic TIFF or a BigTIFF header."""
    head = bytes(data[:16])
    if head[:4] in CLASSIC_HEADERS:
        order, first = exif_meta.tiff_header(data)
        return order, first, CLASSIC
    if head[:4] not in BIGTIFF_HEADERS:
        raise UnsupportedFormat("not a TIFF")
    if len(head) < 16:
        raise TruncatedFile("BigTIFF header is cut short", 0)
    order = "<" if head[:2] == b"II" else ">"
    offset_size, zero, first = struct.unpack_from(order + "HHQ", head, 4)
    if offset_size != 8 or zero != 0:
        raise MalformedFile(f"BigTIFF header declares {offset_size}-byte offsets, not 8")
    return order, first, BIG


@remember_last_parses
def parse(data: bytes) -> Layout:
    """Read every directory and decide which ones are the picture.  Raises GeoscrubError."""
    order, _, shape = header(data)
    layout = Layout(order, [], shape)
    read_directories(data, layout)
    _decide(data, layout)
    return layout


def read_directories(data: bytes, layout: Layout) -> None:
    """Fill ``layout.pages`` with every directory, in order (a problem leaves those read so far)."""
    order, first, shape = header(data)
    seen: set[int] = set()
    budget = [0]
    pages = layout.pages
    offset = first
    if not offset:
        raise MalformedFile("TIFF has no image directory")
    while offset:
        limits.enforce("MAX_FRAMES", len(pages) + 1, limits.MAX_FRAMES)
        page = Node(_read(data, order, offset, f"IFD{len(pages)}", seen, budget, shape), "page")
        pages.append(page)
        _children(data, order, page, 1, seen, budget, [0], shape)
        offset = page.directory.next_offset


def _decide(data: bytes, layout: Layout) -> None:
    order = layout.order
    for index, page in enumerate(layout.pages):
        has_pixels = pixel_tags(page) is not None
        if index == 0:
            if not has_pixels:
                raise UnsafeToClean("the main picture of this TIFF has no strips or tiles that can be copied")
            page.keep = True
        elif not has_pixels:
            page.why_dropped = "a small preview picture (thumbnail)"
        elif _subfile_type(data, order, page) & 1:
            page.why_dropped = "a reduced-size copy of the picture (thumbnail)"
        else:
            page.keep = True
        for child in page.children:
            if child.kind != "sub":
                continue
            if pixel_tags(child) is None:
                child.why_dropped = "an extra directory without a picture"
            elif _subfile_type(data, order, child) not in PICTURE_SUBFILE_TYPES:
                child.why_dropped = "a preview or extra picture (not the photo itself)"
            else:
                child.keep = page.keep
    for node in layout.pictures():
        comp = node.find(COMPRESSION)
        if comp is not None and OLD_JPEG in values(data, order, comp):
            raise UnsafeToClean("TIFF uses old-style JPEG compression, which cannot be copied safely")
        for e in node.directory.entries:
            if e.tag in DECODE_TAGS and not well_formed(data, e):
                raise UnsafeToClean(f"{node.directory.name} tag 0x{e.tag:04x}, needed to show the picture, "
                                    "has an unexpected type")
        width, height = node.find(0x0100), node.find(0x0101)
        if width is None or height is None:
            raise MalformedFile(f"{node.directory.name} has no picture size")
        w, h = values(data, order, width), values(data, order, height)
        if not w or not h:
            raise MalformedFile(f"{node.directory.name} has an empty picture size")
        parts = pieces(data, order, node)
        _check_piece_sizes(data, order, node, parts)
        _check_jpeg_parts(data, order, node, parts)
    _check_no_overlap(data, layout)


def _first(data: bytes, order: str, node: Node, tag: int, default: int) -> int:
    e = node.find(tag)
    found = values(data, order, e) if e is not None else ()
    return found[0] if found else default


def _row_bytes(data: bytes, order: str, node: Node, width: int) -> tuple[int, int]:
    """(bytes in one row of one strip/tile, rows per block of rows) for uncompressed data."""
    spp = _first(data, order, node, 0x0115, 1)
    bps_entry = node.find(0x0102)
    bps = values(data, order, bps_entry) if bps_entry is not None else (1,)
    if not bps or spp < 1:
        raise MalformedFile(f"{node.directory.name} has no sample size")
    planar = _first(data, order, node, 0x011C, 1) == 2
    total = bps[0] if planar else (sum(bps) if len(bps) == spp else bps[0] * spp)
    if not planar and _first(data, order, node, 0x0106, 0) == 6 and spp == 3:
        sub = node.find(0x0212)
        h, v = (values(data, order, sub) + (2, 2))[:2] if sub is not None else (2, 2)
        if h and v:  # subsampled YCbCr: each h x v block of pixels is h*v luma + 2 chroma samples
            return -(-(-(-width // h) * (h * v + 2) * bps[0]) // 8), v
    return -(-width * total // 8), 1


def _check_piece_sizes(data: bytes, order: str, node: Node, parts: list[tuple[int, int]]) -> None:
    """An uncompressed strip or tile holds exactly its rows; anything longer hides extra bytes."""
    if _first(data, order, node, COMPRESSION, 1) != 1:
        return
    width = _first(data, order, node, 0x0100, 0)
    height = _first(data, order, node, 0x0101, 0)
    tiled = pixel_tags(node) == (TILE_OFFSETS, TILE_BYTE_COUNTS)
    if tiled:
        width = _first(data, order, node, 0x0142, 0)
        rows_each = _first(data, order, node, 0x0143, 0)
    else:
        rows_each = _first(data, order, node, 0x0116, 0xFFFFFFFF)
    row, block = _row_bytes(data, order, node, width)
    per_plane = max(1, -(-height // max(1, rows_each)))
    for i, (_, length) in enumerate(parts):
        rows = rows_each if tiled else min(rows_each, height - (i % per_plane) * rows_each)
        if length > row * -(-max(rows, 0) // block):
            raise UnsafeToClean(f"{node.directory.name} has a picture part longer than its pixels, "
                                "so it could hide other data")


def _check_jpeg_parts(data: bytes, order: str, node: Node, parts: list[tuple[int, int]]) -> None:
    tables = node.find(JPEG_TABLES)
    if tables is not None:
        check_jpeg_stream(raw_value(data, tables), TABLE_MARKERS, f"{node.directory.name} JPEG tables")
    if _first(data, order, node, COMPRESSION, 1) not in JPEG_COMPRESSIONS:
        return
    for off, length in parts:
        if length:
            check_jpeg_stream(data[off : off + length], PICTURE_MARKERS, f"{node.directory.name} picture")


def _piece_ranges(data: bytes, order: str, node: Node) -> list[tuple[int, int]]:
    """(start, end) of a directory's strips or tiles; none when they cannot be read."""
    try:
        if pixel_tags(node) is None:
            return []
        return [(off, off + length) for off, length in pieces(data, order, node) if length]
    except GeoscrubError:
        return []


def _structure_ranges(data: bytes, layout: Layout) -> list[tuple[int, int]]:
    """Every byte range the file uses for something other than kept pixels: header, directories,
    out-of-line tag values (kept or dropped), and the pixels of dropped pictures."""
    shape = layout.shape
    ranges = [(0, 8 if shape is CLASSIC else 16)]
    for node in layout.nodes():
        d = node.directory
        ranges.append((d.offset, d.offset + shape.size(len(d.entries))))
        for e in d.entries:
            if e.value_offset >= 0:
                size = TYPE_SIZES[e.type][0] * e.count
                if size > shape.offset_size:
                    ranges.append((e.value_offset, e.value_offset + size))
        if not node.keep:
            ranges.extend(_piece_ranges(data, layout.order, node))
            start, length = node.find(0x0201), node.find(0x0202)  # a JPEG thumbnail
            if start is not None and length is not None and start.value and length.value:
                at, size = int(start.value[0]), int(length.value[0])  # type: ignore[index]
                ranges.append((at, at + size))
    return ranges


def _check_no_overlap(data: bytes, layout: Layout) -> None:
    """Kept strips and tiles must not share bytes with each other or with anything else,
    or copying them would carry a directory, a text tag or a dropped picture along."""
    kept = sorted(r for node in layout.pictures() for r in _piece_ranges(data, layout.order, node))
    for (_, end), (start, _) in itertools.pairwise(kept):
        if start < end:
            raise UnsafeToClean("two parts of this TIFF's picture share the same bytes")
    merged: list[list[int]] = []
    for start, end in sorted(_structure_ranges(data, layout)):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    starts = [m[0] for m in merged]
    for start, end in kept:
        i = bisect.bisect_right(starts, start) - 1
        hits = (i >= 0 and merged[i][1] > start) or (i + 1 < len(merged) and merged[i + 1][0] < end)
        if hits:
            raise UnsafeToClean("this TIFF's picture data overlaps its other data, so copying it "
                                "could carry that data along")


def _allowed(tag: int, policy: Policy) -> bool:
    if tag in STRUCTURE_TAGS or tag in DNG_RENDER_TAGS:
        return True
    if tag == ORIENTATION:
        return policy.keep_orientation
    if tag in ICC_PROFILES:
        return policy.keep_color_profile
    return False


def well_formed(data: bytes, e: Entry) -> bool:
    """The entry has the type and count its tag is defined with (so no text rides in a number
    tag), and a colour profile is a real ICC profile."""
    rule = TAG_RULES.get(e.tag)
    if rule is None or e.value_offset < 0:
        return False
    types, count = rule
    if e.type == 16 and 4 in types:  # LONG8 (only read in a BigTIFF) holds what LONG does
        types = {16}
    if e.type not in types or not (e.count == count if count else e.count >= 1):
        return False
    if e.tag in ICC_PROFILES:
        return icc.is_valid_profile(raw_value(data, e))
    return True


def _kept_entries(data: bytes, node: Node, policy: Policy) -> list[Entry]:
    return [e for e in node.directory.entries if _allowed(e.tag, policy) and well_formed(data, e)]


def _write_picture(w: TiffWriter, data: bytes, order: str, node: Node, policy: Policy,
                   sub_offsets: list[int]) -> tuple[int, int]:
    tags = pixel_tags(node)
    assert tags is not None
    parts = pieces(data, order, node)
    new_offsets = [w.blob(range(off, off + length)) if length else 0 for off, length in parts]
    counts = [length for _, length in parts]
    entries = [(e.tag, e.type, e.count, raw_value(data, e)) for e in _kept_entries(data, node, policy)]
    n = len(new_offsets)
    entries.append((tags[0], w.offset_type, n, w.offsets(new_offsets)))
    entries.append((tags[1], w.offset_type, n, w.offsets(counts)))
    subfile = _subfile_type(data, order, node)
    # a DNG reader finds the raw image by an explicit NewSubfileType 0, so keep the tag as
    # written; only IFD0's "reduced-resolution" label goes, as that page is what viewers show
    if node.find(NEW_SUBFILE_TYPE) is not None and not (node.directory.name == "IFD0" and subfile & 1):
        entries.append((NEW_SUBFILE_TYPE, 4, 1, w.pack("I", subfile)))
    if sub_offsets:
        entries.append((SUB_IFDS, w.pointer_type, len(sub_offsets), w.offsets(sub_offsets)))
    return w.ifd(entries)


def rebuild_plan(data: bytes, layout: Layout, policy: Policy) -> Plan:
    """The cleaned TIFF as a plan: new directories, and the kept pages' pixel data as ranges of ``data``."""
    order = layout.order
    w = TiffWriter(order, layout.shape)
    previous_next = w.first_pointer  # the header's pointer to IFD0
    for page in layout.pages:
        if not page.keep:
            continue
        subs = [_write_picture(w, data, order, c, policy, [])[0] for c in page.children if c.keep]
        start, next_pos = _write_picture(w, data, order, page, policy, subs)
        w.patch(previous_next, start)
        previous_next = next_pos
    return w.plan()


def _text_blob(data: bytes, e: Entry) -> bytes:
    if e.value_offset < 0:
        return b""
    size = TYPE_SIZES[e.type][0] * e.count
    return take(data, e.value_offset, min(size, limits.MAX_METADATA_BYTES), "TIFF value")


def _deep_findings(data: bytes, e: Entry, source: str) -> ScanResult:
    """Look inside XMP, IPTC and Photoshop blobs for what they name."""
    blob = _text_blob(data, e)
    if e.tag == XMP:
        return scan_xmp(blob, source + " XMP")
    if e.tag == IPTC:
        return ScanResult(tuple(scan_iim(blob, source + " IPTC")))
    return scan_photoshop(blob, source + " Photoshop")


def _scan_layout(data: bytes, layout: Layout) -> ScanResult:
    """Findings of every tag a cleaned copy would not keep, in every directory of ``layout``."""
    policy = Policy()
    findings: list[Finding] = []
    location: Location | None = None
    dropped_dirs: list[Directory] = []
    for node in layout.nodes():
        d = node.directory
        if node.keep:
            kept = {e.tag for e in _kept_entries(data, node, policy)} | LAYOUT_TAGS
            extra = [e for e in d.entries if e.tag not in kept]
            dropped_dirs.append(Directory(d.name, d.offset, extra))
        else:
            dropped_dirs.append(d)
            if node.why_dropped:
                findings.append(Finding.make(
                    Category.HIDDEN_IMAGE, "PreviewImage", f"{d.name}: {node.why_dropped}",
                    "Hides another copy of the picture, which may show what was cropped out", "TIFF"))
        for e in dropped_dirs[-1].entries:
            if e.tag in (XMP, IPTC, PHOTOSHOP):
                result = _deep_findings(data, e, "TIFF")
                findings.extend(result.findings)
                location = location or result.location
    result = exif_meta.classify(dropped_dirs, "TIFF")
    findings.extend(result.findings)
    location = result.location or location
    findings.sort(key=lambda f: f.category.severity)
    return ScanResult(tuple(findings), location)


class TiffFormat:
    name = "TIFF"
    extension = ".tif"
    #: Walks a FileView too, so big files (DNG raws) are cleaned in flat memory.
    reads_views = True

    def accept(self, prefix: bytes) -> bool:
        return signatures.is_tiff(prefix)

    def scan(self, data: bytes) -> ScanResult:
        return _scan_layout(data, parse(data))

    def scan_readable(self, data: bytes) -> ScanResult:
        """Findings in the directories read before the first problem, for a file that cannot be
        read whole (``check`` reports them with the problem; cleaning refuses the file)."""
        order, _, shape = header(data)
        layout = Layout(order, [], shape)
        try:
            read_directories(data, layout)
        except GeoscrubError:
            pass
        for node in layout.nodes():  # which pictures would be kept is unknown: judge every tag
            node.keep = node.kind != "meta"
        return _scan_layout(data, layout)

    def strip(self, data: bytes, policy: Policy) -> bytes:
        return join_plan(self.strip_plan(data, policy), data)

    def strip_plan(self, data: bytes, policy: Policy) -> Plan:
        return rebuild_plan(data, parse(data), policy)

    def same_picture(self, original: bytes, cleaned: bytes) -> bool:
        """Every kept page decodes the same: same decoding tags, same pixel bytes (compared in windows)."""
        a, b = parse(original), parse(cleaned)
        pictures_a, pictures_b = list(a.pictures()), list(b.pictures())
        if len(pictures_a) != len(pictures_b):
            return False
        for node_a, node_b in zip(pictures_a, pictures_b):
            if node_a.kind != node_b.kind or _decoding(original, node_a) != _decoding(cleaned, node_b):
                return False
            spans_a, spans_b = pieces(original, a.order, node_a), pieces(cleaned, b.order, node_b)
            if [n for _, n in spans_a] != [n for _, n in spans_b]:
                return False
            if not all(same_range(original, x, cleaned, y, n) for (x, n), (y, _) in zip(spans_a, spans_b)):
                return False
        return True

    def image_data(self, data: bytes) -> list[bytes | memoryview]:
        layout = parse(data)
        view = memoryview(data)
        out: list[bytes | memoryview] = []
        for node in layout.pictures():
            out.append(repr((node.kind, _decoding(data, node))).encode())
            out.extend(view[off : off + length] for off, length in pieces(data, layout.order, node))
        return out


def _decoding(data: bytes, node: Node) -> list[tuple[int, bytes]]:
    """The tags a reader needs to decode a page's pixels, with their raw values."""
    return sorted((e.tag, raw_value(data, e)) for e in node.directory.entries if e.tag in DECODE_TAGS)


FORMAT = TiffFormat()
