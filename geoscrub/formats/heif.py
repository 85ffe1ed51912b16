"""HEIC, HEIF and AVIF (ISO/IEC 23008-12 on ISO-BMFF): keep the pictures, drop the rest.

Cleaning rebuilds the file as ``ftyp`` + a new ``meta`` + one ``mdat`` that
holds only the coded data of the pictures that are kept, with every item
location rewritten.  Exif, XMP and other metadata items, thumbnails, depth and
gain-map images, motion-photo video (``mpvd``), vendor boxes and trailers are
left out entirely, so nothing of them survives, not even as unreferenced bytes.
Rotation and mirroring (``irot``/``imir``) and the colour profile are kept.
The coded image data is copied byte for byte and never decoded, but every
kept byte is accounted for first: kept data may not overlap removed data, each
kept property must hold exactly its fields, HEVC and AV1 streams are walked
unit by unit (units decoders skip and notes that can hold text are refused),
and a colour profile with stray bytes is dropped.

Anything not understood (image sequences, encrypted items, data in another
file, grids of an unusual layout, unknown links to the picture, unknown
versions of the boxes read here) is refused with a reason.
"""
from __future__ import annotations

import bisect
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .. import limits
from .._binary import take, u8, u16, u32
from ..errors import GeoscrubError, MalformedFile, TruncatedFile, UnsafeToClean, UnsupportedFormat
from ..fileview import is_zero_padding, same_range
from ..metadata import exif as exif_meta
from ..metadata import icc
from ..metadata.iptc import scan_iim
from ..metadata.xmp import scan_xmp
from ..model import Category, Finding, Location, Policy, ScanResult, better_location
from . import trailers
from .base import Plan, join_plan, remember_last_parses
from .isobmff import Box, Budget, box, cstring, full_box, full_header, read_boxes, read_header, sized_uint

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

#: Item properties kept when the picture they belong to is kept.
KEPT_PROPERTIES = {
    b"hvcC", b"av1C", b"vvcC", b"avcC", b"jpgC", b"j2kH", b"uncC", b"cmpd", b"ispe", b"pixi",
    b"clap", b"pasp", b"auxC", b"rloc", b"lsel", b"a1op", b"a1lx", b"clli", b"mdcv", b"cclv",
    b"amve", b"colr", b"irot", b"imir",
}
ORIENTATION_PROPERTIES = {b"irot", b"imir"}
#: Properties whose bytes must come out unchanged: they decide how the picture decodes.
DECODING_PROPERTIES = KEPT_PROPERTIES - ORIENTATION_PROPERTIES - {b"colr"}
#: Properties holding text or times someone or something wrote: reported, dropped.
TEXT_PROPERTIES = {
    b"udes": (Category.OTHER, "UserDescription", "Has a name, description or tags someone typed"),
    b"altt": (Category.OTHER, "AltText", "Has a text description of the picture"),
    b"crtt": (Category.TIME, "CreationTime", "Tells when the photo was taken"),
    b"mdft": (Category.TIME, "ModificationTime", "Tells when the photo was changed"),
}

#: Top-level boxes that are part of the picture.
_STRUCTURE = {b"ftyp", b"meta", b"mdat"}
_FILLER = {b"free", b"skip"}
_NEEDED_TOP = {b"ftyp", b"meta", b"mdat", b"moov"}

_THUMB = "Hides a small copy of the picture that may show what was cropped out"
_HIDDEN = "Hides another picture inside the file"
_DEPTH = "Hides a depth map that shows the shape of the people and things in the photo"
_MATTE = "Hides an outline of the people in the photo"
_GAIN = "Has an extra brightness picture for HDR screens (removed; the photo looks the same)"
_VIDEO = "Carries a video, which can show and sound much more than the photo"
_SAMSUNG = "Hides Samsung phone data, such as the country code or edit history"


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
        return "".join(chr(b) if 32 <= b < 127 else "?" for b in self.type).strip()


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


def _ascii4(btype: bytes) -> bool:
    return len(btype) == 4 and all(32 <= b < 127 for b in btype)


@remember_last_parses
def parse(data: bytes) -> Heif:
    """Read the top-level boxes and the ``meta`` box; raise a GeoscrubError on anything odd."""
    return _typed(_parse, data)


def _typed(func: Callable[..., T], *args: object) -> T:
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
        if end - pos < 8 or not _ascii4(data[pos + 4 : pos + 8]):
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
        if not _ascii4(brand):
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


def _item_base(heif: Heif, item: Item) -> int:
    """Where the item's extent offsets count from: the 'idat' payload, or the file's start."""
    return heif.idat.payload if item.method == 1 and heif.idat else 0


def item_bytes(data: bytes, heif: Heif, item: Item) -> bytes:
    """The item's payload (its extents joined)."""
    base = _item_base(heif, item)
    return b"".join(data[base + off : base + off + length] for off, length in item.extents)


def item_stream(data: bytes, heif: Heif, item: Item) -> tuple[bytes, int, int]:
    """(buffer, start, end) holding the item's payload.

    An item in one extent (nearly every picture) is read where it lies, so
    a big file read on demand is never copied whole; one in several extents
    is joined first.
    """
    if len(item.extents) == 1:
        base = _item_base(heif, item)
        off, length = item.extents[0]
        return data, base + off, base + off + length
    joined = item_bytes(data, heif, item)
    return joined, 0, len(joined)


# -------------------------------------------------------------------- roles --


def aux_type(data: bytes, heif: Heif, item_id: int) -> str:
    prop = heif.prop(item_id, b"auxC")
    if prop is None:
        return ""
    try:
        _, _, p = full_header(data, prop)
        text, _ = cstring(data, p, prop.end, "auxiliary type")
    except GeoscrubError:
        return ""
    return text.decode("utf-8", "replace")


def _roles(data: bytes, heif: Heif) -> tuple[set[int], set[int], dict[int, str]]:
    """(thumbnail items, auxiliary items, their aux types), computed without judging."""
    thumbs = {r.from_id for r in heif.refs if r.type == b"thmb"}
    aux = {r.from_id for r in heif.refs if r.type == b"auxl"}
    return thumbs, aux, {i: aux_type(data, heif, i) for i in aux}


