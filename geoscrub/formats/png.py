"""PNG (and APNG): keep the picture's chunks, drop text, EXIF, time and unknown chunks.

Spec: PNG 3rd edition (W3C 2025) section 5 and 11; eXIf may sit anywhere,
also after IDAT, so the walk always reads to IEND and then to the file end.
"""
from __future__ import annotations

import struct
import zlib

from .. import limits
from .._binary import type_name, u32
from ..errors import GeoscrubError, MalformedFile, TruncatedFile, UnsafeToClean, UnsupportedFormat
from ..fileview import pieces
from ..metadata import exif as exif_meta
from ..metadata import icc
from ..metadata.icc import is_valid_profile
from ..metadata.xmp import scan_xmp
from ..model import Category, Finding, Location, Policy, ScanResult, better_location
from . import signatures, trailers
from .base import Plan, join_plan, remember_last_parses

SIGNATURE = signatures.PNG_SIGNATURE
#: Chunks that make up the picture: kept byte for byte.
IMAGE_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT",
                b"pHYs", b"bKGD", b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT"}
PROFILE_CHUNK = b"iCCP"
#: The profile name in iCCP is free text; kept profiles are renamed to this.
NEUTRAL_PROFILE_NAME = b"ICC profile"
#: Exact or allowed body sizes of kept chunks: anything else could carry extra bytes.
CHUNK_SIZES: dict[bytes, set[int]] = {
    b"IHDR": {13}, b"gAMA": {4}, b"cHRM": {32}, b"sRGB": {1}, b"sBIT": {1, 2, 3, 4},
    b"pHYs": {9}, b"bKGD": {1, 2, 6}, b"cICP": {4}, b"mDCV": {24}, b"cLLI": {8},
    b"acTL": {8}, b"fcTL": {26}, b"IEND": {0},
}
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
    return _walk(data, [])


def readable_chunks(data: bytes) -> list[Chunk]:
    """The chunks walked before the first problem (all of them when there is none)."""
    chunks: list[Chunk] = []
    try:
        _walk(data, chunks)
    except GeoscrubError:
        pass
    return chunks


def _walk(data: bytes, chunks: list[Chunk]) -> tuple[list[Chunk], int]:
    if not data.startswith(SIGNATURE):
        raise UnsupportedFormat("not a PNG")
    pos = len(SIGNATURE)
    size = len(data)
    metadata_bytes = 0
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
            raise TruncatedFile(f"PNG chunk {type_name(ctype)} runs past the end of the file", pos)
        if not all(65 <= c <= 90 or 97 <= c <= 122 for c in ctype):
            raise MalformedFile("PNG chunk type is not four letters", pos)
        crc = u32(data, end - 4)
        if _crc32(data, pos + 4, end - 4) != crc:
            raise MalformedFile(f"PNG chunk {ctype.decode('ascii')} has a bad checksum", pos)
        if not chunks and ctype != b"IHDR":
            raise MalformedFile("PNG does not start with IHDR", pos)
        if ctype == b"IHDR":
            if length != 13:
                raise MalformedFile("PNG IHDR has the wrong length", pos)
            width, height = struct.unpack(">II", data[pos + 8 : pos + 16])
            limits.enforce("MAX_PIXELS", width * height, limits.MAX_PIXELS)
        if ctype not in IMAGE_CHUNKS:
            metadata_bytes += length
            limits.enforce("MAX_METADATA_BYTES", metadata_bytes, limits.MAX_METADATA_BYTES)
        chunks.append(Chunk(ctype, pos, end))
        pos = end
        if ctype == b"IEND":
            if not any(c.type == b"IDAT" for c in chunks):
                raise MalformedFile("PNG has no picture in it (no IDAT chunk)", pos)
            return chunks, pos


#: Compressed picture data is checked this much at a time (and so read this much at a time from a FileView).
_PIECE = 1024 * 1024


