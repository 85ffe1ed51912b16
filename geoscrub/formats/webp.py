"""WebP (RIFF): keep the coded frames, the colour profile and the orientation; drop the rest.

Spec: RFC 9649 (WebP Image Format), sections 2.5-2.7.  The VP8X flags and the
RIFF size are rewritten to match what is kept; bytes after the RIFF end go.
A turned photo gets a fresh EXIF chunk holding only its orientation (as JPEG,
PNG and TIFF do), placed after the image data where the spec puts EXIF.
"""
from __future__ import annotations

import struct

from .. import limits
from .._binary import type_name, u32
from ..errors import MalformedFile, TruncatedFile, UnsafeToClean, UnsupportedFormat
from ..metadata import exif as exif_meta
from ..metadata import icc
from ..metadata.icc import is_valid_profile
from ..metadata.xmp import scan_xmp
from ..model import Category, Finding, Location, Policy, ScanResult, better_location
from . import signatures, trailers
from .base import Plan, join_plan, remember_last_parses

IMAGE_CHUNKS = {b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF"}
ICC_CHUNK = b"ICCP"
# VP8X flag bits
ICC_FLAG, ALPHA_FLAG, EXIF_FLAG, XMP_FLAG, ANIM_FLAG = 0x20, 0x10, 0x08, 0x04, 0x02


class Chunk:
    __slots__ = ("fourcc", "start", "end", "size")

    def __init__(self, fourcc: bytes, start: int, size: int, end: int) -> None:
        self.fourcc, self.start, self.size, self.end = fourcc, start, size, end

    def body(self, data: bytes) -> bytes:
        return data[self.start + 8 : self.start + 8 + self.size]


@remember_last_parses
def parse(data: bytes) -> tuple[list[Chunk], int]:
    """Top-level chunks and the offset just past the RIFF payload."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise UnsupportedFormat("not a WebP")
    riff_end = 8 + u32(data, 4, "<")
    if riff_end > len(data):
        raise TruncatedFile("WebP is shorter than its RIFF header says", 4)
    if riff_end % 2:
        raise MalformedFile("WebP RIFF size is odd", 4)
    chunks: list[Chunk] = []
    pos = 12
    metadata_bytes = 0
    while pos < riff_end:
        limits.enforce("MAX_SEGMENTS", len(chunks), limits.MAX_SEGMENTS)
        if pos + 8 > riff_end:
            raise TruncatedFile("WebP chunk header cut off", pos)
        fourcc = data[pos : pos + 4]
        size = u32(data, pos + 4, "<")
        end = pos + 8 + size + (size & 1)
        if end > riff_end:
            raise TruncatedFile(f"WebP chunk {type_name(fourcc)} runs past the RIFF end", pos)
        if fourcc not in IMAGE_CHUNKS and fourcc != b"VP8X":
            metadata_bytes += size
            limits.enforce("MAX_METADATA_BYTES", metadata_bytes, limits.MAX_METADATA_BYTES)
        chunks.append(Chunk(fourcc, pos, size, end))
        pos = end
    if not chunks:
        raise MalformedFile("WebP has no chunks")
    if not any(c.fourcc in (b"VP8 ", b"VP8L", b"ANMF") for c in chunks):
        raise MalformedFile("WebP has no picture in it (no VP8, VP8L or ANMF chunk)")
    first = chunks[0].fourcc
    if first not in (b"VP8 ", b"VP8L", b"VP8X"):
        raise MalformedFile(f"WebP starts with an unexpected chunk {type_name(first)}")
    if first == b"VP8X":
        body = chunks[0].body(data)
        if len(body) < 10:
            raise MalformedFile("WebP VP8X chunk too short")
    elif len(chunks) > 1:
        # simple format: exactly one image chunk
        raise MalformedFile("simple WebP has extra chunks without a VP8X header")
    return chunks, riff_end


#: Frame data allowed inside an ANMF chunk (the spec also allows "unknown chunks": not here).
FRAME_CHUNKS = {b"ALPH", b"VP8 ", b"VP8L"}


def check_kept_chunk(data: bytes, chunk: Chunk) -> None:
    """Refuse picture chunks with room for anything but the picture."""
    if chunk.fourcc == b"ANIM" and chunk.size != 6:
        raise MalformedFile("WebP ANIM chunk has an unexpected size", chunk.start)
    if chunk.fourcc != b"ANMF":
        return
    # walked in place (not sliced out), so a big frame in a file read on demand is never held whole
    body_start, body_end = chunk.start + 8, chunk.start + 8 + chunk.size
    if chunk.size < 16:
        raise MalformedFile("WebP animation frame is too short", chunk.start)
    pos = body_start + 16
    while pos < body_end:
        if pos + 8 > body_end:
            raise MalformedFile("WebP animation frame ends inside a chunk header", chunk.start)
        fourcc = data[pos : pos + 4]
        size = u32(data, pos + 4, "<")
        end = pos + 8 + size + (size & 1)
        if end > body_end:
            raise MalformedFile("WebP animation frame chunk runs past the frame", chunk.start)
        if fourcc not in FRAME_CHUNKS:
            raise UnsafeToClean(f"WebP animation frame carries an unknown chunk {type_name(fourcc)}")
        pos = end


def exif_payload(body: bytes) -> bytes:
    """The TIFF structure of an EXIF chunk (some writers put JPEG's 'Exif\\0\\0' in front)."""
    return body[6:] if body.startswith(b"Exif\x00\x00") else body


def is_orientation_only(body: bytes) -> bool:
    """True for exactly the orientation-only EXIF geoscrub writes (turned photos only)."""
    value = exif_meta.orientation(body)
    return value is not None and value != 1 and body == exif_meta.build_orientation_exif(value)


def kept_orientation_exif(data: bytes, chunks: list[Chunk]) -> bytes:
    """The orientation-only EXIF body for the first EXIF chunk's orientation, or b"" when upright.

    Only an extended (VP8X) WebP can carry EXIF; a simple one never has any.
    """
    if chunks[0].fourcc != b"VP8X":
        return b""
    first = next((c for c in chunks if c.fourcc == b"EXIF"), None)
    if first is None:
        return b""
    value = exif_meta.orientation(exif_payload(first.body(data)))
    return exif_meta.build_orientation_exif(value) if value and value != 1 else b""


class WebpFormat:
    name = "WebP"
    extension = ".webp"
    #: Walks a FileView too, so big files are cleaned in flat memory.
    reads_views = True

    def accept(self, prefix: bytes) -> bool:
        return signatures.is_webp(prefix)

    def scan_readable(self, data: bytes) -> ScanResult:
        """EXIF and XMP in the chunks before the first problem, for a file that cannot be read whole
        (``check`` reports them with the problem; cleaning refuses the file)."""
        findings: list[Finding] = []
        location: Location | None = None
        end = min(len(data), 8 + u32(data, 4, "<")) if len(data) >= 12 else 0
        pos = 12
        for _ in range(limits.MAX_SEGMENTS):
            if pos + 8 > end:
                break
            fourcc, size = data[pos : pos + 4], u32(data, pos + 4, "<")
            if pos + 8 + size > end:
                break
            body = data[pos + 8 : pos + 8 + size]
            if fourcc == b"EXIF" and not is_orientation_only(body):
                result = exif_meta.scan_exif(exif_payload(body), "EXIF")
            elif fourcc in (b"XMP ", b"XMP\x00"):
                result = scan_xmp(body, "XMP")
            else:
                result = ScanResult()
            findings.extend(result.findings)
            location = better_location(location, result.location)
            pos += 8 + size + (size & 1)
        findings.sort(key=lambda f: f.category.severity)
        return ScanResult(tuple(findings), location)

    def scan(self, data: bytes) -> ScanResult:
        chunks, riff_end = parse(data)
        findings: list[Finding] = []
        location: Location | None = None
        for c in chunks:
            if c.fourcc in IMAGE_CHUNKS:
                check_kept_chunk(data, c)
                continue
            if c.fourcc == ICC_CHUNK:
                if not is_valid_profile(c.body(data)):
                    findings.append(Finding.make(Category.OTHER, "ICCP", "not a sound profile",
                                                 "Has a damaged colour profile that could hide other data", "RIFF"))
                elif icc.is_stamped(c.body(data)):
                    findings.append(Finding.make(Category.TIME, "ColorProfileDate", icc.stamp_date(c.body(data)),
                                                 icc.STAMP_EXPLANATION, "RIFF"))
                continue
            if c.fourcc == b"VP8X":
                continue
            body = c.body(data)
            if c.fourcc == b"EXIF":
                if is_orientation_only(body):
                    continue  # exactly what geoscrub writes: kept on purpose
                payload = exif_payload(body)
                result = exif_meta.scan_exif(payload, "EXIF")
                findings.extend(result.findings or (Finding.make(
                    Category.OTHER, "EXIF", f"{len(body)} bytes", "Carries an EXIF block", "EXIF"),))
                location = better_location(location, result.location)
            elif c.fourcc in (b"XMP ", b"XMP\x00"):
                result = scan_xmp(body, "XMP")
                findings.extend(result.findings or (Finding.make(
                    Category.OTHER, "XMP", f"{len(body)} bytes", "Carries an XMP block", "XMP"),))
                location = better_location(location, result.location)
            else:
                name = c.fourcc.decode("latin-1")
                findings.append(Finding.make(Category.OTHER, name.strip() or "chunk", f"{c.size} bytes",
                                             "Carries extra data that geoscrub does not keep", "RIFF"))
        if riff_end < len(data):
            findings.extend(trailers.describe(trailers.tail_of(data, riff_end), tail_start=riff_end).findings)
        if chunks[0].fourcc == b"VP8X":
            flags = chunks[0].body(data)[0]
            if any(c.fourcc == b"EXIF" and is_orientation_only(c.body(data)) for c in chunks):
                flags &= ~EXIF_FLAG
            if flags & (EXIF_FLAG | XMP_FLAG) and not findings:
                findings.append(Finding.make(Category.OTHER, "VP8X", "metadata flags set",
                                             "Says it carries metadata", "RIFF"))
        findings.sort(key=lambda f: f.category.severity)
        return ScanResult(tuple(findings), location)

    def strip(self, data: bytes, policy: Policy) -> bytes:
        return join_plan(self.strip_plan(data, policy), data)

    def strip_plan(self, data: bytes, policy: Policy) -> Plan:
        """The cleaned file as a plan: new headers (bytes) and ranges of ``data`` to copy."""
        chunks, _ = parse(data)
        for c in chunks:
            if c.fourcc in IMAGE_CHUNKS:
                check_kept_chunk(data, c)
        kept = [c for c in chunks if c.fourcc in IMAGE_CHUNKS
                or (c.fourcc == ICC_CHUNK and policy.keep_color_profile and is_valid_profile(c.body(data)))]
        orientation_exif = kept_orientation_exif(data, chunks) if policy.keep_orientation else b""
        parts: Plan = []
        if chunks[0].fourcc == b"VP8X":
            body = bytearray(chunks[0].body(data)[:10])
            flags = body[0] & (ALPHA_FLAG | ANIM_FLAG)
            if any(c.fourcc == ICC_CHUNK for c in kept):
                flags |= ICC_FLAG
            if orientation_exif:
                flags |= EXIF_FLAG
            body[0] = flags
            body[1:4] = b"\x00\x00\x00"  # reserved: nothing may ride along there
            parts.append(b"VP8X" + struct.pack("<I", 10) + bytes(body))
        for c in kept:
            if c.fourcc == ICC_CHUNK and icc.is_stamped(c.body(data)):
                parts.append(ICC_CHUNK + struct.pack("<I", c.size) + icc.without_stamp(c.body(data))
                             + (b"\x00" if c.size & 1 else b""))
            else:
                parts.append(range(c.start, c.end))
        if orientation_exif:
            parts.append(b"EXIF" + struct.pack("<I", len(orientation_exif)) + orientation_exif)
        payload_size = 4 + sum(len(p) for p in parts)
        return [b"RIFF", struct.pack("<I", payload_size), b"WEBP", *parts]

    def image_spans(self, data: bytes) -> list[tuple[int, int]]:
        """(start, end) of every chunk that codes the picture, in order."""
        return [(c.start, c.end) for c in parse(data)[0] if c.fourcc in IMAGE_CHUNKS]

    def image_data(self, data: bytes) -> list[bytes | memoryview]:
        view = memoryview(data)
        return [view[a:b] for a, b in self.image_spans(data)]


FORMAT = WebpFormat()
