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

The work is split by job: ``isobmff`` reads boxes (shared with videos),
``heif_items`` reads the ``meta`` box, ``heif_kept`` decides what stays and
checks every kept byte, ``heif_coded`` walks the coded pictures, and
``heif_rebuild`` writes the cleaned file; this module reports and is the format.
"""
from __future__ import annotations

import bisect
import struct
from collections.abc import Sequence

from .. import limits
from .._binary import u32
from ..errors import GeoscrubError, UnsafeToClean
from ..fileview import is_zero_padding
from ..metadata import exif as exif_meta
from ..metadata import icc
from ..metadata.iptc import scan_iim
from ..metadata.xmp import scan_xmp
from ..model import Category, Finding, Location, Policy, ScanResult, better_location
from . import trailers
from .base import Plan, join_plan
from .heif_items import (
    ALPHA_TYPES,
    BRANDS,
    GAIN_MAP_TYPES,
    IMAGE_TYPES,
    METADATA_TYPES,
    Heif,
    Item,
    _parse,
    item_base,
    item_bytes,
    parse,
    typed,
)
from .heif_kept import DECODING_PROPERTIES, KEPT_PROPERTIES, dropped_property, icc_span, judged, roles
from .heif_rebuild import Layout, rebuild_plan
from .isobmff import Box, labelled_views, prefix_brands, same_labelled_spans

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

_THUMB = "Hides a small copy of the picture that may show what was cropped out"
_HIDDEN = "Hides another picture inside the file"
_DEPTH = "Hides a depth map that shows the shape of the people and things in the photo"
_MATTE = "Hides an outline of the people in the photo"
_GAIN = "Has an extra brightness picture for HDR screens (removed; the photo looks the same)"
_VIDEO = "Carries a video, which can show and sound much more than the photo"
_SAMSUNG = "Hides Samsung phone data, such as the country code or edit history"



# ------------------------------------------------------------------- finding --

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
    thumbs, aux, aux_types = roles(data, heif)
    gain_inputs = {t for r in heif.refs if r.type == b"dimg" and r.from_id in heif.items
                   and heif.items[r.from_id].type in GAIN_MAP_TYPES for t in r.to_ids}
    alpha: set[int] = set()
    try:
        keep: set[int] | None
        kept = judged(data, heif)
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
            if keep is not None and dropped_property(data, heif, item_id, prop, alpha):
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
                span = icc_span(data, prop)
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
    used = Layout((off, off + n) for it in heif.items.values() if it.method == 0 for off, n in it.extents)
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



# ------------------------------------------------------------------- format --


AVIF_BRANDS = {b"avif", b"avis"}


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
        return typed(_findings, data, parse(data))

    def scan_readable(self, data: bytes) -> ScanResult:
        """EXIF, XMP and IPTC items whose bytes are all there, for a file that cannot be read whole
        (cut short, or holding something cleaning refuses); ``check`` reports them with the problem."""
        heif = typed(_parse, data, False)
        findings: list[Finding] = []
        location: Location | None = None
        for item in heif.items.values():
            if item.type not in METADATA_TYPES or item.method not in (0, 1):
                continue
            base = item_base(heif, item)
            if any(base + off + length > len(data) for off, length in item.extents):
                continue  # cut off with the rest
            try:
                result = typed(_scan_metadata_item, data, heif, item, _describes(heif, item.id))
            except GeoscrubError:
                continue
            findings.extend(result.findings)
            location = better_location(location, result.location)
        findings.sort(key=lambda f: f.category.severity)
        return ScanResult(tuple(findings), location)

    def strip(self, data: bytes, policy: Policy) -> bytes:
        return join_plan(self.strip_plan(data, policy), data)

    def strip_plan(self, data: bytes, policy: Policy) -> Plan:
        return typed(rebuild_plan, data, parse(data), policy)

    def image_data(self, data: bytes) -> Sequence[bytes | memoryview]:
        """Coded bytes of every kept picture, and the properties that decide how it decodes."""
        return labelled_views(data, typed(_picture_parts, data))

    def same_picture(self, original: bytes, cleaned: bytes) -> bool:
        """The kept pictures decode the same: same items, types and settings, same coded bytes (in windows)."""
        return same_labelled_spans(original, typed(_picture_parts, original), cleaned, typed(_picture_parts, cleaned))


def _picture_parts(data: bytes) -> list[tuple[bytes, list[tuple[int, int]]]]:
    """For each kept picture, in item order: its id and type, and the spans of its coded
    bytes and of the properties that decide how it decodes."""
    heif = parse(data)
    kept = judged(data, heif)
    parts = []
    for i in sorted(kept.keep):
        item = heif.items[i]
        base = item_base(heif, item)
        spans = [(base + off, base + off + n) for off, n in item.extents]
        spans += [(prop.start, prop.end) for _, prop, _ in kept.props[i] if prop.type in DECODING_PROPERTIES]
        parts.append((struct.pack(">I", i) + item.type, spans))
    return parts


FORMAT = HeifFormat("HEIC/HEIF", ".heic", avif=False)
AVIF_FORMAT = HeifFormat("AVIF", ".avif", avif=True)
