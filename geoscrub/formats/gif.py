"""GIF: keep the frames and their timing, drop comments, text, XMP and other extensions.

Spec: GIF89a (CompuServe 1990) sections 17-27; NETSCAPE2.0 / ANIMEXTS1.0 loop
extension; XMP part 3 (GIF application extension "XMP DataXMP").  Kept byte
for byte: header, logical screen descriptor, colour tables, image descriptors
with their LZW data, graphic control extensions.  The loop extension is
rewritten holding only the loop count; the first ICC profile extension is kept
by policy when it is a sound profile.  Nothing after the trailer survives.
Each picture's LZW codes are followed to their end code: bytes after it are
refused.  A graphic control extension that belongs to a (dropped) plain-text
block goes with it.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from .. import limits
from ..errors import MalformedFile, TruncatedFile, UnsafeToClean, UnsupportedFormat
from ..fileview import same_range
from ..metadata import icc
from ..metadata.xmp import scan_xmp
from ..model import Category, Finding, Location, Policy, ScanResult
from . import signatures
from .base import Plan, join_plan, recent, remember_last_parses

HEADERS = signatures.GIF_HEADERS
TRAILER, IMAGE, EXTENSION = 0x3B, 0x2C, 0x21
GRAPHIC_CONTROL, COMMENT, PLAIN_TEXT, APPLICATION = 0xF9, 0xFE, 0x01, 0xFF
LOOP_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
XMP_APP = b"XMP DataXMP"
ICC_APP = b"ICCRGBG1012"


@dataclass(frozen=True)
class Block:
    kind: str  # "image", "gce", "loop", "icc", "comment", "text", "xmp", "app", "ext"
    start: int
    end: int
    label: bytes = b""  # application identifier, or the extension label
    loops: int | None = None  # loop count of a loop extension


@dataclass
class Layout:
    screen_end: int  # end of header + logical screen descriptor + global colour table
    blocks: list[Block]
    trailer_end: int


def _table_size(packed: int) -> int:
    return 3 * (2 << (packed & 7)) if packed & 0x80 else 0


def _need(data: bytes, end: int, what: str) -> None:
    if end > len(data):
        raise TruncatedFile(f"GIF ends inside its {what}", len(data))


def _sub_blocks(data: bytes, pos: int, what: str) -> int:
    """Offset just past a chain of data sub-blocks and its zero terminator."""
    while True:
        _need(data, pos + 1, what)
        size = data[pos]
        pos += 1
        if size == 0:
            return pos
        _need(data, pos + size, what)
        pos += size


def _payload(data: bytes, start: int, end: int) -> bytes:
    """The bytes of a sub-block chain without its length bytes."""
    out = bytearray()
    pos = start
    while pos < end:
        size = data[pos]
        out += data[pos + 1 : pos + 1 + size]
        pos += 1 + size
    return bytes(out)


#: A big file's picture data is followed this much at a time (a FileView is never copied whole).
_PIECE = 1024 * 1024


def _payload_pieces(data: bytes, start: int, end: int) -> Iterator[bytes]:
    """The sub-block chain's bytes without their length bytes: all at once in memory, in pieces from a FileView."""
    if type(data) is bytes:
        yield _payload(data, start, end)
        return
    out, pos = bytearray(), start
    while pos < end:
        size = data[pos]
        out += data[pos + 1 : pos + 1 + size]
        pos += 1 + size
        if len(out) >= _PIECE:
            yield bytes(out)
            out = bytearray()
    if out:
        yield bytes(out)


#: Shorter frames are cheaper to check again than to look up.
_FRAME_WORTH_REMEMBERING = 4096


def _check_lzw_end_once(data: bytes, lzw_at: int, end: int) -> None:
    """``_check_lzw_end``, skipped for a frame byte-identical to one checked for this file already.

    The check depends only on ``data[lzw_at:end]`` and costs a Python step per
    code; verifying a cleaned copy would repeat it for every frame.  A frame
    whose bytes equal (memcmp) a frame that passed is passed too.
    """
    checked: list[tuple[bytes, int, int]] = recent("gif.checked_frames")
    length = end - lzw_at
    if type(data) is bytes:
        for seen, start, stop in checked:
            if stop - start == length and data.startswith(memoryview(seen)[start:stop], lzw_at):
                return
    _check_lzw_end(data, lzw_at, end)
    if type(data) is bytes and length >= _FRAME_WORTH_REMEMBERING:
        checked.append((data, lzw_at, end))
        del checked[:-_REMEMBERED_FRAMES]


