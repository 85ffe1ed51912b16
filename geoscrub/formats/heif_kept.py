"""Which HEIF items and properties a cleaned file keeps, every kept byte accounted for.

The primary picture, other shown pictures, their tiles and transparency stay;
thumbnails, depth maps, mattes, gain maps and metadata items go.  Kept data
may not share bytes with removed data, and each kept property must hold
exactly its fields (``heif_coded`` walks the coded data itself).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from .._binary import take, type_name
from ..errors import GeoscrubError, MalformedFile, UnsafeToClean
from ..metadata import icc
from .base import remember_last_parses
from .heif_coded import check_av1c, check_coded_data, hvcc_length_size
from .heif_items import (
    ALPHA_TYPES,
    CODED_TYPES,
    DERIVED_TYPES,
    GAIN_MAP_TYPES,
    IMAGE_TYPES,
    KNOWN_REFS,
    METADATA_TYPES,
    Heif,
    Item,
    item_bytes,
    parse,
)
from .isobmff import Box, cstring, full_header

#: Item properties kept when the picture they belong to is kept.
KEPT_PROPERTIES = {
    b"hvcC", b"av1C", b"vvcC", b"avcC", b"jpgC", b"j2kH", b"uncC", b"cmpd", b"ispe", b"pixi",
    b"clap", b"pasp", b"auxC", b"rloc", b"lsel", b"a1op", b"a1lx", b"clli", b"mdcv", b"cclv",
    b"amve", b"colr", b"irot", b"imir",
}
ORIENTATION_PROPERTIES = {b"irot", b"imir"}
#: Properties whose bytes must come out unchanged: they decide how the picture decodes.
DECODING_PROPERTIES = KEPT_PROPERTIES - ORIENTATION_PROPERTIES - {b"colr"}


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


def roles(data: bytes, heif: Heif) -> tuple[set[int], set[int], dict[int, str]]:
    """(thumbnail items, auxiliary items, their aux types), computed without judging."""
    thumbs = {r.from_id for r in heif.refs if r.type == b"thmb"}
    aux = {r.from_id for r in heif.refs if r.type == b"auxl"}
    return thumbs, aux, {i: aux_type(data, heif, i) for i in aux}


def kept_items(data: bytes, heif: Heif) -> set[int]:
    """The pictures that stay: the primary, other shown pictures, their tiles and transparency.

    Raises UnsafeToClean when the picture depends on something not understood.
    """
    return judged(data, heif).keep


@dataclass(frozen=True)
class Judged:
    keep: set[int]
    alpha: set[int]  # the transparency items among them
    props: dict[int, list[tuple[int, Box, bool]]]  # item -> properties that may stay (before the policy)


def judged(data: bytes, heif: Heif) -> Judged:
    """The kept items, their transparency and properties, every kept byte checked.

    The check walks the coded data, so it is done once per buffer (scan, strip and
    the verifier all ask); the result must not be changed by callers.
    """
    if type(data) is bytes and parse(data) is heif:
        return _kept_checked(data)
    return _judge(data, heif)


@remember_last_parses
def _kept_checked(data: bytes) -> Judged:
    return _judge(data, parse(data))


def _judge(data: bytes, heif: Heif) -> Judged:
    thumbs, aux, aux_types = roles(data, heif)
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
            raise UnsafeToClean(f"HEIF picture has a link of unknown type '{type_name(r.type)}'")
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
            raise UnsafeToClean(f"HEIF picture links ('{type_name(r.type)}') to an item that would be removed")
    for i, it in heif.items.items():
        if it.type in METADATA_TYPES and it.method == 1:
            raise UnsafeToClean("HEIF metadata is stored inside the 'meta' box (idat), which geoscrub does not clean")
    for gtype, _, ids in heif.groups:
        if gtype == b"altr":
            continue  # alternatives: the removed ones are simply no longer offered
        if any(i in keep for i in ids) and not all(i in keep for i in ids):
            raise UnsafeToClean(f"HEIF entity group '{type_name(gtype)}' mixes kept and removed items")
    alpha = {a for masters in alpha_of.values() for a in masters} & keep
    _check_overlaps(heif, keep)
    props = _item_props(data, heif, keep, alpha)
    check_coded_data(data, heif, keep)
    return Judged(keep, alpha, props)


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
        hvcc_length_size(data, prop)
        return True
    if prop.type == b"av1C":
        check_av1c(data, prop)
        return True
    if prop.type == b"colr":
        kind = take(data, prop.payload, 4, "colour type")
        if kind == b"nclx":
            if size != 11:
                raise bad
            return True
        if kind in (b"prof", b"rICC"):
            return icc.is_valid_profile(bytes(data[prop.payload + 4 : prop.end]))
        raise UnsafeToClean(f"HEIF colour setting of an unknown kind ('{type_name(kind)}')")
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


def dropped_property(data: bytes, heif: Heif, item_id: int, prop: Box, alpha: set[int]) -> bool:
    """True for a kept item's auxC or colour profile that cleaning leaves out."""
    if prop.type not in (b"auxC", b"colr"):
        return False
    try:
        fits = _property_fits(data, prop)
    except GeoscrubError:
        return False  # cleaning refuses; nothing to add
    return not fits or (prop.type == b"auxC" and item_id not in alpha)



def icc_span(data: bytes, prop: Box) -> tuple[int, int] | None:
    """(start, end) of the ICC profile inside a 'colr' property, or None for nclx."""
    kind = take(data, prop.payload, 4, "colour type")
    if kind in (b"prof", b"rICC"):
        return prop.payload + 4, prop.end
    return None