def kept_items(data: bytes, heif: Heif) -> set[int]:
    """The pictures that stay: the primary, other shown pictures, their tiles and transparency.

    Raises UnsafeToClean when the picture depends on something not understood.
    """
    return _kept(data, heif).keep


@dataclass(frozen=True)
class _Kept:
    keep: set[int]
    alpha: set[int]  # the transparency items among them
    props: dict[int, list[tuple[int, Box, bool]]]  # item -> properties that may stay (before the policy)


def _kept(data: bytes, heif: Heif) -> _Kept:
    """The kept items, their transparency and properties, every kept byte checked.

    The check walks the coded data, so it is done once per buffer (scan, strip and
    the verifier all ask); the result must not be changed by callers.
    """
    if type(data) is bytes and parse(data) is heif:
        return _kept_checked(data)
    return _judge(data, heif)


@remember_last_parses
def _kept_checked(data: bytes) -> _Kept:
    return _judge(data, parse(data))


def _judge(data: bytes, heif: Heif) -> _Kept:
    thumbs, aux, aux_types = _roles(data, heif)
    if heif.items[heif.primary].type not in IMAGE_TYPES:
        raise UnsafeToClean(f"HEIF primary item is of an unknown type '{heif.items[heif.primary].label}'")
    if heif.items[heif.primary].hidden:
        raise MalformedFile("HEIF primary item is marked hidden")
    roots = [heif.primary] + [
        i for i, it in heif.items.items()
        if it.type in IMAGE_TYPES and not it.hidden and i not in thumbs and i not in aux and i != heif.primary
    ]
    alpha_of: dict[int, list[int]] = {}
    for r in heif.refs:
        if r.type == b"auxl" and aux_types.get(r.from_id) in ALPHA_TYPES:
            for master in r.to_ids:
                alpha_of.setdefault(master, []).append(r.from_id)
    keep: set[int] = set()
    stack = list(roots)
    while stack:
        i = stack.pop()
        if i in keep:
            continue
        if i not in heif.items:
            raise MalformedFile(f"HEIF picture refers to a missing item {i}")
        keep.add(i)
        stack.extend(alpha_of.get(i, ()))
        for r in heif.refs_from(i, b"dimg"):
            stack.extend(r.to_ids)
    for i in keep:
        item = heif.items[i]
        if item.type not in IMAGE_TYPES:
            raise UnsafeToClean(f"HEIF picture is built from an item of unknown type '{item.label}'")
        if item.type in DERIVED_TYPES:
            _check_derived(data, heif, item)
        elif heif.refs_from(i, b"dimg"):
            raise UnsafeToClean(f"HEIF coded picture {i} also claims to be built from other items")
    for r in heif.refs:
        touches = r.from_id in keep or any(t in keep for t in r.to_ids)
        if not touches:
            continue
        if r.type not in KNOWN_REFS:
            raise UnsafeToClean(f"HEIF picture has a link of unknown type '{_label(r.type)}'")
        source = heif.items.get(r.from_id)
        if source is not None and source.type in GAIN_MAP_TYPES and r.type == b"dimg":
            continue  # an HDR rendition built on the picture: dropped with its gain map
        for i in (r.from_id, *r.to_ids):
            it = heif.items.get(i)
            if it is not None and it.type not in IMAGE_TYPES and it.type not in METADATA_TYPES:
                raise UnsafeToClean(f"an item of unknown type '{it.label}' is linked to the picture")
        if r.type == b"cdsc" and r.from_id in keep:
            raise UnsafeToClean("a HEIF picture item claims to describe another item")
        if r.type in (b"prem", b"base", b"dimg") and r.from_id in keep and not all(t in keep for t in r.to_ids):
            raise UnsafeToClean(f"HEIF picture links ('{_label(r.type)}') to an item that would be removed")
    for i, it in heif.items.items():
        if it.type in METADATA_TYPES and it.method == 1:
            raise UnsafeToClean("HEIF metadata is stored inside the 'meta' box (idat), which geoscrub does not clean")
    for gtype, _, ids in heif.groups:
        if gtype == b"altr":
            continue  # alternatives: the removed ones are simply no longer offered
        if any(i in keep for i in ids) and not all(i in keep for i in ids):
            raise UnsafeToClean(f"HEIF entity group '{_label(gtype)}' mixes kept and removed items")
    alpha = {a for masters in alpha_of.values() for a in masters} & keep
    _check_overlaps(heif, keep)
    props = _item_props(data, heif, keep, alpha)
    _check_coded_data(data, heif, keep)
    return _Kept(keep, alpha, props)


def _check_derived(data: bytes, heif: Heif, item: Item) -> None:
    refs = heif.refs_from(item.id, b"dimg")
    if len(refs) != 1:
        raise UnsafeToClean(f"HEIF derived picture {item.id} has an unusual layout")
    inputs = refs[0].to_ids
    for i in inputs:
        sub = heif.items.get(i)
        if sub is None or sub.type not in CODED_TYPES:
            raise UnsafeToClean(f"HEIF derived picture {item.id} is built from something other than coded pictures")
    if item.type == b"grid":
        desc = item_bytes(data, heif, item)
        if len(desc) < 8 or desc[0] != 0:
            raise UnsafeToClean("HEIF grid picture has an unusual layout")
        big = desc[1] & 1
        if len(desc) != (12 if big else 8):
            raise UnsafeToClean("HEIF grid picture has an unusual layout")
        rows, cols = desc[2] + 1, desc[3] + 1
        if rows * cols != len(inputs) or len(set(inputs)) != len(inputs):
            raise UnsafeToClean("HEIF grid picture has an unusual layout (tile count does not match)")
    elif item.type == b"iden":
        if len(inputs) != 1:
            raise UnsafeToClean("HEIF derived picture has an unusual layout")
        if item.extents:
            raise UnsafeToClean("HEIF turned picture ('iden') carries data it should not have")
    elif item.type == b"iovl":
        desc = item_bytes(data, heif, item)
        if len(desc) < 2 or desc[0] != 0:
            raise UnsafeToClean("HEIF overlay picture has an unusual layout")
        field_size = 4 if desc[1] & 1 else 2
        if len(desc) != 2 + 8 + 2 * field_size + 2 * field_size * len(inputs):
            raise UnsafeToClean("HEIF overlay picture description has a wrong size (it may hide data)")


