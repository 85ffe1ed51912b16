"""HEIF's item model and the reading of its ``meta`` box: items, their locations, links and properties.

Every count, offset and size is checked against its box; anything not
understood (encrypted items, data in another file, unknown box versions) is
refused with a reason.  Nothing here judges what is kept: see ``heif_kept``.
"""
from __future__ import annotations

import bisect
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from .. import limits
from .._binary import take, type_name, u8, u16, u32
from ..errors import GeoscrubError, MalformedFile, TruncatedFile, UnsafeToClean, UnsupportedFormat
from .base import remember_last_parses
from .isobmff import Box, Budget, ascii4, cstring, full_header, read_boxes, read_header, sized_uint

T = TypeVar("T")

#: ftyp brands (major or compatible) of the still-image HEIF family.
BRANDS = {b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}

#: Item types that are pictures.  Derived ones are built from other items.
CODED_TYPES = {b"hvc1", b"av01", b"jpeg", b"vvc1", b"avc1", b"j2k1", b"unci"}
DERIVED_TYPES = {b"grid", b"iden", b"iovl"}
IMAGE_TYPES = CODED_TYPES | DERIVED_TYPES
#: Derived pictures that only add an HDR rendition (ISO 21496-1 gain map): dropped with their gain map.
GAIN_MAP_TYPES = {b"tmap"}
#: Item types that carry metadata about a picture: always dropped.
METADATA_TYPES = {b"Exif", b"mime", b"uri ", b"iptc"}

#: Links between items this module understands.
KNOWN_REFS = {b"dimg", b"thmb", b"cdsc", b"auxl", b"prem", b"base"}

#: Auxiliary images that belong to the picture (transparency): kept.
ALPHA_TYPES = {"urn:mpeg:hevc:2015:auxid:1", "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha"}

_NEEDED_TOP = {b"ftyp", b"meta", b"mdat", b"moov"}


# --------------------------------------------------------------------- model --


@dataclass
class Item:
    """One entry of the item info and location tables."""

    id: int
    type: bytes
    hidden: bool = False
    content_type: str = ""
    content_encoding: str = ""
    method: int = 0  # 0: file offsets, 1: offsets into idat
    extents: list[tuple[int, int]] = field(default_factory=list)  # (offset, length)
    located: bool = False

    @property
    def label(self) -> str:
        return type_name(self.type).strip()


@dataclass(frozen=True)
class Ref:
    """One link of the item reference box: ``from_id`` -> ``to_ids``."""

    type: bytes
    from_id: int
    to_ids: tuple[int, ...]


@dataclass
class Heif:
    """What was read from one file."""

    ftyp: Box
    brands: set[bytes]
    top: list[Box]
    tail_start: int
    primary: int
    items: dict[int, Item]
    refs: list[Ref]
    props: list[Box]  # ipco children; property index i is props[i - 1]
    assoc: dict[int, list[tuple[int, bool]]]  # item -> [(property index, essential)]
    assoc_order: list[int]
    idat: Box | None
    mdats: list[Box]
    has_dinf: bool
    groups: list[tuple[bytes, int, tuple[int, ...]]]  # entity groups: (type, group id, ids)
    extra_meta: list[Box]  # meta children not understood: reported, dropped
    _by_source: dict[tuple[int, bytes], list[Ref]] | None = None

    def prop_boxes(self, item_id: int) -> list[tuple[int, Box, bool]]:
        return [(i, self.props[i - 1], ess) for i, ess in self.assoc.get(item_id, []) if i]

    def prop(self, item_id: int, ptype: bytes) -> Box | None:
        for _, b, _ in self.prop_boxes(item_id):
            if b.type == ptype:
                return b
        return None

    def refs_from(self, item_id: int, rtype: bytes) -> list[Ref]:
        if self._by_source is None:
            self._by_source = {}
            for r in self.refs:
                self._by_source.setdefault((r.from_id, r.type), []).append(r)
        return self._by_source.get((item_id, rtype), [])


# ------------------------------------------------------------------- reading --


@remember_last_parses
def parse(data: bytes) -> Heif:
    """Read the top-level boxes and the ``meta`` box; raise a GeoscrubError on anything odd."""
    return typed(_parse, data)


def typed(func: Callable[..., T], *args: object) -> T:
    """Run ``func``; a slip on hostile bytes becomes MalformedFile, never a traceback."""
    try:
        return func(*args)
    except GeoscrubError:
        raise
    except (IndexError, KeyError, ValueError, OverflowError, struct.error, UnicodeError) as err:
        raise MalformedFile(f"HEIF structure could not be read ({type(err).__name__})") from None


