"""JPEG (JFIF/EXIF, also MPO): keep the coded picture, drop every metadata segment.

Spec: ITU-T T.81 Annex B (markers), JFIF 1.02, CIPA DC-007 (MPF), Adobe XMP
part 3 (Extended XMP).  Allowlist kept: SOI, DQT, DHT, DAC, DRI, DNL, SOFn,
every SOS with its entropy-coded data, EOI, APP0 JFIF (without thumbnail),
APP14 Adobe, APP2 ICC_PROFILE (policy) and a fresh EXIF holding only the
Orientation (policy).  Nothing after the primary image's EOI survives.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from .. import limits
from .._binary import u32
from ..errors import GeoscrubError, MalformedFile
from ..fileview import same_range
from ..metadata import exif as exif_meta
from ..metadata import icc, vendor
from ..metadata.icc import is_valid_profile
from ..metadata.iptc import scan_photoshop
from ..metadata.xmp import scan_xmp
from ..model import Category, Finding, Location, Policy, ScanResult, better_location
from . import signatures, trailers
from .base import Plan, join_plan
from .jpeg_layout import (
    COM,
    EOI,
    IMAGE_MARKERS,
    SOF_MARKERS,
    SOI,
    SOS,
    STANDALONE,
    Segment,
    parse,
    readable_segments,
)
from .markerscan import MARKER_IN_SCAN

EXIF_ID = b"Exif\x00"
XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_ID = b"http://ns.adobe.com/xmp/extension/\x00"
ICC_ID = b"ICC_PROFILE\x00"
#: "Adobe", version, flags0, flags1, colour transform: all APP14 needs.
ADOBE_LENGTH = 12
MPF_ID = b"MPF\x00"

_VENDOR_APPS = {
    b"FLIR": "FLIR thermal camera data", b"GoPro": "GoPro camera data", b"QVCI": "Casio data",
    b"FPXR": "FlashPix data", b"Ducky": "Photoshop 'Save for Web' data", b"JP": "JPS stereo data",
    b"Ocad": "Photoshop data", b"RMETA": "Ricoh data", b"SCALADO": "Scalado data",
    b"SEAL": "SEAL signature", b"JUMB": "C2PA provenance data, which can name the creator or device",
    b"AROT": "Apple data", b"ssuniqueid": "Samsung unique ID",
}


@dataclass(frozen=True)
class SpareTable:
    """A DQT or DHT table no decoder ever reads: where it sits, so cleaning can leave it out."""

    kind: str  # "DQT" or "DHT"
    slot: int  # table number (DHT: class << 4 | number)
    segment: Segment
    start: int  # offset of the table in the file
    end: int


def check_coding_segments(data: bytes, segments: list[Segment]) -> list[SpareTable]:
    """Refuse coding segments with room for anything but the picture's tables; list spare tables.

    DQT, DHT, SOF, SOS, DRI and DNL must hold exactly their fields.  A
    decoder reaches a quantisation table only through the number a frame
    component names, and a Huffman table only through the numbers a scan
    names, no earlier than that frame or scan header.  So a table whose
    number nothing names, or that is defined again before any frame or scan
    header came, is read by no decoder: it is returned as spare (cleaning
    drops it, as its 64-128 numbers could carry anything).
    """
    defined: list[SpareTable] = []
    waiting: dict[tuple[str, int], SpareTable] = {}  # defined, no frame or scan header since
    overwritten: set[SpareTable] = set()
    used: set[tuple[str, int]] = set()

    def define(kind: str, slot: int, seg: Segment, start: int, end: int) -> None:
        table = SpareTable(kind, slot, seg, seg.payload_start + start, seg.payload_start + end)
        if (kind, slot) in waiting:
            overwritten.add(waiting[(kind, slot)])
        waiting[(kind, slot)] = table
        defined.append(table)

    for seg in segments:
        m, payload = seg.marker, seg.payload(data)
        if m == 0xDB:
            pos = 0
            while pos < len(payload):
                precision, table = payload[pos] >> 4, payload[pos] & 0x0F
                if precision > 1 or table > 3:
                    raise MalformedFile("JPEG quantisation table has a bad header", seg.start)
                size = 1 + 64 * (precision + 1)
                if pos + size <= len(payload):
                    define("DQT", table, seg, pos, pos + size)
                pos += size
            if pos != len(payload):
                raise MalformedFile("JPEG quantisation tables do not fill their segment exactly", seg.start)
        elif m == 0xC4:
            pos = 0
            while pos < len(payload):
                if pos + 17 > len(payload) or payload[pos] >> 4 > 1 or payload[pos] & 0x0F > 3:
                    raise MalformedFile("JPEG Huffman table has a bad header", seg.start)
                size = 17 + sum(payload[pos + 1 : pos + 17])
                if pos + size <= len(payload):
                    define("DHT", payload[pos], seg, pos, pos + size)
                pos += size
            if pos != len(payload):
                raise MalformedFile("JPEG Huffman tables do not fill their segment exactly", seg.start)
        elif m in SOF_MARKERS:
            if len(payload) < 6 or len(payload) != 6 + 3 * payload[5]:
                raise MalformedFile("JPEG frame header has the wrong length", seg.start)
            used.update(("DQT", payload[6 + 3 * i + 2]) for i in range(payload[5]))
            waiting.clear()
        elif m == SOS:
            if len(payload) < 1 or len(payload) != 4 + 2 * payload[0]:
                raise MalformedFile("JPEG scan header has the wrong length", seg.start)
            for i in range(payload[0]):
                tables = payload[1 + 2 * i + 1]
                used.update({("DHT", 0x00 | tables >> 4), ("DHT", 0x10 | tables & 0x0F)})
            waiting.clear()
        elif m in (0xDD, 0xDC) and len(payload) != 2:
            raise MalformedFile("JPEG restart or line-count segment has the wrong length", seg.start)
        elif m == 0xCC and len(payload) % 2:
            raise MalformedFile("JPEG arithmetic-coding segment has the wrong length", seg.start)
    return [t for t in defined if t in overwritten or (t.kind, t.slot) not in used]


def _without_spare_tables(data: bytes, spare: list[SpareTable]) -> dict[Segment, bytes]:
    """Segment -> its replacement with the spare tables left out (b"" when none is left)."""
    out: dict[Segment, bytes] = {}
    by_segment: dict[Segment, list[SpareTable]] = {}
    for table in spare:
        by_segment.setdefault(table.segment, []).append(table)
    for seg, gone in by_segment.items():
        body, pos = bytearray(), seg.payload_start
        for table in gone:
            body += data[pos : table.start]
            pos = table.end
        body += data[pos : seg.end]
        out[seg] = bytes([0xFF, seg.marker]) + struct.pack(">H", len(body) + 2) + bytes(body) if body else b""
    return out


def picture_plan(data: bytes, segments: list[Segment]) -> Plan:
    """The segments that code the picture, in order, as a plan of ``data``: spare tables left out."""
    rewritten = _without_spare_tables(data, check_coding_segments(data, segments))
    out: Plan = []
    for s in segments:
        if s.marker in IMAGE_MARKERS or s.marker in STANDALONE or s.marker == EOI:
            if s in rewritten:
                if rewritten[s]:
                    out.append(rewritten[s])
            else:
                out.append(range(s.start, s.end))
    return out


def _same_piece(a: bytes, piece_a: bytes | range, b: bytes, piece_b: bytes | range) -> bool:
    if isinstance(piece_a, range) and isinstance(piece_b, range):
        return len(piece_a) == len(piece_b) and same_range(a, piece_a.start, b, piece_b.start, len(piece_a))
    left = piece_a if isinstance(piece_a, bytes) else bytes(a[piece_a.start : piece_a.stop])
    right = piece_b if isinstance(piece_b, bytes) else bytes(b[piece_b.start : piece_b.stop])
    return left == right


#: Sequential (one pass per component) coding: a scan with every component is the only scan.
SEQUENTIAL_SOF = {0xC0, 0xC1, 0xC3, 0xC9, 0xCB}


def _one_scan_holds_everything(data: bytes, segments: list[Segment]) -> bool:
    """True when the first scan codes every component of a sequential frame.

    Then T.81 allows nothing after that scan's data but DNL and EOI, so the
    headers before it are all the metadata the picture itself has.
    """
    sof = next((s for s in segments if s.marker in SOF_MARKERS), None)
    sos = next((s for s in segments if s.marker == SOS), None)
    if sof is None or sos is None or sof.marker not in SEQUENTIAL_SOF:
        return False
    sof_payload, sos_payload = sof.payload(data), sos.payload(data)
    return len(sof_payload) >= 6 and len(sos_payload) >= 1 and sof_payload[5] == sos_payload[0]


def icc_profile(data: bytes, segments: list[Segment]) -> bytes | None:
    """The ICC profile spread over APP2 segments, when complete and sound; else None."""
    chunks = [s.payload(data) for s in segments if s.marker == 0xE2 and s.payload(data).startswith(ICC_ID)]
    if not chunks or any(len(c) < 14 for c in chunks):
        return None
    total = chunks[0][13]
    if [c[12] for c in chunks] != list(range(1, len(chunks) + 1)) or any(c[13] != total for c in chunks) \
            or total != len(chunks):
        return None
    profile = b"".join(c[14:] for c in chunks)
    return profile if is_valid_profile(profile) else None


def _icc_segments_without_stamp(data: bytes, segments: list[Segment], profile: bytes) -> list[bytes]:
    """New APP2 segments for a profile dated at export time (same split); [] when it is not."""
    if not icc.is_stamped(profile):
        return []
    clean = icc.without_stamp(profile)
    chunks = [s.payload(data) for s in segments if s.marker == 0xE2 and s.payload(data).startswith(ICC_ID)]
    out, pos = [], 0
    for chunk in chunks:
        body = chunk[:14] + clean[pos : pos + len(chunk) - 14]
        pos += len(chunk) - 14
        out.append(b"\xff\xe2" + struct.pack(">H", len(body) + 2) + body)
    return out


def _app_id(payload: bytes) -> bytes:
    return payload[: payload.find(b"\x00")] if b"\x00" in payload[:40] else payload[:8]


class JpegFormat:
    name = "JPEG"
    extension = ".jpg"
    #: Walks a FileView too, so big files are cleaned in flat memory.
    reads_views = True

    def accept(self, prefix: bytes) -> bool:
        return signatures.is_jpeg(prefix)

    # ---------------------------------------------------------------- scan --
    def scan(self, data: bytes) -> ScanResult:
        layout = parse(data)
        spare = check_coding_segments(data, layout.segments)
        findings, location = self._scan_headers(data, layout.segments, "")
        if spare:
            names = ", ".join(f"{t.kind} {t.slot & 0x0F}" for t in spare[:4])
            findings.append(Finding.make(Category.OTHER, "UnusedTable", names,
                                         "Carries number tables the picture never uses, "
                                         "which could hide a little data", "JPEG"))
        mpf_images = self._mpf_offsets(data, layout.segments)
        tail = trailers.tail_of(data, layout.eoi_end)
        if tail:
            result = trailers.describe(tail, mpf_images, layout.eoi_end, scan_embedded=self.scan_embedded)
            findings.extend(result.findings)
            location = better_location(location, result.location)
        findings.sort(key=lambda f: f.category.severity)
        return ScanResult(tuple(findings), location)

    def scan_head_and_tail(self, head: bytes, tail: bytes, size: int) -> ScanResult | None:
        """Findings from the headers and the last bytes only, or None when that cannot decide.

        Used by ``check`` to avoid reading the coded picture.  It answers only
        when the headers already show something identifying (so the verdict
        cannot be "clean" by mistake) and the file plainly ends with the
        picture: its last bytes are coded data closed by the one end marker,
        with no extra images announced (MPF) and no motion photo.  Anything
        else, including every file that might be clean, gets the full walk.
        """
        try:
            layout = parse(head, headers_only=True)
        except GeoscrubError:
            return None  # headers longer than ``head``, or damaged: the full walk decides
        if not _one_scan_holds_everything(head, layout.segments):
            return None  # progressive or multi-scan: segments may sit between scans
        findings, location = self._scan_headers(head, layout.segments, "")
        header_end = layout.segments[-1].end
        tail_start = size - len(tail)
        if not findings or tail_start < header_end or not tail.endswith(b"\xff\xd9"):
            return None
        if any(f.category is Category.HIDDEN_IMAGE and f.source.endswith(("APP2", "XMP")) for f in findings):
            return None  # extra images or a video are announced: look at them properly
        if MARKER_IN_SCAN.search(tail, 0, len(tail) - 2) is not None:
            return None  # a marker near the end: maybe another image; walk everything
        findings.sort(key=lambda f: f.category.severity)
        return ScanResult(tuple(findings), location)

    def scan_readable(self, data: bytes) -> ScanResult:
        """Findings in the segments before the first problem, for a file that cannot be walked whole.

        ``check`` reports them with the problem, so a damaged photo still
        tells what it gives away; cleaning refuses the file regardless.
        """
        findings, location = self._scan_headers(data, readable_segments(data), "")
        findings.sort(key=lambda f: f.category.severity)
        return ScanResult(tuple(findings), location)

    def scan_embedded(self, data: bytes) -> ScanResult:
        """Metadata in the header of an image embedded in a trailer (MPF, gain map)."""
        try:
            layout = parse(data, headers_only=True)
        except GeoscrubError:
            return ScanResult()
        findings, location = self._scan_headers(data, layout.segments, "embedded image ")
        return ScanResult(tuple(findings), location)

    def _scan_headers(self, data: bytes, segments: list[Segment], where: str) -> tuple[list[Finding], Location | None]:
        findings: list[Finding] = []
        location: Location | None = None
        extended: dict[bytes, dict[int, bytes]] = {}
        flir_chunks: list[bytes] = []
        for seg in segments:
            m = seg.marker
            if m in IMAGE_MARKERS or m in STANDALONE or m in (SOI, EOI):
                continue
            payload = seg.payload(data)
            if m == COM:
                if payload.strip(b"\x00 "):
                    findings.append(Finding.make(Category.OTHER, "Comment", payload,
                                                 "Has a comment someone or some app wrote, "
                                                 "which may name people or places",
                                                 where + "COM"))
                continue
            if m == 0xE0:
                findings.extend(self._scan_app0(payload, where))
                continue
            if m == 0xE1 and payload.startswith(EXIF_ID):
                result = exif_meta.scan_exif(payload[6:], where + "EXIF")
                findings.extend(result.findings)
                location = better_location(location, result.location)
                continue
            if m == 0xE1 and payload.startswith(XMP_ID):
                result = scan_xmp(payload[len(XMP_ID) :], where + "XMP")
                findings.extend(result.findings)
                location = better_location(location, result.location)
                continue
            if m == 0xE1 and payload.startswith(XMP_EXT_ID):
                body = payload[len(XMP_EXT_ID) :]
                guid = body[:32]
                if len(body) >= 40:
                    extended.setdefault(guid, {})[u32(body, 36)] = body[40:]
                continue
            if m == 0xE2 and payload.startswith(ICC_ID):
                continue  # judged as a whole below: a profile may span several segments
            if m == 0xE2 and payload.startswith(MPF_ID):
                count = self._mpf_count(payload)
                findings.append(Finding.make(Category.HIDDEN_IMAGE, "MPF", f"{count} images",
                                             "Points to extra pictures hidden after the main one", where + "APP2"))
                continue
            if m == 0xED and payload.startswith(b"Photoshop 3.0\x00"):
                findings.extend(scan_photoshop(payload[14:], where + "IPTC").findings)
                continue
            if m == 0xEE and payload.startswith(b"Adobe"):
                if len(payload) != ADOBE_LENGTH:
                    findings.append(Finding.make(Category.OTHER, "APP14", f"{len(payload) - ADOBE_LENGTH} extra bytes",
                                                 "Carries extra bytes in the Adobe colour segment", where + "APP14"))
                continue
            app_id = _app_id(payload)
            label = f"APP{m - 0xE0}" if 0xE0 <= m <= 0xEF else f"marker 0x{m:02X}"
            if m == 0xE1 and payload.startswith(b"FLIR\x00"):
                flir_chunks.append(payload)
            elif m == 0xE6 and payload.startswith(b"GoPro\x00"):
                result = vendor.scan_gopro(payload, where + label)
                findings.extend(result.findings)
                location = better_location(location, result.location)
            what = next((v for k, v in _VENDOR_APPS.items() if app_id.startswith(k)), None)
            findings.append(Finding.make(
                Category.DEVICE if what else Category.OTHER, label,
                app_id.decode("latin-1") or f"{len(payload)} bytes",
                (what + ", which may identify the device") if what
                else "Carries extra data from an app or camera maker that geoscrub does not keep",
                where + label))
        if flir_chunks:
            result = vendor.scan_flir(flir_chunks, where + "APP1")
            findings.extend(result.findings)
            location = better_location(location, result.location)
        profile = icc_profile(data, segments)
        if profile is None and any(s.marker == 0xE2 and s.payload(data).startswith(ICC_ID) for s in segments):
            findings.append(Finding.make(Category.OTHER, "ICC_PROFILE", "not a sound profile",
                                         "Has a damaged colour profile that could hide other data", where + "APP2"))
        elif profile is not None and icc.is_stamped(profile):
            findings.append(Finding.make(Category.TIME, "ColorProfileDate", icc.stamp_date(profile),
                                         icc.STAMP_EXPLANATION, where + "APP2"))
        for parts in extended.values():
            joined = b"".join(parts[k] for k in sorted(parts))
            result = scan_xmp(joined, where + "Extended XMP")
            if result.findings:
                findings.extend(result.findings)
            else:
                findings.append(Finding.make(Category.OTHER, "ExtendedXMP", f"{len(joined)} bytes",
                                             "Carries a large extra XMP block", where + "Extended XMP"))
            location = better_location(location, result.location)
        return findings, location

    @staticmethod
    def _scan_app0(payload: bytes, where: str) -> list[Finding]:
        if payload.startswith(b"JFIF\x00"):
            if len(payload) >= 14 and payload[12] * payload[13] > 0:
                return [Finding.make(Category.HIDDEN_IMAGE, "JFIFThumbnail", f"{payload[12]}x{payload[13]}",
                                     "Hides a small copy of the picture that may show what was cropped out",
                                     where + "APP0")]
            return []
        if payload.startswith(b"JFXX\x00"):
            return [Finding.make(Category.HIDDEN_IMAGE, "JFXXThumbnail", f"{len(payload)} bytes",
                                 "Hides a small copy of the picture that may show what was cropped out",
                                 where + "APP0")]
        return [Finding.make(Category.OTHER, "APP0", _app_id(payload).decode("latin-1"),
                             "Carries extra data from an app or camera maker that geoscrub does not keep",
                             where + "APP0")]

    @staticmethod
    def _mpf_count(payload: bytes) -> int:
        try:
            _, dirs = exif_meta.walk(payload[4:], follow_chain=False)
        except (GeoscrubError, struct.error):
            return 0
        for d in dirs:
            for e in d.entries:
                if e.tag == 0xB001 and isinstance(e.value, tuple) and e.value:
                    return int(e.value[0])
        return 0

    @staticmethod
    def _mpf_offsets(data: bytes, segments: list[Segment]) -> list[int]:
        """Absolute offsets of the MPF secondary images (where the MPF says they are)."""
        for seg in segments:
            if seg.marker != 0xE2:
                continue
            payload = seg.payload(data)
            if not payload.startswith(MPF_ID):
                continue
            base = seg.payload_start + 4
            tiff = payload[4:]
            try:
                order, first = exif_meta.tiff_header(tiff)
                ifd = exif_meta.read_ifd(tiff, order, first, "MPF")
            except (GeoscrubError, struct.error):
                return []
            for e in ifd.entries:
                if e.tag == 0xB002 and isinstance(e.value, bytes):
                    n = min(len(e.value) // 16, limits.MAX_FRAMES)
                    offsets = []
                    for i in range(n):
                        offset = struct.unpack_from(order + "I", e.value, 16 * i + 8)[0]
                        if offset:
                            offsets.append(base + offset)
                    return offsets
        return []

    # --------------------------------------------------------------- strip --
    def strip(self, data: bytes, policy: Policy) -> bytes:
        return join_plan(self.strip_plan(data, policy), data)

    def strip_plan(self, data: bytes, policy: Policy) -> Plan:
        """The cleaned file as a plan: new headers (bytes) and ranges of ``data`` to copy."""
        layout = parse(data)
        orientation = None
        if policy.keep_orientation:
            for seg in layout.segments:
                if seg.marker == 0xE1:
                    payload = seg.payload(data)
                    if payload.startswith(EXIF_ID):
                        orientation = exif_meta.orientation(payload[6:])
                        break
        out: Plan = []
        profile = icc_profile(data, layout.segments) if policy.keep_color_profile else None
        keep_icc = profile is not None
        restamped = _icc_segments_without_stamp(data, layout.segments, profile) if profile else []
        rewritten = _without_spare_tables(data, check_coding_segments(data, layout.segments))
        exif_done = adobe_done = False

        def add_exif() -> None:
            if orientation and orientation != 1:
                body = b"Exif\x00\x00" + exif_meta.build_orientation_exif(orientation)
                out.append(b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body)

        for seg in layout.segments:
            m = seg.marker
            if m == SOI:
                out.append(b"\xff\xd8")
                continue
            if m == 0xE0:
                payload = seg.payload(data)
                if seg is layout.segments[1] and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
                    jfif = payload[:12] + b"\x00\x00"  # same header, thumbnail dropped
                    out.append(b"\xff\xe0" + struct.pack(">H", len(jfif) + 2) + jfif)
                continue  # JFIF counts only as the first segment; any other APP0 goes
            if not exif_done and m != 0xE0:
                add_exif()
                exif_done = True
            if m == 0xE2 and keep_icc and seg.payload(data).startswith(ICC_ID):
                out.append(restamped.pop(0) if restamped else range(seg.start, seg.end))
            elif m == 0xEE and seg.payload(data).startswith(b"Adobe") and not adobe_done:
                adobe_done = True
                payload = seg.payload(data)
                if len(payload) < ADOBE_LENGTH:
                    raise MalformedFile("Adobe colour segment is too short", seg.start)
                if len(payload) == ADOBE_LENGTH:
                    out.append(range(seg.start, seg.end))
                else:  # only the colour transform matters to the picture; extra bytes go
                    out.append(b"\xff\xee" + struct.pack(">H", ADOBE_LENGTH + 2) + payload[:ADOBE_LENGTH])
            elif seg in rewritten:
                if rewritten[seg]:
                    out.append(rewritten[seg])
            elif m in IMAGE_MARKERS or m in STANDALONE or m == EOI:
                out.append(range(seg.start, seg.end))
        return out

    def same_picture(self, original: bytes, cleaned: bytes) -> bool:
        """The cleaned picture is the original's coding segments less its spare tables, byte for byte.

        The cleaned file's own segments are compared as they are, so a spare
        table left in it (or a used one taken out) counts as a difference.
        """
        want = picture_plan(original, parse(original).segments)
        have: Plan = self.image_spans_as_ranges(cleaned)
        return len(want) == len(have) and all(_same_piece(original, a, cleaned, b) for a, b in zip(want, have))

    def image_spans_as_ranges(self, data: bytes) -> Plan:
        return [range(a, b) for a, b in self.image_spans(data)]

    def image_spans(self, data: bytes) -> list[tuple[int, int]]:
        """(start, end) of every segment that codes the picture, in order."""
        return [(s.start, s.end) for s in parse(data).segments
                if s.marker in IMAGE_MARKERS or s.marker in STANDALONE or s.marker == EOI]

    def image_data(self, data: bytes) -> list[bytes | memoryview]:
        view = memoryview(data)
        return [view[a:b] for a, b in self.image_spans(data)]


FORMAT = JpegFormat()