def _label(btype: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 else "?" for b in btype)


# ------------------------------------------------------- checking kept bytes --
#
# Whatever is kept is copied byte for byte, so every kept byte must be
# accounted for: data shared with something removed, bytes after a property's
# fields, units of the coded stream that decoders skip and notes (SEI) that
# can hold text would all carry metadata through untouched.


def _check_overlaps(heif: Heif, keep: set[int]) -> None:
    """Kept data must not overlap removed data, nor (but for exact copies) other kept data."""
    for method in (0, 1):
        kept_spans = sorted({(off, off + n) for i in keep if heif.items[i].method == method
                             for off, n in heif.items[i].extents})
        reach = -1
        for start, stop in kept_spans:
            if start < reach:
                raise UnsafeToClean("HEIF pictures share part of their data in an unusual way")
            reach = max(reach, stop)
        dropped = sorted((off, off + n) for i, it in heif.items.items() if i not in keep and it.method == method
                         for off, n in it.extents)
        starts = [a for a, _ in kept_spans]
        for start, stop in dropped:
            at = bisect.bisect_left(starts, stop) - 1  # last kept span starting before this one ends
            if at >= 0 and kept_spans[at][1] > start:
                raise UnsafeToClean("HEIF picture data overlaps data that is removed (it may hide metadata)")


#: Exact payload sizes (after the box header, and after version/flags for full boxes).
_FIXED_SIZES = {
    b"ispe": 12, b"irot": 1, b"imir": 1, b"pasp": 8, b"clap": 32, b"clli": 4, b"mdcv": 24,
    b"rloc": 12, b"lsel": 2, b"a1op": 1, b"amve": 8,
}
#: Decoding properties whose layout geoscrub does not check: a picture needing them is refused.
_UNCHECKED = {b"vvcC", b"avcC", b"jpgC", b"j2kH", b"uncC", b"cmpd", b"cclv"}


def _property_fits(data: bytes, prop: Box) -> bool:
    """True when a kept property holds exactly its fields; False when it may be dropped
    (an auxiliary type that is not transparency, a colour profile with stray bytes).

    Raises UnsafeToClean when a property the picture needs holds more than its fields.
    """
    size = prop.end - prop.payload
    bad = UnsafeToClean(f"HEIF picture setting '{prop.name}' holds extra bytes (they may hide metadata)")
    if prop.type in _FIXED_SIZES:
        if size != _FIXED_SIZES[prop.type]:
            raise bad
        if prop.type == b"irot" and data[prop.payload] & 0xFC or prop.type == b"imir" and data[prop.payload] & 0xFE:
            raise bad
        return True
    if prop.type == b"pixi":
        if size < 5 or data[prop.payload] != 0 or size != 5 + data[prop.payload + 4]:
            raise bad
        return True
    if prop.type == b"hvcC":
        _hvcc_length_size(data, prop)
        return True
    if prop.type == b"av1C":
        _check_av1c(data, prop)
        return True
    if prop.type == b"colr":
        kind = take(data, prop.payload, 4, "colour type")
        if kind == b"nclx":
            if size != 11:
                raise bad
            return True
        if kind in (b"prof", b"rICC"):
            return icc.is_valid_profile(bytes(data[prop.payload + 4 : prop.end]))
        raise UnsafeToClean(f"HEIF colour setting of an unknown kind ('{_label(kind)}')")
    if prop.type == b"auxC":
        return bytes(data[prop.payload : prop.end]) in _ALPHA_AUXC
    if prop.type in _UNCHECKED:
        raise UnsafeToClean(f"HEIF picture setting '{prop.name}' cannot be checked by geoscrub yet")
    raise UnsafeToClean(f"HEIF picture setting '{prop.name}' is not understood")


#: auxC payloads (version/flags, URN, NUL, no subtype) that mark transparency.
_ALPHA_AUXC = {bytes(4) + urn.encode() + b"\x00" for urn in ALPHA_TYPES}


def _item_props(data: bytes, heif: Heif, keep: set[int], alpha: set[int]) -> dict[int, list[tuple[int, Box, bool]]]:
    """For each kept item, the properties that may stay with it (before the policy is applied)."""
    verdicts: dict[int, bool] = {}
    out: dict[int, list[tuple[int, Box, bool]]] = {}
    for item_id in keep:
        kept = out.setdefault(item_id, [])
        for index, prop, essential in heif.prop_boxes(item_id):
            if prop.type not in KEPT_PROPERTIES:
                if essential:
                    raise UnsafeToClean(f"HEIF picture needs a property geoscrub does not know ('{prop.name}')")
                continue
            if index not in verdicts:
                verdicts[index] = _property_fits(data, prop)
            if prop.type == b"auxC":
                if item_id in alpha and not verdicts[index]:
                    raise UnsafeToClean("HEIF transparency has an auxiliary type geoscrub does not know")
                if item_id not in alpha:
                    continue  # an auxiliary type on a picture that is not one: dropped, reported
            elif not verdicts[index]:
                continue  # a colour profile with stray bytes: dropped, reported
            kept.append((index, prop, essential))
    return out


def _dropped_property(data: bytes, heif: Heif, item_id: int, prop: Box, alpha: set[int]) -> bool:
    """True for a kept item's auxC or colour profile that cleaning leaves out."""
    if prop.type not in (b"auxC", b"colr"):
        return False
    try:
        fits = _property_fits(data, prop)
    except GeoscrubError:
        return False  # cleaning refuses; nothing to add
    return not fits or (prop.type == b"auxC" and item_id not in alpha)