def _crc32(data: bytes, start: int, end: int) -> int:
    crc = 0
    for piece in pieces(data, start, end, _PIECE):
        crc = zlib.crc32(piece, crc)
    return crc


def check_kept_chunk(ctype: bytes, body_length: int, offset: int) -> None:
    """Refuse a picture chunk whose size leaves room for anything but its fields."""
    sizes = CHUNK_SIZES.get(ctype)
    bad = (sizes is not None and body_length not in sizes) \
        or (ctype == b"PLTE" and (body_length % 3 or not 3 <= body_length <= 768)) \
        or (ctype == b"tRNS" and body_length > 256) or (ctype == b"fdAT" and body_length < 4)
    if bad:
        raise MalformedFile(f"PNG {ctype.decode('ascii')} chunk has an unexpected size ({body_length} bytes)", offset)


#: Channels per colour type, and the sizes of tRNS, bKGD and sBIT for each.
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_TRNS = {0: 2, 2: 6}
_BKGD = {0: 2, 4: 2, 2: 6, 6: 6, 3: 1}
_SBIT = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}
_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def raw_size(width: int, height: int, bits_per_pixel: int, interlaced: bool) -> int:
    """Bytes the filtered scanlines of a picture inflate to (PNG 3rd ed. 7.2, 8.2)."""
    passes = _ADAM7 if interlaced else ((0, 0, 1, 1),)
    total = 0
    for x0, y0, dx, dy in passes:
        w = (width - x0 + dx - 1) // dx if width > x0 else 0
        h = (height - y0 + dy - 1) // dy if height > y0 else 0
        if w and h:
            total += h * (1 + (w * bits_per_pixel + 7) // 8)
    return total


def _check_stream(data: bytes, spans: list[tuple[int, int]], expected: int, what: str) -> None:
    """The zlib stream in ``spans`` of ``data`` inflates to exactly ``expected`` bytes and ends exactly at their end.

    Fed a piece at a time, so neither a huge chunk nor a huge picture is ever held whole.
    """
    d = zlib.decompressobj()
    produced = 0
    try:
        for i, (start, end) in enumerate(spans):
            for piece in pieces(data, start, end, _PIECE):
                pending: bytes | memoryview = piece
                while pending:
                    if d.eof:
                        raise UnsafeToClean(f"PNG {what} has bytes after the end of its compressed picture")
                    out = d.decompress(pending, 1 << 20)
                    produced += len(out)
                    if produced > expected:
                        raise UnsafeToClean(f"PNG {what} holds more data than its picture needs")
                    pending = d.unconsumed_tail
            if d.eof and (d.unused_data or any(b > a for a, b in spans[i + 1 :])):
                raise UnsafeToClean(f"PNG {what} has bytes after the end of its compressed picture")
    except zlib.error as err:
        raise MalformedFile(f"PNG {what} does not inflate: {err}") from None
    if not d.eof or produced != expected:
        raise MalformedFile(f"PNG {what} holds {produced} bytes of picture, not {expected}")


@remember_last_parses
def kept_chunks(data: bytes) -> list[Chunk]:
    """The picture's chunks, each checked to hold exactly what the picture needs.

    Sizes follow the colour type; a truecolour image's optional "suggested
    palette" is left out (it is not needed to show the picture); each frame's
    compressed data must inflate to exactly its scanlines, with nothing after.
    """
    chunks, _ = parse(data)
    ihdr = chunks[0].body(data)
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", ihdr)
    if colour not in _DEPTHS or depth not in _DEPTHS[colour] or compression or filtering or interlace > 1:
        raise MalformedFile("PNG header has an impossible combination of settings")
    bpp = depth * _CHANNELS[colour]
    kept: list[Chunk] = []
    seen: set[bytes] = set()
    palette_entries = 0
    frames: list[tuple[int, int, list[tuple[int, int]]]] = []  # (width, height, compressed data spans)
    idat: list[tuple[int, int]] = []
    for c in chunks:
        if c.type not in IMAGE_CHUNKS:
            continue
        length = c.end - c.start - 12
        check_kept_chunk(c.type, length, c.start)
        if c.type not in (b"IDAT", b"fdAT", b"fcTL") and c.type in seen:
            raise MalformedFile(f"PNG has a second {c.type.decode('ascii')} chunk", c.start)
        seen.add(c.type)
        body = (c.start + 8, c.end - 4)
        if c.type == b"PLTE":
            if colour in (0, 4):
                raise MalformedFile("PNG greyscale picture has a palette", c.start)
            if colour != 3:
                continue  # a suggested palette for truecolour: not needed, not kept
            palette_entries = length // 3
            if palette_entries > 1 << depth:
                raise MalformedFile("PNG palette has more entries than the bit depth allows", c.start)
        elif c.type == b"tRNS" and (colour in (4, 6) or length != _TRNS.get(colour, length)
                                    or colour == 3 and length > palette_entries):
            raise MalformedFile("PNG transparency chunk does not fit the colour type", c.start)
        elif c.type == b"bKGD" and length != _BKGD[colour] or c.type == b"sBIT" and length != _SBIT[colour]:
            raise MalformedFile(f"PNG {c.type.decode('ascii')} chunk does not fit the colour type", c.start)
        elif c.type == b"IDAT":
            idat.append(body)
        elif c.type == b"fcTL":
            fw, fh = struct.unpack(">II", data[body[0] + 4 : body[0] + 12])
            frames.append((fw, fh, []))
        elif c.type == b"fdAT":
            if not frames:
                raise MalformedFile("PNG animation data comes before its frame header", c.start)
            frames[-1][2].append((body[0] + 4, body[1]))
        kept.append(c)
    if colour == 3 and not palette_entries:
        raise MalformedFile("PNG palette picture has no palette")
    _check_stream(data, idat, raw_size(width, height, bpp, bool(interlace)), "IDAT")
    for fw, fh, spans in frames:
        if spans:  # the first frame may be the IDAT picture itself
            limits.enforce("MAX_PIXELS", fw * fh, limits.MAX_PIXELS)
            _check_stream(data, spans, raw_size(fw, fh, bpp, bool(interlace)), "animation frame")
    return kept


def icc_from_iccp(body: bytes) -> bytes | None:
    """The profile inside an iCCP chunk when the chunk is exactly name + profile; else None."""
    name, sep, rest = body.partition(b"\x00")
    if not sep or not 1 <= len(name) <= 79 or not rest or rest[0] != 0:
        return None
    d = zlib.decompressobj()
    try:
        profile = d.decompress(rest[1:], limits.MAX_ICC_BYTES + 1)
    except zlib.error:
        return None
    if not d.eof or d.unused_data or len(profile) > limits.MAX_ICC_BYTES:
        return None  # bytes after the compressed profile, or a profile too big to trust
    return profile if is_valid_profile(profile) else None


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
    #: Walks a FileView too, so big files are cleaned in flat memory.
    reads_views = True

    def accept(self, prefix: bytes) -> bool:
        return signatures.is_png(prefix)

    def scan(self, data: bytes) -> ScanResult:
        chunks, end = parse(data)
        return self._scan_chunks(data, chunks, end, set(kept_chunks(data)))

    def scan_readable(self, data: bytes) -> ScanResult:
        """Findings in the chunks before the first problem, for a file that cannot be read whole
        (``check`` reports them with the problem; cleaning refuses the file)."""
        chunks = readable_chunks(data)
        return self._scan_chunks(data, chunks, len(data), None)

    def _scan_chunks(self, data: bytes, chunks: list[Chunk], end: int, kept: set[Chunk] | None) -> ScanResult:
        """Findings of ``chunks``; ``kept`` None when which picture chunks stay is unknown."""
        findings: list[Finding] = []
        location: Location | None = None
        texts = text_total = 0
        for c in chunks:
            if c.type in IMAGE_CHUNKS:
                if c.type == b"PLTE" and kept is not None and c not in kept:
                    findings.append(Finding.make(Category.OTHER, "PLTE", f"{c.end - c.start - 12} bytes",
                                                 "Has a suggested palette the picture does not need", "PLTE"))
                continue
            if c.type == PROFILE_CHUNK:
                profile = icc_from_iccp(c.body(data))
                if profile is None:
                    findings.append(Finding.make(Category.OTHER, "iCCP", "not a sound profile",
                                                 "Has a damaged colour profile that could hide other data", "iCCP"))
                elif icc.is_stamped(profile):
                    findings.append(Finding.make(Category.TIME, "ColorProfileDate", icc.stamp_date(profile),
                                                 icc.STAMP_EXPLANATION, "iCCP"))
                continue  # its free-text name is replaced by a neutral one when cleaning
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
                text_total += len(text)
                limits.enforce("MAX_TEXT_INFLATE_TOTAL", text_total, limits.MAX_TEXT_INFLATE_TOTAL)
                result = scan_text(key, text, source)
                findings.extend(result.findings)
                location = better_location(location, result.location)
                continue
            if c.type == b"tIME":
                findings.append(Finding.make(Category.TIME, "tIME", self._time(body),
                                             "Tells when the picture was last changed", source))
                continue
            if c.type[0:1].isupper():
                raise MalformedFile(f"unknown critical PNG chunk {type_name(c.type)}")
            findings.append(Finding.make(Category.OTHER, source, f"{c.end - c.start - 12} bytes",
                                         "Carries extra data that geoscrub does not keep", source))
        if end < len(data):
            result = trailers.describe(trailers.tail_of(data, end), tail_start=end)
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
        return join_plan(self.strip_plan(data, policy), data)

    def strip_plan(self, data: bytes, policy: Policy) -> Plan:
        """The cleaned file as a plan: new chunks (bytes) and ranges of ``data`` to copy."""
        chunks, _ = parse(data)
        orientation = None
        if policy.keep_orientation:
            for c in chunks:
                if c.type == EXIF_CHUNK:
                    body = c.body(data)
                    orientation = exif_meta.orientation(body[6:] if body.startswith(b"Exif\x00\x00") else body)
                    break
        out: Plan = [SIGNATURE]
        kept = set(kept_chunks(data))
        for c in chunks:
            if c in kept:
                out.append(range(c.start, c.end))
            elif c.type == PROFILE_CHUNK and policy.keep_color_profile:
                body = c.body(data)
                profile = icc_from_iccp(body)
                if profile is None:
                    continue  # a profile that is not only a profile is dropped (reported by scan)
                if icc.is_stamped(profile):
                    out.append(make_chunk(PROFILE_CHUNK, NEUTRAL_PROFILE_NAME + b"\x00\x00"
                                          + zlib.compress(icc.without_stamp(profile), 9)))
                elif body.startswith(NEUTRAL_PROFILE_NAME + b"\x00"):
                    out.append(range(c.start, c.end))
                else:  # same compressed profile, neutral name
                    rest = body.partition(b"\x00")[2]
                    out.append(make_chunk(PROFILE_CHUNK, NEUTRAL_PROFILE_NAME + b"\x00" + rest))
            if c.type == b"IHDR" and orientation and orientation != 1:
                out.append(make_chunk(EXIF_CHUNK, exif_meta.build_orientation_exif(orientation)))
        return out

    def image_spans(self, data: bytes) -> list[tuple[int, int]]:
        """(start, end) of every chunk that makes up the picture, in order."""
        return [(c.start, c.end) for c in kept_chunks(data)]

    def image_data(self, data: bytes) -> list[bytes | memoryview]:
        view = memoryview(data)
        return [view[a:b] for a, b in self.image_spans(data)]


def make_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


FORMAT = PngFormat()
