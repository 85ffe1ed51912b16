"""PNG (and APNG): keep the picture's chunks, drop text, EXIF, time and unknown chunks.

Spec: PNG 3rd edition (W3C 2025) section 5 and 11; eXIf may sit anywhere,
also after IDAT, so the walk always reads to IEND and then to the file end.
"""
from __future__ import annotations

import struct
import zlib

from .. import limits
from .._binary import u32
from ..errors import MalformedFile, TruncatedFile, UnsupportedFormat
from ..metadata import exif as exif_meta
from ..metadata.xmp import scan_xmp
from ..model import Category, Finding, Location, Policy, ScanResult, better_location
from . import trailers
from .base import remember_last_parses

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Chunks that make up the picture: kept byte for byte.
IMAGE_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT",
                b"pHYs", b"bKGD", b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT"}
PROFILE_CHUNK = b"iCCP"
EXIF_CHUNK = b"eXIf"
TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt"}

_TEXT_KEYWORDS = {
    "author": (Category.PERSON, "Names the author"),
    "copyright": (Category.PERSON, "Names the owner of the picture"),
    "disclaimer": (Category.OTHER, "Has text someone typed"),
    "creation time": (Category.TIME, "Tells when the picture was made"),
    "date:create": (Category.TIME, "Tells when the picture was made"),
    "date:modify": (Category.TIME, "Tells when the picture was changed"),
    "date:timestamp": (Category.TIME, "Tells when the picture was made"),
    "software": (Category.DEVICE, "Names the software used"),
    "source": (Category.DEVICE, "Names the camera or device used"),
    "comment": (Category.OTHER, "Has a comment someone or some app wrote"),
    "description": (Category.OTHER, "Has a description someone typed"),
    "title": (Category.OTHER, "Has a title someone typed"),
    "warning": (Category.OTHER, "Has text someone typed"),
}


class Chunk:
    __slots__ = ("type", "start", "end")

    def __init__(self, ctype: bytes, start: int, end: int) -> None:
        self.type, self.start, self.end = ctype, start, end

    def body(self, data: bytes) -> bytes:
        return data[self.start + 8 : self.end - 4]


@remember_last_parses
def parse(data: bytes) -> tuple[list[Chunk], int]:
    """All chunks up to IEND (CRCs checked) and the offset just past IEND."""
    if not data.startswith(SIGNATURE):
        raise UnsupportedFormat("not a PNG")
    chunks: list[Chunk] = []
    pos = len(SIGNATURE)
    size = len(data)
    while True:
        limits.enforce("MAX_SEGMENTS", len(chunks), limits.MAX_SEGMENTS)
        if pos + 12 > size:
            raise TruncatedFile("PNG ends before its IEND chunk", pos)
        length = u32(data, pos)
        ctype = data[pos + 4 : pos + 8]
        if length > 0x7FFFFFFF:
            raise MalformedFile("PNG chunk length too large", pos)
        end = pos + 12 + length
        if end > size:
            raise TruncatedFile(f"PNG chunk {ctype!r} runs past the end of the file", pos)
        if not all(65 <= c <= 90 or 97 <= c <= 122 for c in ctype):
            raise MalformedFile("PNG chunk type is not four letters", pos)
        crc = u32(data, end - 4)
        if zlib.crc32(memoryview(data)[pos + 4 : end - 4]) != crc:
            raise MalformedFile(f"PNG chunk {ctype.decode('ascii')} has a bad checksum", pos)
        if not chunks and ctype != b"IHDR":
            raise MalformedFile("PNG does not start with IHDR", pos)
        if ctype == b"IHDR":
            if length != 13:
                raise MalformedFile("PNG IHDR has the wrong length", pos)
            width, height = struct.unpack(">II", data[pos + 8 : pos + 16])
            limits.enforce("MAX_PIXELS", width * height, limits.MAX_PIXELS)
        chunks.append(Chunk(ctype, pos, end))
        pos = end
        if ctype == b"IEND":
            if not any(c.type == b"IDAT" for c in chunks):
                raise MalformedFile("PNG has no picture in it (no IDAT chunk)", pos)
            return chunks, pos


def _inflate(body: bytes) -> bytes:
    """zlib inflate capped at MAX_TEXT_INFLATE (a text bomb is reported, not expanded)."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(body, limits.MAX_TEXT_INFLATE + 1)
    except zlib.error as err:
        raise MalformedFile(f"PNG text chunk does not inflate: {err}") from None
    limits.enforce("MAX_TEXT_INFLATE", len(out), limits.MAX_TEXT_INFLATE)
    return out


def text_chunk(ctype: bytes, body: bytes) -> tuple[str, bytes]:
    """(keyword, decoded text bytes) of tEXt/zTXt/iTXt.  Raises on damage or bombs."""
    keyword, sep, rest = body.partition(b"\x00")
    if not sep:
        raise MalformedFile("PNG text chunk has no keyword terminator")
    key = keyword.decode("latin-1")
    if ctype == b"tEXt":
        return key, rest
    if ctype == b"zTXt":
        return key, _inflate(rest[1:])
    if len(rest) < 2:
        raise MalformedFile("PNG iTXt chunk is cut short")
    compressed = rest[0]
    rest = rest[2:]
    _lang, _, rest = rest.partition(b"\x00")
    _tkey, _, text = rest.partition(b"\x00")
    return key, _inflate(text) if compressed else text


def _raw_profile(text: bytes) -> bytes:
    """Decode ImageMagick's 'Raw profile type X' hex dump: '\\nname\\n   len\\nhex...'."""
    lines = text.strip().split(b"\n", 2)
    if len(lines) < 3:
        return b""
    hexdigits = b"".join(lines[2].split())
    try:
        return bytes.fromhex(hexdigits.decode("ascii"))
    except ValueError:
        return b""