#: At most this many passed frames are remembered (a reference to their buffer is held until the file is done).
_REMEMBERED_FRAMES = 64


#: Bytes of LZW codes taken into the bit buffer at once (fewer Python steps than one at a time).
_PULL = 8


def _check_lzw_end(data: bytes, lzw_at: int, end: int) -> None:
    """The picture's LZW codes must end with the end-of-information code and nothing after it.

    Viewers stop reading at that code, so bytes placed after it are invisible yet copied;
    they are refused.  Only the code widths are followed here, no pixels are made.
    """
    min_size = data[lzw_at]
    if min_size < 1:
        raise MalformedFile("GIF image has an impossible LZW code size", lzw_at)
    clear, eoi = 1 << min_size, (1 << min_size) + 1
    size, avail = min_size + 1, eoi + 1
    mask, limit = (1 << size) - 1, 1 << size
    fresh = True  # just after a clear code: the next code adds no table entry
    buf = nbits = used_bytes = 0
    done = False
    from_bytes = int.from_bytes
    for payload in _payload_pieces(data, lzw_at + 1, end):
        if done:
            if any(payload):
                raise UnsafeToClean("GIF picture has hidden data after its end marker")
            continue
        count, at = len(payload), 0
        while at < count:
            chunk = payload[at : at + _PULL]
            buf |= from_bytes(chunk, "little") << nbits
            nbits += 8 * len(chunk)
            at += len(chunk)
            while nbits >= size:
                code = buf & mask
                buf >>= size
                nbits -= size
                if code > eoi:
                    if code > avail or fresh:
                        raise MalformedFile("GIF picture data has a broken LZW code", lzw_at)
                elif code == clear:
                    size, avail, fresh = min_size + 1, eoi + 1, True
                    mask, limit = (1 << size) - 1, 1 << size
                    continue
                elif code == eoi:
                    done = True
                    break
                if fresh:
                    fresh = False
                elif avail < 4096:
                    avail += 1
                    if avail == limit and size < 12:
                        size += 1
                        mask, limit = (1 << size) - 1, limit << 1
            if done:
                # after the end marker: only zero padding bits in its byte and zero bytes after it
                if buf or any(payload[at:]):
                    raise UnsafeToClean("GIF picture has hidden data after its end marker")
                used_bytes += at - nbits // 8  # up to the byte holding the end marker's last bit
                break
        else:
            used_bytes += count
    if not done:
        raise UnsafeToClean("GIF picture data has no end marker, so what follows it cannot be checked")
    # the end marker must sit in the last sub-block (nothing else may follow it, even zeros in new blocks)
    total = last = 0
    at = lzw_at + 1
    while data[at]:
        last = data[at]
        total += last
        at += 1 + last
    if used_bytes <= total - last:
        raise UnsafeToClean("GIF picture has hidden data after its end marker")


@remember_last_parses
def parse(data: bytes) -> Layout:
    """Walk every block up to the trailer.  Raises MalformedFile/TruncatedFile."""
    if data[:6] not in HEADERS:
        raise UnsupportedFormat("not a GIF")
    _need(data, 13, "logical screen descriptor")
    packed = data[10]
    pos = 13 + _table_size(packed)
    _need(data, pos, "global colour table")
    screen_end = pos
    blocks: list[Block] = []
    frames = 0
    while True:
        limits.enforce("MAX_SEGMENTS", len(blocks), limits.MAX_SEGMENTS)
        _need(data, pos + 1, "list of blocks (it has no trailer)")
        introducer = data[pos]
        if introducer == TRAILER:
            return Layout(screen_end, _settle(data, blocks), pos + 1)
        if introducer == IMAGE:
            frames += 1
            limits.enforce("MAX_FRAMES", frames, limits.MAX_FRAMES)
            _need(data, pos + 11, "image descriptor")
            img_packed = data[pos + 9]
            lzw_at = pos + 10 + _table_size(img_packed)
            _need(data, lzw_at + 1, "local colour table")
            if data[lzw_at] > 11:
                raise MalformedFile("GIF image has an impossible LZW code size", lzw_at)
            end = _sub_blocks(data, lzw_at + 1, "image data")
            _check_lzw_end_once(data, lzw_at, end)
            blocks.append(Block("image", pos, end))
            pos = end
            continue
        if introducer != EXTENSION:
            raise MalformedFile(f"GIF has an unknown block type 0x{introducer:02x}", pos)
        _need(data, pos + 2, "extension")
        label = data[pos + 1]
        end = _sub_blocks(data, pos + 2, "extension")
        blocks.append(_extension(data, pos, end, label))
        pos = end