def _hvcc_length_size(data: bytes, prop: Box) -> int:
    """Read an HEVC decoder configuration to its exact end; return the NAL length-field size."""
    p, end = prop.payload, prop.end
    if end - p < 23 or data[p] != 1:
        raise UnsafeToClean("HEIF picture settings ('hvcC') are not understood")
    length_size = (data[p + 21] & 3) + 1
    if length_size == 3:
        raise UnsafeToClean("HEIF picture settings ('hvcC') use an invalid length size")
    q = p + 23
    for _ in range(data[p + 22]):
        if q + 3 > end:
            raise UnsafeToClean("HEIF picture settings ('hvcC') are cut off")
        array_type, count = data[q] & 0x3F, u16(data, q + 1)
        q += 3
        for _ in range(count):
            if q + 2 > end:
                raise UnsafeToClean("HEIF picture settings ('hvcC') are cut off")
            n = u16(data, q)
            if q + 2 + n > end:
                raise UnsafeToClean("HEIF picture settings ('hvcC') are cut off")
            nal = bytes(data[q + 2 : q + 2 + n])
            if n < 2 or (nal[0] >> 1) & 0x3F != array_type or array_type not in _HEVC_CONFIG_NALS:
                raise UnsafeToClean("HEIF picture settings ('hvcC') hold a unit geoscrub does not know")
            _check_nal(nal)
            q += 2 + n
    if q != end:
        raise UnsafeToClean("HEIF picture setting 'hvcC' holds extra bytes (they may hide metadata)")
    return length_size


#: HEVC NAL unit types that may appear: coded slices, parameter sets, delimiters, notes (checked).
_HEVC_VCL = set(range(10)) | set(range(16, 22))
_HEVC_CONFIG_NALS = {32, 33, 34, 39, 40}
_HEVC_NALS = _HEVC_VCL | {32, 33, 34, 35, 36, 37, 38, 39, 40}
#: SEI messages made only of numbers, with their exact sizes:
#: mastering display colour volume, content light level, alternative transfer characteristics.
_SEI_SIZES = {137: 24, 144: 4, 147: 1}


#: NAL types whose body is read and checked; the others are picture data and only their header matters.
_NALS_WITH_CHECKED_BODY = {35, 36, 37, 38, 39, 40}


def _check_nal_at(stream: bytes, pos: int, length: int) -> None:
    """``_check_nal`` on ``stream[pos:pos+length]``, reading a coded slice's header only."""
    header = stream[pos : pos + 2]
    if len(header) == 2 and (header[0] >> 1) & 0x3F not in _NALS_WITH_CHECKED_BODY:
        _check_nal(header)  # the body of a slice or parameter set is picture data
    else:
        _check_nal(stream[pos : pos + length])


def _check_nal(nal: bytes) -> None:
    """One HEVC NAL unit: a known type of the base layer; notes and filler hold nothing else."""
    if len(nal) < 2 or nal[0] & 0x80:
        raise UnsafeToClean("HEIF picture data is not a valid HEVC stream")
    kind = (nal[0] >> 1) & 0x3F
    layer = ((nal[0] & 1) << 5) | (nal[1] >> 3)
    if kind not in _HEVC_NALS or layer or not nal[1] & 7:
        raise UnsafeToClean(f"HEIF picture data holds a unit (type {kind}) that decoders skip; it may hide metadata")
    body = nal[2:]
    if kind == 35 and (len(body) != 1 or body[0] & 0x1F != 0x10):
        raise UnsafeToClean("HEIF picture data has an unusual access unit delimiter")
    if kind in (36, 37) and body:
        raise UnsafeToClean("HEIF picture data has an end marker that carries data")
    if kind == 38 and (body[-1:] != b"\x80" or body[:-1].strip(b"\xff")):
        raise UnsafeToClean("HEIF picture data has filler that is not blank")
    if kind in (39, 40):
        _check_sei(body)


def _check_sei(body: bytes) -> None:
    """Only number-only notes of their exact size; anything else (user text) is refused."""
    rbsp = body.replace(b"\x00\x00\x03", b"\x00\x00")
    pos = 0
    while True:
        if rbsp[pos:] == b"\x80":
            return
        kind = size = 0
        for which in (0, 1):
            value = 0
            while pos < len(rbsp) and rbsp[pos] == 0xFF:
                value, pos = value + 255, pos + 1
            if pos >= len(rbsp):
                raise UnsafeToClean("HEIF picture note (SEI) is cut off")
            value, pos = value + rbsp[pos], pos + 1
            if which == 0:
                kind = value
            else:
                size = value
        if _SEI_SIZES.get(kind) != size or pos + size > len(rbsp):
            raise UnsafeToClean(f"HEIF picture carries a note (SEI type {kind}) that may hold text")
        pos += size


def _check_av1c(data: bytes, prop: Box) -> None:
    """AV1 decoder configuration: 4 bytes, then at most a sequence header."""
    p, end = prop.payload, prop.end
    if end - p < 4 or data[p] != 0x81:
        raise UnsafeToClean("AVIF picture settings ('av1C') are not understood")
    for kind, _, _ in _obus(data, p + 4, end, "AVIF picture settings ('av1C')"):
        if kind != 1:
            raise UnsafeToClean("AVIF picture settings ('av1C') hold something other than a sequence header")


#: AV1 OBU types allowed in picture data: sequence header, temporal delimiter, frame header,
#: tile group, frame, redundant frame header.  Metadata is checked; padding and others refused.
_AV1_OBUS = {1, 2, 3, 4, 6, 7}
#: Metadata OBUs made only of numbers (content light level, mastering display) with their sizes.
_AV1_METADATA_SIZES = {1: 4 + 1, 2: 24 + 1}


def _obus(stream: bytes, pos: int, end: int, what: str) -> list[tuple[int, int, int]]:
    """(type, payload start, payload end) of each AV1 OBU, which must carry its own size
    and fill ``stream[pos:end]`` exactly."""
    out = []
    while pos < end:
        head = stream[pos]
        if head & 0x81 or not head & 0x02:
            raise UnsafeToClean(f"{what} are not a plain AV1 stream")
        kind = (head >> 3) & 0xF
        pos += 2 if head & 0x04 else 1
        size, shift = 0, 0
        for _ in range(8):
            if pos >= end:
                raise UnsafeToClean(f"{what} are cut off")
            byte, pos = stream[pos], pos + 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        else:
            raise UnsafeToClean(f"{what} are not a plain AV1 stream")
        if pos + size > end:
            raise UnsafeToClean(f"{what} are cut off")
        out.append((kind, pos, pos + size))
        pos += size
    return out