def scan_text(key: str, text: bytes, source: str) -> ScanResult:
    lower = key.lower()
    if lower == "xml:com.adobe.xmp":
        return scan_xmp(text, source + " XMP")
    if lower.startswith("raw profile type"):
        blob = _raw_profile(text)
        kind = lower.rsplit(" ", 1)[-1]
        if kind in ("exif", "app1") and blob:
            body = blob[6:] if blob.startswith(b"Exif\x00\x00") else blob
            result = exif_meta.scan_exif(body, source + " EXIF")
            if result.findings:
                return result
        if kind == "iptc" and blob:
            from ..metadata.iptc import scan_photoshop
            result = scan_photoshop(blob, source + " IPTC")
            if result.findings:
                return result
        if kind in ("xmp",) and blob:
            return scan_xmp(blob, source + " XMP")
        return ScanResult((Finding.make(Category.OTHER, key, f"{len(blob)} bytes",
                                        "Carries a hidden metadata profile", source),))
    category, explanation = _TEXT_KEYWORDS.get(
        lower, (Category.OTHER, "Has text stored in the file, which may name people or places"))
    if lower.startswith("thumb::"):
        category, explanation = Category.OTHER, "Records where the picture was stored"
    return ScanResult((Finding.make(category, key, text, explanation, source),))


class PngFormat:
    name = "PNG"
    extension = ".png"

    def accept(self, prefix: bytes) -> bool:
        return prefix.startswith(SIGNATURE)

    def scan(self, data: bytes) -> ScanResult:
        chunks, end = parse(data)
        findings: list[Finding] = []
        location: Location | None = None
        texts = 0
        for c in chunks:
            if c.type in IMAGE_CHUNKS or c.type == PROFILE_CHUNK:
                continue
            body = c.body(data)
            source = c.type.decode("ascii")
            if c.type == EXIF_CHUNK:
                payload = body[6:] if body.startswith(b"Exif\x00\x00") else body
                result = exif_meta.scan_exif(payload, "eXIf")
                findings.extend(result.findings)
                location = better_location(location, result.location)
                continue
            if c.type in TEXT_CHUNKS:
                texts += 1
                limits.enforce("MAX_METADATA_SEGMENTS", texts, limits.MAX_METADATA_SEGMENTS)
                key, text = text_chunk(c.type, body)
                result = scan_text(key, text, source)
                findings.extend(result.findings)
                location = better_location(location, result.location)
                continue
            if c.type == b"tIME":
                findings.append(Finding.make(Category.TIME, "tIME", self._time(body),
                                             "Tells when the picture was last changed", source))
                continue
            if c.type[0:1].isupper():
                raise MalformedFile(f"unknown critical PNG chunk {c.type!r}")
            findings.append(Finding.make(Category.OTHER, source, f"{c.end - c.start - 12} bytes",
                                         "Carries extra data that geoscrub does not keep", source))
        if end < len(data):
            result = trailers.describe(data[end:], tail_start=end)
            findings.extend(f if f.key != "Trailer" else Finding.make(
                Category.HIDDEN_IMAGE, "Trailer", f.value,
                "Has hidden data after the end of the picture, which can be a piece of an older, uncropped version",
                "trailer") for f in result.findings)
        findings.sort(key=lambda f: f.category.severity)
        return ScanResult(tuple(findings), location)

    @staticmethod
    def _time(body: bytes) -> str:
        if len(body) != 7:
            return f"{len(body)} bytes"
        y, mo, d, h, mi, s = struct.unpack(">HBBBBB", body)
        return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"

    def strip(self, data: bytes, policy: Policy) -> bytes:
        chunks, _ = parse(data)
        orientation = None
        if policy.keep_orientation:
            for c in chunks:
                if c.type == EXIF_CHUNK:
                    body = c.body(data)
                    orientation = exif_meta.orientation(body[6:] if body.startswith(b"Exif\x00\x00") else body)
                    break
        view = memoryview(data)
        out: list[bytes | memoryview] = [SIGNATURE]
        for c in chunks:
            if c.type in IMAGE_CHUNKS or (c.type == PROFILE_CHUNK and policy.keep_color_profile):
                out.append(view[c.start : c.end])
            if c.type == b"IHDR" and orientation and orientation != 1:
                out.append(make_chunk(EXIF_CHUNK, exif_meta.build_orientation_exif(orientation)))
        return b"".join(out)

    def image_data(self, data: bytes) -> list[bytes | memoryview]:
        chunks, _ = parse(data)
        view = memoryview(data)
        return [view[c.start : c.end] for c in chunks if c.type in IMAGE_CHUNKS]


def make_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


FORMAT = PngFormat()