def _extension(data: bytes, start: int, end: int, label: int) -> Block:
    if label == GRAPHIC_CONTROL:
        if data[start + 2] != 4 or end != start + 8:
            raise MalformedFile("GIF graphic control extension has the wrong size", start)
        return Block("gce", start, end)
    if label == COMMENT:
        return Block("comment", start, end)
    if label == PLAIN_TEXT:
        return Block("text", start, end)
    if label != APPLICATION:
        return Block("ext", start, end, bytes([label]))
    if data[start + 2] != 11:
        return Block("app", start, end, b"?")
    ident = data[start + 3 : start + 14]
    if ident in LOOP_APPS:
        body = data[start + 14 : end]
        # sub-block 1 is the loop count: 03 01 lo hi; anything else is not needed
        loops = None
        pos = 0
        while pos < len(body) and body[pos]:
            size = body[pos]
            if size == 3 and body[pos + 1] == 1:
                loops = struct.unpack("<H", body[pos + 2 : pos + 4])[0]
                break
            pos += 1 + size
        return Block("loop", start, end, ident, loops)
    if ident == XMP_APP:
        return Block("xmp", start, end, ident)
    if ident == ICC_APP:
        return Block("icc", start, end, ident)
    return Block("app", start, end, ident)


def _settle(data: bytes, blocks: list[Block]) -> list[Block]:
    """Decide what the kept-looking blocks really are.

    A colour profile is kept only when it is a sound ICC profile, and only the first one.  A
    graphic control extension belongs to the next image or plain-text block: when that is a
    plain-text block (dropped), or there is none, the control block goes too, or it would
    change the timing or transparency of the next frame.
    """
    out: list[Block] = []
    icc_kept = False
    for i, b in enumerate(blocks):
        if b.kind == "icc":
            if icc_kept or not icc.is_valid_profile(_payload(data, b.start + 14, b.end)):
                b = Block("app", b.start, b.end, b.label)
            icc_kept = icc_kept or b.kind == "icc"
        elif b.kind == "gce":
            target = next((n.kind for n in blocks[i + 1 :] if n.kind in ("image", "text")), None)
            if target != "image":
                b = Block("ext", b.start, b.end, bytes([GRAPHIC_CONTROL]))
        out.append(b)
    return out


def loop_extension(ident: bytes, loops: int) -> bytes:
    return b"\x21\xff\x0b" + ident + b"\x03\x01" + struct.pack("<H", loops) + b"\x00"


def _xmp_packet(data: bytes, block: Block) -> bytes:
    """XMP in GIF is stored raw (its length bytes are text) followed by a 258-byte 'magic trailer'."""
    raw = data[block.start + 14 : block.end]
    end = raw.find(b"<?xpacket end=")
    if end >= 0:
        close = raw.find(b"?>", end)
        return raw[: close + 2] if close >= 0 else raw
    return raw[:-258] if len(raw) > 258 else raw