def _check_coded_data(data: bytes, heif: Heif, keep: set[int]) -> None:
    """Walk the units of every kept HEVC and AV1 picture: nothing a decoder skips may ride along."""
    for i in keep:
        item = heif.items[i]
        if item.type == b"hvc1":
            config = heif.prop(i, b"hvcC")
            if config is None:
                raise UnsafeToClean(f"HEIF picture {i} has no HEVC settings")
            width = _hvcc_length_size(data, config)
            stream, pos, end = item_stream(data, heif, item)
            while pos < end:
                if pos + width > end:
                    raise UnsafeToClean("HEIF picture data ends in the middle of a unit")
                n = int.from_bytes(stream[pos : pos + width], "big")
                pos += width
                if n < 2 or pos + n > end:
                    raise UnsafeToClean("HEIF picture data is not a valid HEVC stream")
                _check_nal_at(stream, pos, n)
                pos += n
        elif item.type == b"av01":
            stream, start, end = item_stream(data, heif, item)
            for kind, payload_start, payload_end in _obus(stream, start, end, "AVIF picture data"):
                if kind == 5:
                    size = payload_end - payload_start
                    meta_type = stream[payload_start] if size else -1
                    if _AV1_METADATA_SIZES.get(meta_type) != size - 1 or stream[payload_end - 1] != 0x80:
                        raise UnsafeToClean(f"AVIF picture carries a note (metadata type {meta_type}) "
                                            "that may hold text")
                elif kind not in _AV1_OBUS:
                    raise UnsafeToClean(f"AVIF picture data holds a unit (type {kind}) that decoders skip; "
                                        "it may hide metadata")
        elif item.type in CODED_TYPES:
            raise UnsafeToClean(f"HEIF pictures coded as '{item.label}' cannot be checked by geoscrub yet")


# ------------------------------------------------------------------- finding --


def _icc(data: bytes, prop: Box) -> tuple[int, int] | None:
    """(start, end) of the ICC profile inside a 'colr' property, or None for nclx."""
    kind = take(data, prop.payload, 4, "colour type")
    if kind in (b"prof", b"rICC"):
        return prop.payload + 4, prop.end
    return None


def _ispe(data: bytes, heif: Heif, item_id: int) -> str:
    prop = heif.prop(item_id, b"ispe")
    if prop is None or prop.end - prop.payload < 12:
        return "picture"
    return f"{u32(data, prop.payload + 4)}x{u32(data, prop.payload + 8)} picture"


def _scan_metadata_item(data: bytes, heif: Heif, item: Item, source: str) -> ScanResult:
    size = sum(length for _, length in item.extents)
    if item.type not in (b"Exif", b"mime", b"iptc") or size > limits.MAX_METADATA_BYTES:
        payload = b""  # not parsed (it is dropped regardless): the report names it by its type and size
    else:
        payload = item_bytes(data, heif, item)
    if item.type == b"Exif":
        if len(payload) >= 4:
            start = 4 + int.from_bytes(payload[:4], "big")
            result = exif_meta.scan_exif(payload[start:] if start <= len(payload) else b"", "EXIF" + source)
        else:
            result = ScanResult()
        return result if result.findings else ScanResult((Finding.make(
            Category.OTHER, "EXIF", f"{size} bytes", "Carries an EXIF block", "EXIF" + source),))
    if item.type == b"mime" and item.content_type.strip().lower() == "application/rdf+xml":
        if item.content_encoding:
            return ScanResult((Finding.make(Category.OTHER, "XMP", f"{item.content_encoding}-compressed",
                                            "Has a compressed XMP block; it may hide anything", "XMP" + source),))
        result = scan_xmp(payload, "XMP" + source)
        return result if result.findings else ScanResult((Finding.make(
            Category.OTHER, "XMP", f"{size} bytes", "Carries an XMP block", "XMP" + source),))
    if item.type == b"iptc":
        found = scan_iim(payload, "IPTC" + source)
        return ScanResult(tuple(found) or (Finding.make(
            Category.OTHER, "IPTC", f"{size} bytes", "Carries an IPTC block", "IPTC" + source),))
    what = item.content_type or item.label
    return ScanResult((Finding.make(Category.OTHER, f"{item.label} item", what,
                                    "Carries extra data that geoscrub does not keep", "HEIF" + source),))


def _describes(heif: Heif, item_id: int) -> str:
    """' (of item N)' when metadata describes something other than the primary picture."""
    targets = {t for r in heif.refs if r.type == b"cdsc" and r.from_id == item_id for t in r.to_ids}
    if not targets or heif.primary in targets:
        return ""
    return f" (item {min(targets)})"


def _describes_kept(heif: Heif, item_id: int, keep: set[int]) -> bool:
    return any(t in keep for r in heif.refs if r.type == b"cdsc" and r.from_id == item_id for t in r.to_ids)