def _parse(data: bytes, whole: bool = True) -> Heif:
    """See ``parse``.  With ``whole`` False (reading what a damaged file still shows), a box cut
    short ends the walk instead of refusing, and item locations are not checked."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        raise UnsupportedFormat("not a HEIF/AVIF file")
    budget = Budget()
    top: list[Box] = []
    pos, end = 0, len(data)
    tail_start = end
    while pos < end:
        if end - pos < 8 or not ascii4(data[pos + 4 : pos + 8]):
            tail_start = pos
            break
        try:
            b = read_header(data, pos, end)
        except TruncatedFile:
            if data[pos + 4 : pos + 8] in _NEEDED_TOP and whole:
                raise
            tail_start = pos  # a vendor trailer that merely looks like a box header
            break
        budget.spend()
        top.append(b)
        pos = b.end
    ftyp = top[0]
    if ftyp.type != b"ftyp" or ftyp.size < 16:
        raise MalformedFile("HEIF file does not start with a valid 'ftyp' box")
    brand_list = _brands(data, ftyp)
    brands = set(brand_list)
    if not brands & BRANDS:
        raise UnsupportedFormat("ISO media file that is not a HEIF/AVIF picture")
    types = [b.type for b in top]
    if b"moov" in types:
        raise UnsafeToClean("animated HEIF/AVIF (image sequences) cannot be cleaned yet")
    if types.count(b"ftyp") != 1:
        raise MalformedFile("HEIF file has more than one 'ftyp' box")
    metas = [b for b in top if b.type == b"meta"]
    if len(metas) != 1:
        raise MalformedFile("HEIF file must have exactly one 'meta' box" if metas else "HEIF file has no 'meta' box")
    heif = Heif(ftyp, brands, top, tail_start, 0, {}, [], [], {}, [], None,
                [b for b in top if b.type == b"mdat"], False, [], [])
    _read_meta(data, metas[0], heif, budget)
    if whole:
        _check_extents(heif)
    return heif


def _brands(data: bytes, ftyp: Box) -> list[bytes]:
    """Major brand, then the compatible brands, each once; anything that is not a brand is refused."""
    found: list[bytes] = []
    for p in [ftyp.payload, *range(ftyp.payload + 8, ftyp.end - 3, 4)]:
        brand = bytes(data[p : p + 4])
        if not ascii4(brand):
            raise MalformedFile("HEIF 'ftyp' box holds something other than brands", p)
        if brand not in found:
            found.append(brand)
    if len(found) > 64 or (ftyp.end - ftyp.payload) % 4:
        raise MalformedFile("HEIF 'ftyp' box is not a plain list of brands", ftyp.start)
    return found


def _version(data: bytes, b: Box, allowed: Iterable[int]) -> tuple[int, int, int]:
    version, flags, pos = full_header(data, b)
    if version not in allowed:
        raise UnsafeToClean(f"'{b.name}' box version {version} is not understood")
    return version, flags, pos


def _read_meta(data: bytes, meta: Box, heif: Heif, budget: Budget) -> None:
    _, _, pos = _version(data, meta, (0,))
    children = read_boxes(data, pos, meta.end, budget, 1)
    if not children or children[0].type != b"hdlr":
        raise MalformedFile("HEIF 'meta' box does not start with a handler")
    seen: set[bytes] = set()
    later: list[Box] = []  # item locations are read once the item list is known
    for b in children:
        if b.type in (b"hdlr", b"pitm", b"iinf", b"iloc", b"iref", b"iprp", b"idat", b"dinf", b"grpl"):
            if b.type in seen:
                raise MalformedFile(f"HEIF 'meta' box has two '{b.name}' boxes")
            seen.add(b.type)
        if b.type == b"hdlr":
            _, _, p = _version(data, b, (0,))
            if take(data, p + 4, 4, "handler") != b"pict":
                raise UnsafeToClean("HEIF 'meta' box is not for pictures")
        elif b.type == b"pitm":
            version, _, p = _version(data, b, (0, 1))
            heif.primary = u16(data, p) if version == 0 else u32(data, p)
        elif b.type == b"iinf":
            _read_iinf(data, b, heif, budget)
        elif b.type == b"iloc":
            later.append(b)
        elif b.type == b"iref":
            _read_iref(data, b, heif, budget)
        elif b.type == b"iprp":
            _read_iprp(data, b, heif, budget)
        elif b.type == b"idat":
            heif.idat = b
        elif b.type == b"dinf":
            heif.has_dinf = True
        elif b.type == b"grpl":
            _read_grpl(data, b, heif, budget)
        elif b.type == b"ipro":
            raise UnsafeToClean("HEIF file has encrypted items")
        else:
            heif.extra_meta.append(b)
    for needed in (b"pitm", b"iinf", b"iloc"):
        if needed not in seen:
            raise MalformedFile(f"HEIF 'meta' box has no '{needed.decode()}' box")
    _read_iloc(data, later[0], heif)
    if heif.primary not in heif.items:
        raise MalformedFile("HEIF primary item is not in the item list")
    for item in heif.items.values():
        if not item.located and item.type in CODED_TYPES:
            raise MalformedFile(f"HEIF picture item {item.id} has no data")


def _read_iinf(data: bytes, b: Box, heif: Heif, budget: Budget) -> None:
    version, _, p = _version(data, b, (0, 1))
    count = u16(data, p) if version == 0 else u32(data, p)
    limits.enforce("MAX_FRAMES", count, limits.MAX_FRAMES)
    entries = read_boxes(data, p + (2 if version == 0 else 4), b.end, budget, 2)
    if len(entries) != count:
        raise MalformedFile("HEIF item list count does not match its entries", b.start)
    for e in entries:
        if e.type != b"infe":
            raise MalformedFile(f"unexpected '{e.name}' box in the HEIF item list", e.start)
        ev, eflags, q = full_header(data, e)
        if ev not in (2, 3):
            raise UnsafeToClean(f"HEIF item entry version {ev} is not understood")
        if ev == 2:
            item_id, q = u16(data, q), q + 2
        else:
            item_id, q = u32(data, q), q + 4
        protection = u16(data, q)
        itype = take(data, q + 2, 4, "item type")
        q += 6
        if q > e.end:
            raise TruncatedFile("HEIF item entry cut off", e.start)
        if protection:
            raise UnsafeToClean("HEIF file has protected (encrypted) items")
        if item_id in heif.items:
            raise MalformedFile(f"HEIF item {item_id} is listed twice")
        item = Item(item_id, itype, hidden=bool(eflags & 1))
        _, q = cstring(data, q, e.end, "item name")
        if itype == b"mime":
            ctype, q = cstring(data, q, e.end, "content type")
            item.content_type = ctype.decode("utf-8", "replace")
            if q < e.end:
                enc, q = cstring(data, q, e.end, "content encoding")
                item.content_encoding = enc.decode("utf-8", "replace")
        elif itype == b"uri ":
            uri, q = cstring(data, q, e.end, "item URI type")
            item.content_type = uri.decode("utf-8", "replace")
        heif.items[item_id] = item


def _read_iloc(data: bytes, b: Box, heif: Heif) -> None:
    version, _, p = _version(data, b, (0, 1, 2))
    sizes = u8(data, p)
    more = u8(data, p + 1)
    offset_size, length_size, base_size = sizes >> 4, sizes & 15, more >> 4
    index_size = more & 15 if version else 0
    if {offset_size, length_size, base_size, index_size} - {0, 4, 8}:
        raise MalformedFile("HEIF item locations use an invalid field size", b.start)
    p += 2
    if version < 2:
        count, p = u16(data, p), p + 2
    else:
        count, p = u32(data, p), p + 4
    limits.enforce("MAX_FRAMES", count, limits.MAX_FRAMES)
    seen: set[int] = set()
    total_extents = 0
    for _ in range(count):
        if version < 2:
            item_id, p = u16(data, p), p + 2
        else:
            item_id, p = u32(data, p), p + 4
        method = 0
        if version:
            method, p = u16(data, p) & 0xF, p + 2
        dref, p = u16(data, p), p + 2
        base = sized_uint(data, p, base_size, b.end)
        p += base_size
        n, p = u16(data, p), p + 2
        total_extents += n
        limits.enforce("MAX_SEGMENTS", total_extents, limits.MAX_SEGMENTS)
        extents = []
        for _ in range(n):
            p += index_size
            off = sized_uint(data, p, offset_size, b.end)
            p += offset_size
            length = sized_uint(data, p, length_size, b.end)
            p += length_size
            extents.append((base + off, length))
        if p > b.end:
            raise TruncatedFile("HEIF item locations cut off", b.start)
        if item_id in seen:
            raise MalformedFile(f"HEIF item {item_id} has two locations")
        seen.add(item_id)
        item = heif.items.get(item_id)
        if item is None:
            continue  # located but not listed: its bytes are simply not copied
        if dref:
            raise UnsafeToClean("HEIF item data is stored in another file")
        if method not in (0, 1):
            raise UnsafeToClean(f"HEIF item {item_id} uses a data construction method geoscrub does not handle")
        if any(length == 0 for _, length in extents):
            raise UnsafeToClean(f"HEIF item {item_id} has data without a stated length")
        item.method, item.extents, item.located = method, extents, True


def _read_iref(data: bytes, b: Box, heif: Heif, budget: Budget) -> None:
    version, _, p = _version(data, b, (0, 1))
    width = 2 if version == 0 else 4
    read = u16 if version == 0 else u32
    for r in read_boxes(data, p, b.end, budget, 2):
        q = r.payload
        from_id = read(data, q)
        n = u16(data, q + width)
        q += width + 2
        if q + n * width != r.end:
            raise MalformedFile(f"HEIF '{r.name}' reference has a wrong size", r.start)
        to_ids = tuple(read(data, q + i * width) for i in range(n))
        heif.refs.append(Ref(r.type, from_id, to_ids))
    limits.enforce("MAX_FRAMES", len(heif.refs), limits.MAX_FRAMES)


def _read_iprp(data: bytes, b: Box, heif: Heif, budget: Budget) -> None:
    children = read_boxes(data, b.payload, b.end, budget, 2)
    if not children or children[0].type != b"ipco":
        raise MalformedFile("HEIF properties box does not start with 'ipco'")
    heif.props = read_boxes(data, children[0].payload, children[0].end, budget, 3)
    ipmas = [c for c in children[1:] if c.type == b"ipma"]
    if len(children) != 1 + len(ipmas):
        raise UnsafeToClean("HEIF properties box holds boxes geoscrub does not know")
    if len(ipmas) > 1:
        raise UnsafeToClean("HEIF file has more than one property association table")
    for ipma in ipmas:
        version, flags, p = _version(data, ipma, (0, 1))
        count, p = u32(data, p), p + 4
        limits.enforce("MAX_FRAMES", count, limits.MAX_FRAMES)
        for _ in range(count):
            if version == 0:
                item_id, p = u16(data, p), p + 2
            else:
                item_id, p = u32(data, p), p + 4
            n, p = u8(data, p), p + 1
            links = []
            for _ in range(n):
                if flags & 1:
                    raw, p = u16(data, p), p + 2
                    index, essential = raw & 0x7FFF, bool(raw & 0x8000)
                else:
                    raw, p = u8(data, p), p + 1
                    index, essential = raw & 0x7F, bool(raw & 0x80)
                if index > len(heif.props):
                    raise MalformedFile(f"HEIF item {item_id} points to a missing property {index}")
                links.append((index, essential))
            if item_id in heif.assoc:
                raise MalformedFile(f"HEIF item {item_id} has two property lists")
            heif.assoc[item_id] = links
            heif.assoc_order.append(item_id)
        if p > ipma.end:
            raise TruncatedFile("HEIF property associations cut off", ipma.start)


def _read_grpl(data: bytes, b: Box, heif: Heif, budget: Budget) -> None:
    for g in read_boxes(data, b.payload, b.end, budget, 2):
        _, _, p = _version(data, g, (0,))
        group_id, n = u32(data, p), u32(data, p + 4)
        if p + 8 + 4 * n != g.end:
            raise MalformedFile(f"HEIF entity group '{g.name}' has a wrong size", g.start)
        heif.groups.append((g.type, group_id, tuple(u32(data, p + 8 + 4 * i) for i in range(n))))


def _check_extents(heif: Heif) -> None:
    """Every item's bytes must lie inside one media-data box (or idat); nothing else is copied."""
    idat_len = heif.idat.end - heif.idat.payload if heif.idat else 0
    starts = [m.payload for m in heif.mdats]  # top-level boxes: already in file order
    for item in heif.items.values():
        for off, length in item.extents:
            if item.method == 1:
                if off + length > idat_len:
                    raise MalformedFile(f"HEIF item {item.id} points past its 'idat' box")
            elif not _inside(heif.mdats, starts, off, length):
                raise MalformedFile(f"HEIF item {item.id} points outside the media data")


def _inside(mdats: list[Box], starts: list[int], off: int, length: int) -> bool:
    at = bisect.bisect_right(starts, off) - 1
    return at >= 0 and off + length <= mdats[at].end


def item_base(heif: Heif, item: Item) -> int:
    """Where the item's extent offsets count from: the 'idat' payload, or the file's start."""
    return heif.idat.payload if item.method == 1 and heif.idat else 0


def item_bytes(data: bytes, heif: Heif, item: Item) -> bytes:
    """The item's payload (its extents joined)."""
    base = item_base(heif, item)
    return b"".join(data[base + off : base + off + length] for off, length in item.extents)


def item_stream(data: bytes, heif: Heif, item: Item) -> tuple[bytes, int, int]:
    """(buffer, start, end) holding the item's payload.

    An item in one extent (nearly every picture) is read where it lies, so
    a big file read on demand is never copied whole; one in several extents
    is joined first.
    """
    if len(item.extents) == 1:
        base = item_base(heif, item)
        off, length = item.extents[0]
        return data, base + off, base + off + length
    joined = item_bytes(data, heif, item)
    return joined, 0, len(joined)
