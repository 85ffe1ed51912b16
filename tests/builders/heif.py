"""Byte builders for HEIC/HEIF/AVIF fixtures.

Two sources of bytes:
* real pictures encoded by pillow-heif (HEIC) and Pillow (AVIF), so tests can
  decode before and after cleaning and compare pixels;
* ``assemble``, which lays out any set of items, properties and links by hand,
  for thumbnails, depth maps, motion photos and hostile layouts.  Its coded
  data is taken from a real picture (``parts``), so the result still decodes.

This module reads boxes with its own few lines of code and does not import
geoscrub, so a bug there cannot hide itself in the fixtures.
"""
from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

import pillow_heif
from PIL import Image

from tests.builders.core import LAT, LON, OWNER, exif_tiff, mp4_video, picture, xmp_packet

pillow_heif.register_heif_opener()

__all__ = ["LAT", "LON", "OWNER", "exif_tiff", "mp4_video", "xmp_packet"]

HEIC_BRANDS = (b"heic", b"mif1", b"heic", b"miaf")
AVIF_BRANDS = (b"avif", b"avif", b"mif1", b"miaf")


# ----------------------------------------------------------- box primitives --


def box(btype: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + btype + body


def full_box(btype: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return box(btype, struct.pack(">I", (version << 24) | flags), *payload)


def ftyp(brands: tuple[bytes, ...] = HEIC_BRANDS) -> bytes:
    return box(b"ftyp", brands[0], b"\x00\x00\x00\x00", *brands[1:])


def ispe(width: int, height: int) -> bytes:
    return full_box(b"ispe", 0, 0, struct.pack(">II", width, height))


def irot(quarter_turns: int) -> bytes:
    return box(b"irot", bytes([quarter_turns & 3]))


def imir(axis: int) -> bytes:
    return box(b"imir", bytes([axis & 1]))


def aux_c(urn: str) -> bytes:
    return full_box(b"auxC", 0, 0, urn.encode() + b"\x00")


def colr_icc(profile: bytes) -> bytes:
    return box(b"colr", b"prof", profile)


def colr_nclx() -> bytes:
    return box(b"colr", b"nclx", struct.pack(">HHHB", 1, 13, 6, 0x80))


def udes(name: str, description: str) -> bytes:
    return full_box(b"udes", 0, 0, b"en\x00", name.encode() + b"\x00", description.encode() + b"\x00", b"\x00")


def exif_item(tiff: bytes | None = None) -> bytes:
    """An Exif item payload: the 4-byte offset to the TIFF header, 'Exif\\0\\0', then TIFF."""
    return struct.pack(">I", 6) + b"Exif\x00\x00" + (tiff if tiff is not None else exif_tiff())


def lcms_icc(date: tuple[int, int, int, int, int, int] = (2024, 5, 17, 9, 41, 2)) -> bytes:
    """A profile header like the ones lcms (GIMP) writes at export: creator 'lcms' and the export time."""
    header = bytearray(128)
    header[4:8] = b"lcms"
    header[8:12] = b"\x04\x30\x00\x00"
    header[12:24] = b"mntrRGB XYZ "
    header[24:36] = struct.pack(">6H", *date)
    header[36:40] = b"acsp"
    header[80:84] = b"lcms"
    header[84:100] = bytes(range(1, 17))  # profile ID
    body = bytes(header) + struct.pack(">I", 0)
    return struct.pack(">I", len(body)) + body[4:]


def vendor_icc() -> bytes:
    """A real sRGB profile presented as a vendor's (like Apple's Display P3): fixed design date, no lcms.

    Pillow's built-in profile is made by lcms at run time, so it is re-badged here.
    """
    from tests.builders.core import icc_profile

    profile = bytearray(icc_profile())
    profile[4:8] = b"appl"
    profile[24:36] = struct.pack(">6H", 2017, 7, 7, 13, 22, 32)
    profile[80:84] = b"appl"
    return bytes(profile)


# ------------------------------------------------------------ real pictures --


def heic(width: int = 64, height: int = 48, mode: str = "RGB", **kw: object) -> bytes:
    """A real HEIC encoded by pillow-heif (``exif=``, ``xmp=`` pass through)."""
    buf = io.BytesIO()
    picture(width, height, mode).save(buf, format="HEIF", quality=-1, **kw)
    return buf.getvalue()


def avif(width: int = 64, height: int = 48, **kw: object) -> bytes:
    """A real AVIF encoded by Pillow's own AVIF plugin."""
    buf = io.BytesIO()
    picture(width, height).save(buf, format="AVIF", quality=90, **kw)
    return buf.getvalue()


def _children(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    out, pos = [], start
    while pos < end:
        size, btype = struct.unpack(">I4s", data[pos : pos + 8])
        out.append((btype, pos, pos + size))
        pos += size
    return out


@dataclass
class Parts:
    """What a single-picture file is made of: its properties, their links, its coded bytes."""

    props: list[bytes]
    links: list[tuple[int, bool]]  # 1-based property index, essential
    data: bytes
    item_type: bytes


def parts(data: bytes) -> Parts:
    """Take apart a one-picture (no alpha) HEIC/AVIF written by pillow-heif or Pillow."""
    top = {t: (s, e) for t, s, e in _children(data, 0, len(data))}
    ms, me = top[b"meta"]
    meta = {t: (s, e) for t, s, e in _children(data, ms + 12, me)}
    ps, pe = meta[b"iprp"]
    iprp = {t: (s, e) for t, s, e in _children(data, ps + 8, pe)}
    cs, ce = iprp[b"ipco"]
    props = [data[s:e] for _, s, e in _children(data, cs + 8, ce)]
    ms_, _ = iprp[b"ipma"]
    version_flags, count = struct.unpack(">II", data[ms_ + 8 : ms_ + 16])
    assert count >= 1 and version_flags == 0
    pos = ms_ + 16
    item_id, n = struct.unpack(">HB", data[pos : pos + 3])
    links = [(b & 0x7F, bool(b & 0x80)) for b in data[pos + 3 : pos + 3 + n]]
    ls, _ = meta[b"iloc"]
    version = data[ls + 8]
    sizes, more = data[ls + 12], data[ls + 13]
    osz, lsz, bsz = sizes >> 4, sizes & 15, more >> 4
    pos = ls + 14
    count = struct.unpack(">H", data[pos : pos + 2])[0]
    pos += 2
    read = {0: lambda p: 0, 4: lambda p: struct.unpack(">I", data[p : p + 4])[0],
            8: lambda p: struct.unpack(">Q", data[p : p + 8])[0]}
    coded = b""
    for _ in range(count):
        iid = struct.unpack(">H", data[pos : pos + 2])[0]
        pos += 2 + (2 if version else 0) + 2
        base = read[bsz](pos)
        pos += bsz
        extents = struct.unpack(">H", data[pos : pos + 2])[0]
        pos += 2
        chunks = []
        for _ in range(extents):
            off = read[osz](pos)
            length = read[lsz](pos + osz)
            pos += osz + lsz
            chunks.append(data[base + off : base + off + length])
        if iid == item_id:
            coded = b"".join(chunks)
    ts, te = meta[b"iinf"]
    item_type = b"hvc1" if b"hvc1" in data[ts:te] else b"av01"
    return Parts(props, links, coded, item_type)


# ----------------------------------------------------------------- assembly --


@dataclass
class Item:
    """One item to lay out.  ``props`` index into the property list given to ``assemble``."""

    id: int
    type: bytes
    data: bytes = b""
    hidden: bool = False
    content_type: str | None = None
    props: list[tuple[int, bool]] = field(default_factory=list)
    in_idat: bool = False
    name: bytes = b""
    no_location: bool = False


def xmp_item(item_id: int, packet: bytes | None = None) -> Item:
    return Item(item_id, b"mime", packet if packet is not None else xmp_packet(), hidden=True,
                content_type="application/rdf+xml")


def assemble(
    items: list[Item],
    props: list[bytes],
    refs: list[tuple[bytes, int, list[int]]],
    primary: int = 1,
    *,
    brands: tuple[bytes, ...] = HEIC_BRANDS,
    iloc_version: int = 1,
    base_offset_size: int = 0,
    offset_size: int = 4,
    top_before: list[bytes] = (),
    top_after: list[bytes] = (),
    meta_extra: list[bytes] = (),
    trailer: bytes = b"",
    mdat_junk: bytes = b"",
    pitm_boxes: int = 1,
    dref_index: int = 0,
    construction_method: int | None = None,
    mdat_first: bool = False,
) -> bytes:
    """A complete HEIF file: ftyp, meta (hdlr, pitm, iloc, iinf, iref, iprp, idat), mdat."""
    wide = iloc_version == 2
    idat_items = [it for it in items if it.in_idat and not it.no_location]
    mdat_items = [it for it in items if not it.in_idat and not it.no_location]

    def build(mdat_payload_at: int) -> tuple[bytes, bytes]:
        idat_body = b"".join(it.data for it in idat_items)
        mdat_body = mdat_junk + b"".join(it.data for it in mdat_items)
        rows = []
        idat_pos, mdat_pos = 0, mdat_payload_at + len(mdat_junk)
        size = {0: "", 4: "I", 8: "Q"}
        for it in items:
            if it.no_location:
                continue
            if it.in_idat:
                offset, idat_pos = idat_pos, idat_pos + len(it.data)
                method = 1
            else:
                offset, mdat_pos = mdat_pos, mdat_pos + len(it.data)
                method = 0
            if construction_method is not None:
                method = construction_method
            base = 0
            if base_offset_size:
                base, offset = offset, 0
            row = struct.pack(">I" if wide else ">H", it.id)
            if iloc_version:
                row += struct.pack(">H", method)
            row += struct.pack(">H", dref_index)
            if base_offset_size:
                row += struct.pack(">" + size[base_offset_size], base)
            row += struct.pack(">H", 1)
            row += struct.pack(">" + size[offset_size], offset) + struct.pack(">I", len(it.data))
            rows.append(row)
        iloc = full_box(b"iloc", iloc_version, 0, bytes([(offset_size << 4) | 4, base_offset_size << 4]),
                        struct.pack(">I" if wide else ">H", len(rows)), *rows)
        infes = []
        for it in items:
            extra = b""
            if it.content_type is not None:
                extra = it.content_type.encode() + b"\x00"
            infes.append(full_box(b"infe", 3 if wide else 2, 1 if it.hidden else 0,
                                  struct.pack(">I" if wide else ">H", it.id), b"\x00\x00", it.type,
                                  it.name + b"\x00", extra))
        iinf = full_box(b"iinf", 0, 0, struct.pack(">H", len(infes)), *infes)
        ref_boxes = [box(t, struct.pack(">I" if wide else ">H", f), struct.pack(">H", len(to)),
                         *(struct.pack(">I" if wide else ">H", x) for x in to)) for t, f, to in refs]
        iref = full_box(b"iref", 1 if wide else 0, 0, *ref_boxes) if refs else b""
        entries = [struct.pack(">I" if wide else ">H", it.id) + bytes([len(it.props)])
                   + bytes((i | (0x80 if ess else 0)) for i, ess in it.props) for it in items if it.props]
        ipma = full_box(b"ipma", 1 if wide else 0, 0, struct.pack(">I", len(entries)), *entries)
        iprp = box(b"iprp", box(b"ipco", *props), ipma)
        pitm = full_box(b"pitm", 1 if wide else 0, 0, struct.pack(">I" if wide else ">H", primary)) * pitm_boxes
        hdlr = full_box(b"hdlr", 0, 0, bytes(4), b"pict", bytes(12), b"\x00")
        idat = box(b"idat", idat_body) if idat_items else b""
        meta = full_box(b"meta", 0, 0, hdlr, pitm, iloc, iinf, iref, iprp, idat, *meta_extra)
        return meta, box(b"mdat", mdat_body)

    head = ftyp(brands) + b"".join(top_before)
    if mdat_first:
        meta, mdat = build(len(head) + 8)
        return head + mdat + meta + b"".join(top_after) + trailer
    meta, _ = build(0)
    meta, mdat = build(len(head) + len(meta) + 8)
    return head + meta + mdat + b"".join(top_after) + trailer


def single(source: bytes | None = None, *, extra_props: list[bytes] = (), essential_extra: bool = False,
           exif: bytes | None = None, xmp: bytes | None = None, **kw: object) -> bytes:
    """One real picture (item 1), optionally with Exif (item 2) and XMP (item 3) items."""
    p = parts(source if source is not None else heic())
    props = list(p.props) + list(extra_props)
    links = list(p.links) + [(len(p.props) + 1 + i, essential_extra) for i in range(len(extra_props))]
    items = [Item(1, p.item_type, p.data, props=links)]
    refs: list[tuple[bytes, int, list[int]]] = []
    if exif is not None:
        items.append(Item(2, b"Exif", exif, hidden=True))
        refs.append((b"cdsc", 2, [1]))
    if xmp is not None:
        items.append(xmp_item(3, xmp))
        refs.append((b"cdsc", 3, [1]))
    kw.setdefault("brands", HEIC_BRANDS if p.item_type == b"hvc1" else AVIF_BRANDS)
    return assemble(items, props, refs, **kw)


def with_thumbnail_and_depth(source: bytes | None = None) -> bytes:
    """Picture 1 with: Exif (2), a thumbnail (10) with its own Exif (11), a depth map (20) with
    its own XMP (21), an HDR gain map (30) and a portrait matte (40)."""
    p = parts(source if source is not None else heic())
    n = len(p.props)
    props = list(p.props) + [
        aux_c("urn:com:apple:photo:2018:aux:depth"),
        aux_c("urn:com:apple:photo:2020:aux:hdrgainmap"),
        aux_c("urn:com:apple:photo:2019:aux:portraiteffectsmatte"),
    ]
    items = [
        Item(1, p.item_type, p.data, props=list(p.links)),
        Item(2, b"Exif", exif_item(), hidden=True),
        Item(10, p.item_type, p.data, props=list(p.links)),
        Item(11, b"Exif", exif_item(exif_tiff(owner="Thumb Owner", gps=(48.1, 11.5))), hidden=True),
        Item(20, p.item_type, p.data, hidden=True, props=list(p.links) + [(n + 1, True)]),
        xmp_item(21, xmp_packet(creator="Depth Person")),
        Item(30, p.item_type, p.data, hidden=True, props=list(p.links) + [(n + 2, True)]),
        Item(40, p.item_type, p.data, hidden=True, props=list(p.links) + [(n + 3, True)]),
    ]
    refs = [
        (b"cdsc", 2, [1]), (b"thmb", 10, [1]), (b"cdsc", 11, [10]), (b"auxl", 20, [1]),
        (b"cdsc", 21, [20]), (b"auxl", 30, [1]), (b"auxl", 40, [1]),
    ]
    return assemble(items, props, refs)


def two_pictures(source: bytes | None = None) -> bytes:
    """Two shown pictures (1 primary, 5 second), each with its own Exif (2 and 6)."""
    p = parts(source if source is not None else heic())
    items = [
        Item(1, p.item_type, p.data, props=list(p.links)),
        Item(2, b"Exif", exif_item(), hidden=True),
        Item(5, p.item_type, p.data, props=list(p.links)),
        Item(6, b"Exif", exif_item(exif_tiff(owner="Second Person", gps=(40.7, -74.0))), hidden=True),
    ]
    return assemble(items, list(p.props), [(b"cdsc", 2, [1]), (b"cdsc", 6, [5])])


def grid(source: bytes | None = None, *, rows: int = 1, cols: int = 2, tiles: int | None = None,
         descriptor: bytes | None = None) -> bytes:
    """A grid picture (item 1, descriptor in idat) of ``rows``x``cols`` copies of one tile."""
    p = parts(source if source is not None else heic(64, 64))  # 64x64: no clean-aperture crop
    width, height = _ispe_of(p)
    count = rows * cols if tiles is None else tiles
    desc = descriptor if descriptor is not None else struct.pack(">BBBBHH", 0, 0, rows - 1, cols - 1,
                                                                  width * cols, height * rows)
    props = list(p.props) + [ispe(width * cols, height * rows)]
    tile_links = list(p.links)
    items = [Item(1, b"grid", desc, props=[(len(props), False)], in_idat=True)]
    items += [Item(100 + i, p.item_type, p.data, hidden=True, props=tile_links) for i in range(count)]
    items.append(Item(2, b"Exif", exif_item(), hidden=True))
    refs = [(b"dimg", 1, [100 + i for i in range(count)]), (b"cdsc", 2, [1])]
    return assemble(items, props, refs)


def _ispe_of(p: Parts) -> tuple[int, int]:
    for prop in p.props:
        if prop[4:8] == b"ispe":
            return struct.unpack(">II", prop[12:20])
    raise ValueError("no ispe")


def motion_photo(source: bytes | None = None, seconds: int = 3) -> bytes:
    """A Samsung-style motion photo: the picture, then an 'mpvd' MP4 and a 'sefd' box."""
    sefd = box(b"sefd", b"\x00\x00\x01\x0a\x0e\x00\x00\x00Image_UTC_Data1705124333853")
    return single(source, exif=exif_item(), top_after=[box(b"mpvd", mp4_video(seconds)), sefd])


def decode(data: bytes) -> list[tuple[str, tuple[int, int], bytes]]:
    """Decoded pixels of every shown picture (pillow-heif for HEIC, Pillow for AVIF)."""
    with Image.open(io.BytesIO(data)) as im:
        frames = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frames.append((im.mode, im.size, im.tobytes()))
        return frames


def altr_group(group_id: int, ids: list[int]) -> bytes:
    """An entity-group list with one 'altr' (alternatives) group."""
    return box(b"grpl", full_box(b"altr", 0, 0, struct.pack(">II", group_id, len(ids)),
                                 *(struct.pack(">I", i) for i in ids)))


def with_iso_gain_map(source: bytes | None = None) -> bytes:
    """ISO 21496-1 style HDR: a 'tmap' item (20) built from the picture (1) and a gain map (9),
    offered as an alternative to the picture in an 'altr' group."""
    p = parts(source if source is not None else heic())
    items = [
        Item(1, p.item_type, p.data, props=list(p.links)),
        Item(9, p.item_type, p.data, hidden=True, props=list(p.links)),
        Item(20, b"tmap", b"\x00\x01\x00\x00", props=[]),
        Item(2, b"Exif", exif_item(), hidden=True),
    ]
    refs = [(b"dimg", 20, [1, 9]), (b"cdsc", 2, [1])]
    return assemble(items, list(p.props), refs, meta_extra=[altr_group(100, [20, 1])])


# ------------------------------------------------- smuggling inside kept bytes --

SECRET = b"Zelda Quixmarker lives at 12 Elm Road"


def hevc_nal(kind: int, payload: bytes, layer: int = 0) -> bytes:
    """An HEVC NAL unit: two header bytes (type, layer, temporal id 1) and the payload."""
    return bytes([(kind << 1) | (layer >> 5), ((layer & 31) << 3) | 1]) + payload


def sei(payload_type: int, body: bytes) -> bytes:
    """An SEI message body (one message, sizes < 255) with its closing stop bit."""
    return bytes([payload_type, len(body)]) + body + b"\x80"


def with_extra_nal(nal: bytes, source: bytes | None = None) -> bytes:
    """The picture with one more 4-byte-length-prefixed NAL unit after its coded slices."""
    p = parts(source if source is not None else heic())
    coded = p.data + struct.pack(">I", len(nal)) + nal
    return assemble([Item(1, p.item_type, coded, props=list(p.links))], list(p.props), [])


def exif_inside_picture(source: bytes | None = None) -> bytes:
    """An Exif item whose bytes lie inside the picture's own data (in a NAL unit decoders skip)."""
    p = parts(source if source is not None else heic())
    payload = exif_item(exif_tiff(owner=SECRET.decode()))
    nal = hevc_nal(48, payload)
    coded = p.data + struct.pack(">I", len(nal)) + nal
    items = [Item(1, p.item_type, coded, props=list(p.links)), Item(2, b"Exif", payload, hidden=True)]
    data = bytearray(assemble(items, list(p.props), [(b"cdsc", 2, [1])]))
    row = data.find(struct.pack(">HHHH", 2, 0, 0, 1))  # item 2's iloc row (version 1, one extent)
    own = struct.unpack(">I", data[row + 8 : row + 12])[0]
    data[row + 8 : row + 12] = struct.pack(">I", own - len(payload))  # the copy inside item 1
    return bytes(data)


def with_property(ptype: bytes = b"", change=None, source: bytes | None = None, extra_links: list[bytes] = ()) -> bytes:
    """The picture with ``extra_links`` properties added to it, and every ``ptype`` property
    (its own or added) replaced by ``change(old_property_bytes)``."""
    p = parts(source if source is not None else heic())
    props = [change(pr) if pr[4:8] == ptype else pr for pr in list(p.props) + list(extra_links)]
    links = list(p.links) + [(len(p.props) + 1 + i, False) for i in range(len(extra_links))]
    brands = HEIC_BRANDS if p.item_type == b"hvc1" else AVIF_BRANDS
    return assemble([Item(1, p.item_type, p.data, props=links)], props, [], brands=brands)


def appended(text: bytes = SECRET):
    """A ``with_property`` change: the same property with ``text`` after its fields."""
    return lambda prop: box(prop[4:8], prop[8:] + text)


def derived(item_type: bytes, payload: bytes, source: bytes | None = None) -> bytes:
    """A derived primary (item 1: ``iden``, ``iovl``...) built from the coded picture (item 7)."""
    p = parts(source if source is not None else heic())
    ispe_links = [link for link in p.links if p.props[link[0] - 1][4:8] == b"ispe"]
    items = [Item(1, item_type, payload, props=ispe_links, no_location=not payload),
             Item(7, p.item_type, p.data, hidden=True, props=list(p.links))]
    return assemble(items, list(p.props), [(b"dimg", 1, [7])])


def overlay_descriptor(width: int = 64, height: int = 48, inputs: int = 1) -> bytes:
    """An 'iovl' description: version 0, 16-bit fields, a fill colour, the size, one offset per input."""
    return struct.pack(">BB4HHH", 0, 0, 0, 0, 0, 0xFFFF, width, height) + struct.pack(">hh", 0, 0) * inputs


def av1_obu(kind: int, payload: bytes) -> bytes:
    """An AV1 OBU with its size field (payloads under 128 bytes)."""
    return bytes([(kind << 3) | 2, len(payload)]) + payload


def avif_with_extra_obu(obu: bytes, source: bytes | None = None) -> bytes:
    p = parts(source if source is not None else avif())
    return assemble([Item(1, p.item_type, p.data + obu, props=list(p.links))], list(p.props), [],
                    brands=AVIF_BRANDS)


def icc_with_text(text: bytes = SECRET) -> bytes:
    """A vendor profile with text after its last tag and the size field made to match."""
    profile = vendor_icc() + text
    return struct.pack(">I", len(profile)) + profile[4:]


def with_alpha(auxc_body: bytes, source: bytes | None = None) -> bytes:
    """The picture (1) with a transparency item (5) whose 'auxC' payload (after version/flags) is given."""
    p = parts(source if source is not None else heic())
    props = list(p.props) + [full_box(b"auxC", 0, 0, auxc_body)]
    items = [Item(1, p.item_type, p.data, props=list(p.links)),
             Item(5, p.item_type, p.data, hidden=True, props=list(p.links) + [(len(props), True)])]
    return assemble(items, props, [(b"auxl", 5, [1])])