def _findings(data: bytes, heif: Heif) -> ScanResult:
    findings: list[Finding] = []
    location: Location | None = None
    thumbs, aux, aux_types = _roles(data, heif)
    gain_inputs = {t for r in heif.refs if r.type == b"dimg" and r.from_id in heif.items
                   and heif.items[r.from_id].type in GAIN_MAP_TYPES for t in r.to_ids}
    alpha: set[int] = set()
    try:
        keep: set[int] | None
        kept = _kept(data, heif)
        keep, alpha = kept.keep, kept.alpha
    except UnsafeToClean:
        keep = None  # still report everything; cleaning will refuse
    for item in heif.items.values():
        if item.type in METADATA_TYPES:
            source = _describes(heif, item.id)
            result = _scan_metadata_item(data, heif, item, source)
            found = list(result.findings)
            if source and keep is not None and not _describes_kept(heif, item.id, keep):
                # notes about a depth map or thumbnail that goes anyway: summarise the harmless ones
                notes = [f for f in found if f.category is Category.OTHER]
                found = [f for f in found if f.category is not Category.OTHER]
                if notes:
                    found.append(Finding.make(Category.OTHER, notes[0].source.split(" ")[0], f"{len(notes)} entries",
                                              "Describes a hidden picture that is removed", notes[0].source))
            findings.extend(found)
            location = better_location(location, result.location)
        elif keep is not None and item.id in keep:
            continue
        elif item.type in GAIN_MAP_TYPES:
            findings.append(Finding.make(Category.OTHER, "HDRGainMap", _ispe(data, heif, item.id), _GAIN, "HEIF"))
        elif item.id in gain_inputs and item.type in IMAGE_TYPES:
            continue  # the gain map itself: covered by the finding above
        elif item.id in thumbs:
            findings.append(Finding.make(Category.HIDDEN_IMAGE, "Thumbnail", _ispe(data, heif, item.id),
                                         _THUMB, "HEIF"))
        elif item.id in aux:
            kind = aux_types.get(item.id, "").lower()
            if kind in (t.lower() for t in ALPHA_TYPES):
                continue  # transparency; reported only if it cannot be kept (never)
            if "gainmap" in kind or "hdr" in kind:
                findings.append(Finding.make(Category.OTHER, "HDRGainMap", _ispe(data, heif, item.id), _GAIN, "HEIF"))
            elif "matte" in kind or "segmentation" in kind:
                findings.append(Finding.make(Category.HIDDEN_IMAGE, "PortraitMatte", kind, _MATTE, "HEIF"))
            elif "depth" in kind or "disparity" in kind or kind.endswith("auxid:2"):
                findings.append(Finding.make(Category.HIDDEN_IMAGE, "DepthMap", kind, _DEPTH, "HEIF"))
            else:
                findings.append(Finding.make(Category.HIDDEN_IMAGE, "AuxiliaryImage", kind or "unknown kind",
                                             _HIDDEN, "HEIF"))
        elif item.type in IMAGE_TYPES:
            if keep is None:
                continue
            findings.append(Finding.make(Category.HIDDEN_IMAGE, "HiddenImage", f"item {item.id}", _HIDDEN, "HEIF"))
        else:
            findings.append(Finding.make(Category.OTHER, f"{item.label} item", f"item {item.id}",
                                         "Carries extra data that geoscrub does not keep", "HEIF"))
    findings.extend(_property_findings(data, heif, keep, alpha))
    for b in heif.extra_meta:
        findings.append(_box_finding(data, b, "HEIF meta"))
    findings.extend(_top_findings(data, heif))
    findings.extend(_unreferenced(data, heif))
    if heif.tail_start < len(data):
        tail = trailers.describe(trailers.tail_of(data, heif.tail_start), tail_start=heif.tail_start)
        findings.extend(tail.findings)
    findings.sort(key=lambda f: f.category.severity)
    return ScanResult(tuple(findings), location)


def _property_findings(data: bytes, heif: Heif, keep: set[int] | None, alpha: set[int]) -> list[Finding]:
    found: list[Finding] = []
    reported: set[int] = set()
    owners = keep if keep is not None else set(heif.items)
    for item_id in sorted(owners):
        for index, prop, essential in heif.prop_boxes(item_id):
            if keep is not None and _dropped_property(data, heif, item_id, prop, alpha):
                if -index in reported:
                    continue
                reported.add(-index)
                if prop.type == b"colr":
                    found.append(Finding.make(Category.OTHER, "ColorProfile", f"{prop.size} bytes",
                                              "Has a colour profile with extra data hidden in it (removed; "
                                              "colours may look slightly different)", "ICC"))
                else:
                    text = bytes(data[prop.payload + 4 : prop.end]).replace(b"\x00", b" ")
                    found.append(Finding.make(Category.OTHER, "AuxiliaryType", text,
                                              "Has a label that does not belong to this picture", "HEIF"))
                continue
            if index in reported:
                continue
            reported.add(index)
            if prop.type in TEXT_PROPERTIES:
                category, key, why = TEXT_PROPERTIES[prop.type]
                text = bytes(data[prop.payload + 4 : prop.end]).replace(b"\x00", b" ")
                found.append(Finding.make(category, key, text, why, "HEIF"))
            elif prop.type == b"colr":
                span = _icc(data, prop)
                if span and icc.is_stamped(data[span[0] : span[1]]):
                    found.append(Finding.make(Category.TIME, "ColorProfileDate", icc.stamp_date(data[span[0] : span[1]]),
                                              "The colour profile was made when the photo was edited, "
                                              "so it tells when that was", "ICC"))
            elif prop.type not in KEPT_PROPERTIES:
                found.append(Finding.make(Category.OTHER, f"'{prop.name}' property", f"{prop.size} bytes",
                                          "Carries extra data that geoscrub does not keep", "HEIF"))
    return found


def _box_finding(data: bytes, b: Box, source: str) -> Finding:
    preview = bytes(data[b.payload : min(b.end, b.payload + 64)])
    return Finding.make(Category.OTHER, f"'{b.name}' box", preview if any(preview) else f"{b.size} bytes",
                        "Carries extra data that geoscrub does not keep", source)


def _top_findings(data: bytes, heif: Heif) -> list[Finding]:
    found = []
    for b in heif.top:
        if b.type in _STRUCTURE:
            continue
        if b.type in _FILLER:
            if not is_zero_padding(data, b.payload, b.end):
                found.append(Finding.make(Category.OTHER, "FreeSpace", f"{b.end - b.payload} bytes",
                                          "Has leftover data in unused space", "HEIF"))
        elif b.type == b"mpvd":
            seconds = trailers.video_seconds(trailers.tail_of(data, b.payload, b.end))
            value = f"{seconds:.0f}-second video" if seconds is not None else f"{b.size} bytes of video"
            found.append(Finding.make(Category.HIDDEN_IMAGE, "MotionPhotoVideo", value, _VIDEO, "HEIF"))
        elif b.type == b"sefd":
            found.append(Finding.make(Category.HIDDEN_IMAGE, "SamsungData", f"{b.size} bytes", _SAMSUNG, "HEIF"))
        else:
            found.append(_box_finding(data, b, "HEIF"))
    return found