class GifFormat:
    name = "GIF"
    extension = ".gif"
    #: Walks a FileView too, so big files are cleaned in flat memory.
    reads_views = True

    def accept(self, prefix: bytes) -> bool:
        return signatures.is_gif(prefix)

    def scan(self, data: bytes) -> ScanResult:
        layout = parse(data)
        findings: list[Finding] = []
        location: Location | None = None
        loops_seen = 0
        metadata = 0
        for b in layout.blocks:
            if b.kind in ("image", "gce", "icc"):
                continue
            if b.kind == "loop":
                loops_seen += 1
                canonical = b.loops is not None and data[b.start : b.end] == loop_extension(b.label, b.loops)
                if loops_seen == 1 and canonical:
                    continue  # exactly what cleaning writes: the loop count and nothing else
            metadata += 1
            limits.enforce("MAX_METADATA_SEGMENTS", metadata, limits.MAX_METADATA_SEGMENTS)
            if b.kind == "comment":
                text = _payload(data, b.start + 2, b.end)
                findings.append(Finding.make(Category.OTHER, "Comment", text,
                                             "Has a comment someone or some app wrote", "GIF comment"))
            elif b.kind == "text":
                findings.append(Finding.make(Category.OTHER, "PlainText", _payload(data, b.start + 2, b.end)[12:],
                                             "Has text stored in the file, which may name people or places",
                                             "GIF text"))
            elif b.kind == "xmp":
                result = scan_xmp(_xmp_packet(data, b), "GIF XMP")
                findings.extend(result.findings or (Finding.make(
                    Category.OTHER, "XMP", f"{b.end - b.start} bytes", "Carries an XMP metadata block", "GIF XMP"),))
                location = location or result.location
            elif b.kind == "loop":
                findings.append(Finding.make(Category.OTHER, b.label.decode("latin-1"), f"{b.end - b.start} bytes",
                                             "Has extra animation data that geoscrub does not need to keep", "GIF"))
            else:
                name = b.label.decode("latin-1") if b.kind == "app" else f"extension 0x{b.label[0]:02x}"
                findings.append(Finding.make(Category.OTHER, name.strip() or "Extension", f"{b.end - b.start} bytes",
                                             "Carries extra data that geoscrub does not keep", "GIF"))
        if layout.trailer_end < len(data):
            findings.append(Finding.make(
                Category.HIDDEN_IMAGE, "Trailer", f"{len(data) - layout.trailer_end} bytes",
                "Has hidden data after the end of the picture", "trailer"))
        findings.sort(key=lambda f: f.category.severity)
        return ScanResult(tuple(findings), location)

    def strip(self, data: bytes, policy: Policy) -> bytes:
        return join_plan(self.strip_plan(data, policy), data)

    def strip_plan(self, data: bytes, policy: Policy) -> Plan:
        """The cleaned GIF as a plan: the screen, frames and kept blocks as ranges of ``data``."""
        layout = parse(data)
        out: Plan = [range(layout.screen_end)]
        looped = False
        for b in layout.blocks:
            if b.kind in ("image", "gce") or (b.kind == "icc" and policy.keep_color_profile):
                out.append(range(b.start, b.end))
            elif b.kind == "loop" and not looped and b.loops is not None:
                out.append(loop_extension(b.label, b.loops))
                looped = True
        out.append(bytes([TRAILER]))
        return out

    def same_picture(self, original: bytes, cleaned: bytes) -> bool:
        """Same screen, same loop count, and every frame and its timing byte for byte (compared in windows)."""
        a, b = parse(original), parse(cleaned)
        if _loops(a) != _loops(b) or a.screen_end != b.screen_end or not same_range(original, 6, cleaned, 6,
                                                                                     a.screen_end - 6):
            return False
        frames_a = [(x.start, x.end) for x in a.blocks if x.kind in ("image", "gce")]
        frames_b = [(x.start, x.end) for x in b.blocks if x.kind in ("image", "gce")]
        return len(frames_a) == len(frames_b) and all(
            x1 - x0 == y1 - y0 and same_range(original, x0, cleaned, y0, x1 - x0)
            for (x0, x1), (y0, y1) in zip(frames_a, frames_b))

    def image_data(self, data: bytes) -> list[bytes | memoryview]:
        layout = parse(data)
        view = memoryview(data)
        out: list[bytes | memoryview] = [view[6 : layout.screen_end]]
        loops = _loops(layout)
        out.append(b"loops=%d" % loops if loops is not None else b"loops=none")
        out.extend(view[b.start : b.end] for b in layout.blocks if b.kind in ("image", "gce"))
        return out


def _loops(layout: Layout) -> int | None:
    return next((b.loops for b in layout.blocks if b.kind == "loop" and b.loops is not None), None)


FORMAT = GifFormat()