def _unreferenced(data: bytes, heif: Heif) -> list[Finding]:
    """Non-zero bytes in media data that no item uses: they would be dropped, so say so."""
    used = _Layout((off, off + n) for it in heif.items.values() if it.method == 0 for off, n in it.extents)
    loose = 0
    for m in heif.mdats:
        pos = m.payload
        first = max(0, bisect.bisect_right(used.starts, m.payload) - 1)
        for start, stop in used.ranges[first:]:
            if start >= m.end:
                break
            if stop <= pos:
                continue
            if start > pos and not is_zero_padding(data, pos, start):
                loose += start - pos
            pos = max(pos, stop)
        if pos < m.end and not is_zero_padding(data, pos, m.end):
            loose += m.end - pos
    if not loose:
        return []
    return [Finding.make(Category.OTHER, "UnusedMediaData", f"{loose} bytes",
                         "Has hidden data that no part of the picture uses", "HEIF")]


# ------------------------------------------------------------------ writing --


def _pack_id(value: int, wide: bool) -> bytes:
    return struct.pack(">I" if wide else ">H", value)


class _Layout:
    """Where the kept extents go in a new data area, duplicates and overlaps shared."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, stop in sorted(set(spans)):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], stop)
            else:
                merged.append([start, stop])
        self.ranges = merged
        self.new_start: list[int] = []
        pos = 0
        for start, stop in merged:
            self.new_start.append(pos)
            pos += stop - start
        self.size = pos
        self.starts = [start for start, _ in merged]

    def where(self, offset: int) -> int:
        at = bisect.bisect_right(self.starts, offset) - 1
        if at < 0 or offset >= self.ranges[at][1]:
            raise MalformedFile("HEIF item data could not be placed")  # unreachable for checked extents
        return self.new_start[at] + offset - self.ranges[at][0]

    def copies(self, base: int = 0) -> list[range]:
        """The ranges of the file that fill the new data area, in order."""
        return [range(base + start, base + stop) for start, stop in self.ranges]


@dataclass
class _Plan:
    keep: set[int]
    props: list[int]  # original property indices kept, in order
    rewritten_props: dict[int, bytes]
    links: dict[int, set[int]]  # item -> the original property indices it keeps


def _plan(data: bytes, heif: Heif, policy: Policy) -> _Plan:
    kept = _kept(data, heif)
    links: dict[int, set[int]] = {}
    rewritten: dict[int, bytes] = {}
    for item_id, item_props in kept.props.items():
        for index, prop, _ in item_props:
            if prop.type in ORIENTATION_PROPERTIES and not policy.keep_orientation:
                continue
            if prop.type == b"colr":
                span = _icc(data, prop)
                if span is not None:
                    if not policy.keep_color_profile:
                        continue
                    profile = data[span[0] : span[1]]
                    if icc.is_stamped(profile):
                        rewritten[index] = box(b"colr", data[prop.payload : span[0]], icc.without_stamp(profile))
            links.setdefault(item_id, set()).add(index)
    return _Plan(kept.keep, sorted(set().union(*links.values())), rewritten, links)


def _rebuild_plan(data: bytes, heif: Heif, policy: Policy) -> Plan:
    """The cleaned file: new ``ftyp``, ``meta`` and ``mdat`` header, then the kept coded data copied as it is."""
    plan = _plan(data, heif, policy)
    order = [i for i in heif.items if i in plan.keep]  # iinf order
    wide = max(order) > 0xFFFF
    mdat_layout = _Layout((off, off + n) for i in order if heif.items[i].method == 0
                          for off, n in heif.items[i].extents)
    idat_layout = _Layout((off, off + n) for i in order if heif.items[i].method == 1
                          for off, n in heif.items[i].extents)
    if mdat_layout.size + len(data) > 0xFFFFFFFF:  # item offsets are written with 32 bits
        raise UnsafeToClean("this HEIF is over 4 GB, more than its rebuilt item offsets can address")

    # -- parts of meta that do not depend on where mdat lands
    hdlr = full_box(b"hdlr", 0, 0, bytes(4), b"pict", bytes(12), b"\x00")
    dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1))) \
        if heif.has_dinf else b""
    pitm = full_box(b"pitm", 1 if wide else 0, 0, _pack_id(heif.primary, wide))
    infes = [full_box(b"infe", 3 if wide else 2, 1 if heif.items[i].hidden else 0,
                      _pack_id(i, wide), b"\x00\x00", heif.items[i].type, b"\x00") for i in order]
    iinf = full_box(b"iinf", 0 if len(infes) <= 0xFFFF else 1, 0,
                    struct.pack(">H" if len(infes) <= 0xFFFF else ">I", len(infes)), *infes)
    refs = []
    for r in heif.refs:
        if r.from_id not in plan.keep:
            continue
        targets = tuple(t for t in r.to_ids if t in plan.keep)
        if not targets:
            continue
        refs.append(box(r.type, _pack_id(r.from_id, wide), struct.pack(">H", len(targets)),
                        *(_pack_id(t, wide) for t in targets)))
    iref = full_box(b"iref", 1 if wide else 0, 0, *refs) if refs else b""
    new_index = {old: new for new, old in enumerate(plan.props, start=1)}
    ipco = box(b"ipco", *(plan.rewritten_props.get(i) or bytes(data[heif.props[i - 1].start : heif.props[i - 1].end])
                          for i in plan.props))
    big_index = len(plan.props) > 127
    entries = []
    for item_id in heif.assoc_order:
        if item_id not in plan.keep:
            continue
        links = [(new_index[i], ess) for i, ess in heif.assoc[item_id] if i in plan.links.get(item_id, ())]
        if not links:
            continue
        packed = b"".join(struct.pack(">H", n | (0x8000 if e else 0)) if big_index
                          else struct.pack(">B", n | (0x80 if e else 0)) for n, e in links)
        entries.append(_pack_id(item_id, wide) + struct.pack(">B", len(links)) + packed)
    ipma = full_box(b"ipma", 1 if wide else 0, 1 if big_index else 0, struct.pack(">I", len(entries)), *entries)
    iprp = box(b"iprp", ipco, ipma)
    idat = box(b"idat", *(bytes(data[r.start : r.stop]) for r in idat_layout.copies(heif.idat.payload))) \
        if idat_layout.ranges and heif.idat else b""
    grpl = b""
    groups = [(t, gid, tuple(i for i in ids if i in plan.keep)) for t, gid, ids in heif.groups]
    groups = [g for g in groups if len(g[2]) >= (2 if g[0] == b"altr" else 1)]
    if groups:
        grpl = box(b"grpl", *(full_box(t, 0, 0, struct.pack(">II", gid, len(ids)),
                                       *(struct.pack(">I", i) for i in ids)) for t, gid, ids in groups))

    located = [i for i in order if heif.items[i].located]
    use_method = any(heif.items[i].method == 1 for i in located)
    iloc_version = 2 if wide else (1 if use_method else 0)

    def iloc(mdat_payload: int) -> bytes:
        rows = []
        for i in located:
            item = heif.items[i]
            layout, base = (idat_layout, 0) if item.method == 1 else (mdat_layout, mdat_payload)
            row = [_pack_id(i, iloc_version == 2)]
            if iloc_version:
                row.append(struct.pack(">H", item.method))
            row.append(struct.pack(">HH", 0, len(item.extents)))
            for off, n in item.extents:
                row.append(struct.pack(">II", base + layout.where(off), n))
            rows.append(b"".join(row))
        count = struct.pack(">I" if iloc_version == 2 else ">H", len(rows))
        return full_box(b"iloc", iloc_version, 0, b"\x44\x00", count, *rows)

    def meta(mdat_payload: int) -> bytes:
        return full_box(b"meta", 0, 0, hdlr, dinf, pitm, iloc(mdat_payload), iinf, iref, iprp, idat, grpl)

    ftyp = bytes(data[heif.ftyp.start : heif.ftyp.end])
    meta_len = len(meta(0))
    mdat_payload = len(ftyp) + meta_len + 8
    new_meta = meta(mdat_payload)
    if len(new_meta) != meta_len:
        raise MalformedFile("HEIF layout did not settle")  # cannot happen: fixed-size fields
    mdat_header = struct.pack(">I", 8 + mdat_layout.size) + b"mdat"
    return [ftyp + new_meta + mdat_header, *mdat_layout.copies()]


# ------------------------------------------------------------------- format --


AVIF_BRANDS = {b"avif", b"avis"}


def prefix_brands(prefix: bytes) -> set[bytes]:
    """The ftyp brands visible in the first bytes (empty when there is no ftyp)."""
    if len(prefix) < 12 or prefix[4:8] != b"ftyp":
        return set()
    size = int.from_bytes(prefix[:4], "big")
    end = min(len(prefix), max(size, 16))
    return {bytes(prefix[8:12])} | {bytes(prefix[p : p + 4]) for p in range(16, end - 3, 4)}


class HeifFormat:
    """One reader for both names: AVIF when an AV1 brand is listed, HEIC/HEIF otherwise."""

    #: Big files are read on demand (see fileview): only boxes, unit headers and notes are read.
    reads_views = True

    def __init__(self, name: str, extension: str, avif: bool) -> None:
        self.name, self.extension, self._avif = name, extension, avif

    def accept(self, prefix: bytes) -> bool:
        brands = prefix_brands(prefix)
        return bool(brands & BRANDS) and bool(brands & AVIF_BRANDS) == self._avif

    def scan(self, data: bytes) -> ScanResult:
        return _typed(_findings, data, parse(data))

    def scan_readable(self, data: bytes) -> ScanResult:
        """EXIF, XMP and IPTC items whose bytes are all there, for a file that cannot be read whole
        (cut short, or holding something cleaning refuses); ``check`` reports them with the problem."""
        heif = _typed(_parse, data, False)
        findings: list[Finding] = []
        location: Location | None = None
        for item in heif.items.values():
            if item.type not in METADATA_TYPES or item.method not in (0, 1):
                continue
            base = _item_base(heif, item)
            if any(base + off + length > len(data) for off, length in item.extents):
                continue  # cut off with the rest
            try:
                result = _typed(_scan_metadata_item, data, heif, item, _describes(heif, item.id))
            except GeoscrubError:
                continue
            findings.extend(result.findings)
            location = better_location(location, result.location)
        findings.sort(key=lambda f: f.category.severity)
        return ScanResult(tuple(findings), location)

    def strip(self, data: bytes, policy: Policy) -> bytes:
        return join_plan(self.strip_plan(data, policy), data)

    def strip_plan(self, data: bytes, policy: Policy) -> Plan:
        return _typed(_rebuild_plan, data, parse(data), policy)

    def image_data(self, data: bytes) -> Sequence[bytes | memoryview]:
        """Coded bytes of every kept picture, and the properties that decide how it decodes."""
        view = memoryview(data)
        parts: list[bytes | memoryview] = []
        for kind, spans in _typed(_picture_parts, data):
            parts.append(kind)
            parts.extend(view[start:stop] for start, stop in spans)
        return parts

    def same_picture(self, original: bytes, cleaned: bytes) -> bool:
        """The kept pictures decode the same: same items, types and settings, same coded bytes (in windows)."""
        a, b = _typed(_picture_parts, original), _typed(_picture_parts, cleaned)
        return len(a) == len(b) and all(
            kind_a == kind_b and len(spans_a) == len(spans_b)
            and all(a1 - a0 == b1 - b0 and same_range(original, a0, cleaned, b0, a1 - a0)
                    for (a0, a1), (b0, b1) in zip(spans_a, spans_b))
            for (kind_a, spans_a), (kind_b, spans_b) in zip(a, b))


def _picture_parts(data: bytes) -> list[tuple[bytes, list[tuple[int, int]]]]:
    """For each kept picture, in item order: its id and type, and the spans of its coded
    bytes and of the properties that decide how it decodes."""
    heif = parse(data)
    kept = _kept(data, heif)
    parts = []
    for i in sorted(kept.keep):
        item = heif.items[i]
        base = _item_base(heif, item)
        spans = [(base + off, base + off + n) for off, n in item.extents]
        spans += [(prop.start, prop.end) for _, prop, _ in kept.props[i] if prop.type in DECODING_PROPERTIES]
        parts.append((struct.pack(">I", i) + item.type, spans))
    return parts


FORMAT = HeifFormat("HEIC/HEIF", ".heic", avif=False)
AVIF_FORMAT = HeifFormat("AVIF", ".avif", avif=True)
