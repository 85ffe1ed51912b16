"""Reading a movie box (``moov``): its tracks, the boxes that play them, and where their samples lie.

The movie box is read whole into memory (it holds only tables, a few MB even
for an hour of film); every offset here is relative to that buffer, except
chunk offsets, which point into the file.  Only video (``vide``) and sound
(``soun``) tracks are kept; for those every box on the path to a sample is
read and checked, and anything else in them is listed so it can be reported
and left out.  Every track's chunks are computed, so cleaning knows which
bytes of the media data are film and sound and which belong to dropped tracks.
"""
from __future__ import annotations

import struct
import sys
from array import array
from dataclasses import dataclass, field

from .. import limits
from .._binary import type_name, u16, u32, u64
from ..errors import MalformedFile, TruncatedFile, UnsafeToClean
from .isobmff import Box, Budget, full_header, read_boxes

#: Tracks that are kept: the film and its sound.
KEPT_HANDLERS = {b"vide", b"soun"}

#: Boxes of a kept track (by parent) that cleaning keeps; anything else is dropped.
KEPT_IN_TRAK = {b"tkhd", b"edts", b"mdia", b"tapt"}
KEPT_IN_MDIA = {b"mdhd", b"hdlr", b"minf"}
KEPT_IN_MINF = {b"vmhd", b"smhd", b"hdlr", b"dinf", b"stbl"}
#: Sample tables that say how to play the samples, copied as they are (chunk offsets are rewritten).
KEPT_TABLES = {b"stts", b"ctts", b"cslg", b"stss", b"stps", b"sdtp", b"stsc", b"stsz", b"stz2",
               b"sgpd", b"sbgp", b"subs", b"padb", b"stsh", b"stdp"}
OFFSET_TABLES = {b"stco", b"co64"}
#: Boxes inside a sample entry that decoders use: codec configuration, colour, shape.
KEPT_IN_ENTRY = {
    b"avcC", b"hvcC", b"av1C", b"vpcC", b"vvcC", b"lhvC", b"hvcE", b"dvcC", b"dvvC", b"dvwC", b"esds",
    b"colr", b"pasp", b"btrt", b"clap", b"fiel", b"gama", b"mdcv", b"clli", b"cclv", b"amve", b"SmDm",
    b"CoLL", b"st3d", b"sv3d", b"glbl", b"chrm", b"wave", b"chan", b"dOps", b"dac3", b"dec3", b"dac4",
    b"dfLa", b"alac", b"damr", b"d263", b"frma", b"enda", b"mp4a", b"srat", b"dmlp", b"ddts", b"mhaC",
    b"pcmC", b"chnl", b"vexu", b"hfov", b"dapa", b"SA3D", b"ccst", b"aclr", b"av3c", b"wfex", b"dvh1",
    b"\x00\x00\x00\x00",  # the last: QuickTime's terminator inside 'wave'
}
#: Boxes in a sample entry that only take room or carry notes: dropped (and reported when not blank).
DROPPED_IN_ENTRY = {b"free", b"skip", b"uuid"}
#: Sample entries that hold encrypted media: refused (the keys and rights data cannot be judged).
ENCRYPTED_ENTRIES = {b"encv", b"enca", b"drmi", b"drms", b"encs", b"enct"}
#: Fixed bytes of a sample entry before its child boxes.
VISUAL_ENTRY_BYTES = 78
AUDIO_ENTRY_BYTES = {0: 28, 1: 44, 2: 64}
#: Uncompressed QuickTime sound whose table counts single sample frames (bytes each: per channel byte width).
PCM_BYTES_PER_CHANNEL = {b"raw ": 1, b"twos": 0, b"sowt": 0, b"NONE": 0, b"lpcm": 0, b"in24": 3, b"in32": 4,
                         b"fl32": 4, b"fl64": 8, b"ulaw": 1, b"alaw": 1}

#: Fixed sizes of the header boxes written back (version 0, version 1).
MVHD_BYTES = {0: 108, 1: 120}
TKHD_BYTES = {0: 92, 1: 104}
MDHD_BYTES = {0: 32, 1: 44}


@dataclass
class SampleEntry:
    box: Box
    kept_children: list[Box]
    dropped_children: list[Box]
    fixed_end: int  # where the fixed fields end and children start


@dataclass
class Track:
    trak: Box
    handler: bytes
    kept: bool
    track_id: int = 0
    tkhd: Box | None = None
    mdhd: Box | None = None
    entries: list[SampleEntry] = field(default_factory=list)
    entry_types: list[bytes] = field(default_factory=list)
    #: Kept boxes in order, by parent: (box, its kept children) rebuilt by ``movie_rebuild``.
    trak_children: list[Box] = field(default_factory=list)
    mdia_children: list[Box] = field(default_factory=list)
    minf_children: list[Box] = field(default_factory=list)
    stbl_children: list[Box] = field(default_factory=list)
    references: int = 0  # data references (all in this file)
    dropped: list[Box] = field(default_factory=list)  # boxes of a kept track that are left out
    chunk_table: Box | None = None
    chunks: list[tuple[int, int]] = field(default_factory=list)  # (file offset, bytes), table order
    external: bool = False  # its data lives in another file (a dropped track only)
    raw: list[Box] = field(default_factory=list)  # every box of a dropped track, for the report


@dataclass
class Movie:
    """What was read from one ``moov`` buffer."""

    mvhd: Box
    tracks: list[Track]
    dropped: list[Box]  # moov children left out (udta, meta, iods, uuid...)


def read_movie(m: bytes, budget: Budget) -> Movie:
    """Read the movie box held in ``m`` (the whole box, header included)."""
    children = read_boxes(m, _payload(m), len(m), budget, 1)
    mvhds = [b for b in children if b.type == b"mvhd"]
    if len(mvhds) != 1:
        raise MalformedFile("the video's movie header ('mvhd') is missing or doubled")
    if any(b.type == b"mvex" for b in children):
        raise UnsafeToClean("fragmented MP4 (a video streamed in pieces) cannot be cleaned yet")
    if any(b.type in (b"cmov", b"rmra") for b in children):
        raise UnsafeToClean("compressed or reference QuickTime movies cannot be cleaned")
    _fixed(m, mvhds[0], MVHD_BYTES, "movie header")
    tracks = [_read_track(m, b, budget) for b in children if b.type == b"trak"]
    limits.enforce("MAX_FRAMES", len(tracks), limits.MAX_FRAMES)
    ids = [t.track_id for t in tracks if t.kept]
    if len(set(ids)) != len(ids):
        raise MalformedFile("two video or sound tracks share one track number")
    dropped = [b for b in children if b.type not in (b"mvhd", b"trak")]
    return Movie(mvhds[0], tracks, dropped)


def _payload(m: bytes) -> int:
    return 16 if u32(m, 0) == 1 else 8


def _fixed(m: bytes, b: Box, sizes: dict[int, int], what: str) -> int:
    """Check a header box has the fixed size of its version; returns the version."""
    version, _, _ = full_header(m, b)
    if version not in sizes:
        raise UnsafeToClean(f"the video's {what} ('{b.name}') version {version} is not understood")
    if b.end - b.payload < sizes[version] - 8:
        raise TruncatedFile(f"the video's {what} ('{b.name}') is cut short", b.start)
    return version


def _one(boxes: list[Box], btype: bytes, where: str) -> Box:
    found = [b for b in boxes if b.type == btype]
    if len(found) != 1:
        raise MalformedFile(f"a video track's '{where}' box has {len(found)} '{type_name(btype)}' boxes")
    return found[0]


def _handler(m: bytes, hdlr: Box) -> bytes:
    _, _, p = full_header(m, hdlr)
    if p + 8 > hdlr.end:
        raise TruncatedFile("a track's handler box is cut short", hdlr.start)
    return bytes(m[p + 4 : p + 8])


def _read_track(m: bytes, trak: Box, budget: Budget) -> Track:
    children = read_boxes(m, trak.payload, trak.end, budget, 2)
    mdia = _one(children, b"mdia", "trak")
    mdia_children = read_boxes(m, mdia.payload, mdia.end, budget, 3)
    handler = _handler(m, _one(mdia_children, b"hdlr", "mdia"))
    track = Track(trak, handler, handler in KEPT_HANDLERS)
    minf_list = [b for b in mdia_children if b.type == b"minf"]
    if not track.kept:
        track.raw = children + mdia_children
        for minf in minf_list:
            _read_dropped_media(m, minf, track, budget)
        return track
    track.tkhd = _one(children, b"tkhd", "trak")
    version = _fixed(m, track.tkhd, TKHD_BYTES, "track header")
    track.track_id = u32(m, track.tkhd.payload + (20 if version else 12))
    track.mdhd = _one(mdia_children, b"mdhd", "mdia")
    _fixed(m, track.mdhd, MDHD_BYTES, "media header")
    minf = _one(mdia_children, b"minf", "mdia")
    track.trak_children = [b for b in children if b.type in KEPT_IN_TRAK]
    track.mdia_children = [b for b in mdia_children if b.type in KEPT_IN_MDIA]
    track.dropped += [b for b in children if b.type not in KEPT_IN_TRAK]
    track.dropped += [b for b in mdia_children if b.type not in KEPT_IN_MDIA]
    for b in track.trak_children:
        if b.type == b"edts":
            edits = read_boxes(m, b.payload, b.end, budget, 3)
            if any(e.type != b"elst" for e in edits) or len(edits) > 1:
                raise UnsafeToClean("a video track's edit list holds boxes geoscrub does not know")
        elif b.type == b"tapt":
            for e in read_boxes(m, b.payload, b.end, budget, 3):
                if e.type not in (b"clef", b"prof", b"enof") or e.size != 20:
                    raise UnsafeToClean("a video track's aperture box holds boxes geoscrub does not know")
    minf_children = read_boxes(m, minf.payload, minf.end, budget, 4)
    header = b"vmhd" if handler == b"vide" else b"smhd"
    kept_here = KEPT_IN_MINF - ({b"vmhd", b"smhd"} - {header})
    track.minf_children = [b for b in minf_children if b.type in kept_here]
    track.dropped += [b for b in minf_children if b.type not in kept_here]
    if _one(minf_children, header, "minf").size != (20 if header == b"vmhd" else 16):
        raise MalformedFile(f"a video track's '{header.decode()}' box has a wrong size")
    track.references = _references(m, _one(minf_children, b"dinf", "minf"), budget)
    if track.references is None:
        raise UnsafeToClean("the video's film or sound is stored in another file")
    stbl = _one(minf_children, b"stbl", "minf")
    tables = read_boxes(m, stbl.payload, stbl.end, budget, 5)
    track.stbl_children = [b for b in tables if b.type in KEPT_TABLES | OFFSET_TABLES | {b"stsd"}]
    track.dropped += [b for b in tables if b not in track.stbl_children]
    for btype in (b"stsd", b"stts", b"stsc"):
        _one(tables, btype, "stbl")
    _read_entries(m, _one(tables, b"stsd", "stbl"), track, budget)
    track.chunks, track.chunk_table = chunk_spans(m, tables, track)
    return track


def _references(m: bytes, dinf: Box, budget: Budget) -> int | None:
    """How many data references the track has, or None when one is another file."""
    children = read_boxes(m, dinf.payload, dinf.end, budget, 5)
    if len(children) != 1 or children[0].type != b"dref":
        raise UnsafeToClean("a video track's data information holds boxes geoscrub does not know")
    dref = children[0]
    _, _, p = full_header(m, dref)
    count = u32(m, p)
    entries = read_boxes(m, p + 4, dref.end, budget, 6)
    if count != len(entries) or not entries:
        raise MalformedFile("a video track's data reference count does not match its entries", dref.start)
    for e in entries:
        _, flags, _ = full_header(m, e)
        if not flags & 1:
            return None
    return count


def _read_dropped_media(m: bytes, minf: Box, track: Track, budget: Budget) -> None:
    """Chunks of a dropped track, so its samples can be left out of the media data."""
    children = read_boxes(m, minf.payload, minf.end, budget, 4)
    track.raw += children
    dinfs = [b for b in children if b.type == b"dinf"]
    stbls = [b for b in children if b.type == b"stbl"]
    if len(stbls) != 1:
        return
    if dinfs and _references(m, dinfs[0], budget) is None:
        track.external = True
        return
    tables = read_boxes(m, stbls[0].payload, stbls[0].end, budget, 5)
    track.raw += tables
    for stsd in (b for b in tables if b.type == b"stsd"):
        _, _, p = full_header(m, stsd)
        entries = read_boxes(m, p + 4, stsd.end, budget, 6)
        track.entry_types = [e.type for e in entries]
        track.raw += entries
    if any(b.type == b"stsc" for b in tables) and any(b.type in OFFSET_TABLES for b in tables):
        track.chunks, track.chunk_table = chunk_spans(m, tables, track)


def _read_entries(m: bytes, stsd: Box, track: Track, budget: Budget) -> None:
    version, _, p = full_header(m, stsd)
    if version != 0:
        raise UnsafeToClean(f"a video track's sample descriptions version {version} is not understood")
    count = u32(m, p)
    entries = read_boxes(m, p + 4, stsd.end, budget, 6)
    if count != len(entries) or not entries:
        raise MalformedFile("a video track's sample description count does not match its entries", stsd.start)
    for e in entries:
        if e.type in ENCRYPTED_ENTRIES:
            raise UnsafeToClean("the video is encrypted (protected by DRM)")
        if not all(32 <= c < 127 for c in e.type):
            raise MalformedFile(f"a video track has a sample description named '{e.name}'", e.start)
        index = u16(m, e.payload + 6)
        if not 1 <= index <= track.references:
            raise MalformedFile("a video sample description points to a missing data reference", e.start)
        if track.handler == b"vide":
            fixed = VISUAL_ENTRY_BYTES
        else:
            sound_version = u16(m, e.payload + 8)
            if sound_version not in AUDIO_ENTRY_BYTES:
                raise UnsafeToClean(f"sound description version {sound_version} is not understood")
            fixed = AUDIO_ENTRY_BYTES[sound_version]
        if e.payload + fixed > e.end:
            raise TruncatedFile(f"the '{e.name}' sample description is cut short", e.start)
        kept, dropped = _entry_children(m, e.payload + fixed, e.end, budget)
        track.entries.append(SampleEntry(e, kept, dropped, e.payload + fixed))
        track.entry_types.append(e.type)


def _entry_children(m: bytes, start: int, end: int, budget: Budget) -> tuple[list[Box], list[Box]]:
    """Boxes after a sample entry's fixed fields: the ones decoders use, and the rest.

    A few zero bytes at the end (QuickTime pads some entries) are padding, not a box.
    """
    if end - start < 8 and not m[start:end].strip(b"\x00"):
        return [], []
    if end - start >= 12 and not m[end - 4 : end].strip(b"\x00") and _boxes_fill(m, start, end - 4):
        end -= 4  # QuickTime ends some descriptions with four zero bytes
    children = read_boxes(m, start, end, budget, 7)
    for b in children:
        if b.type not in KEPT_IN_ENTRY and b.type not in DROPPED_IN_ENTRY:
            # an unknown codec setting: dropping it could leave a film that no longer plays
            raise UnsafeToClean(f"the film's or sound's codec settings hold a box geoscrub does not know ('{b.name}')")
    kept = [b for b in children if b.type in KEPT_IN_ENTRY]
    for b in kept:
        if b.type == b"wave":  # QuickTime sound: its own list of codec boxes
            _, inner_dropped = _entry_children(m, b.payload, b.end, budget)
            if inner_dropped:
                raise UnsafeToClean("a QuickTime sound description holds boxes geoscrub does not know")
    return kept, [b for b in children if b.type not in KEPT_IN_ENTRY]


def _boxes_fill(m: bytes, start: int, end: int) -> bool:
    """True when box headers from ``start`` land exactly on ``end``."""
    pos = start
    while pos + 8 <= end:
        size = u32(m, pos)
        if size < 8:
            return False
        pos += size
    return pos == end


# ------------------------------------------------------------ sample tables --


def _table(m: bytes, b: Box, entry_bytes: int, what: str) -> tuple[int, int]:
    """(entry count, offset of the first entry) of a FullBox table, checked to fit its box."""
    _, _, p = full_header(m, b)
    count = u32(m, p)
    if p + 4 + count * entry_bytes > b.end:
        raise TruncatedFile(f"a video track's {what} is cut short ({count} entries declared)", b.start)
    return count, p + 4


def _words(m: bytes, start: int, count: int, code: str) -> array:
    """``count`` big-endian integers from ``m[start:]`` as a compact array."""
    values = array(code, m[start : start + count * array(code).itemsize])
    if sys.byteorder == "little":
        values.byteswap()
    return values


def sample_sizes(m: bytes, tables: list[Box]) -> tuple[int, int, array | None]:
    """(sample count, constant size or 0, per-sample sizes or None) from 'stsz' or 'stz2'."""
    found = [b for b in tables if b.type in (b"stsz", b"stz2")]
    if len(found) != 1:
        raise MalformedFile("a video track has no single sample size table")
    b = found[0]
    _, _, p = full_header(m, b)
    if b.type == b"stsz":
        size, count = u32(m, p), u32(m, p + 4)
        if size:
            return count, size, None
        if p + 8 + 4 * count > b.end:
            raise TruncatedFile(f"a video track's sample sizes are cut short ({count} declared)", b.start)
        return count, 0, _words(m, p + 8, count, "I")
    field_bits, count = m[p + 3], u32(m, p + 4)
    if field_bits not in (4, 8, 16):
        raise MalformedFile("a video track's compact sample sizes have an invalid width", b.start)
    need = (count * field_bits + 7) // 8
    if p + 8 + need > b.end:
        raise TruncatedFile("a video track's compact sample sizes are cut short", b.start)
    raw = m[p + 8 : p + 8 + need]
    if field_bits == 16:
        return count, 0, _words(m, p + 8, count, "H")
    if field_bits == 8:
        return count, 0, array("B", raw)
    return count, 0, array("B", (v for byte in raw for v in (byte >> 4, byte & 15)))[:count]


def chunk_offsets(m: bytes, b: Box) -> array:
    if b.type == b"stco":
        count, p = _table(m, b, 4, "chunk offsets")
        return _words(m, p, count, "I")
    count, p = _table(m, b, 8, "chunk offsets")
    return _words(m, p, count, "Q")


def _constant_bytes(m: bytes, track: Track, size: int) -> tuple[int, int]:
    """(bytes, samples) of one group when every sample has the same ``size``.

    QuickTime sound that says "1" counts sample frames, not bytes: their size
    comes from the sound description.
    """
    if size != 1 or track.handler != b"soun" or not track.entries:
        return size, 1
    entry = track.entries[0].box
    version = u16(m, entry.payload + 8)
    channels, bits = u16(m, entry.payload + 16), u16(m, entry.payload + 18)
    if version == 1:
        per_packet, per_frame = u32(m, entry.payload + 28), u32(m, entry.payload + 36)
        if per_packet and per_frame:
            return per_frame, per_packet
    elif version == 0 and entry.type in PCM_BYTES_PER_CHANNEL:
        width = PCM_BYTES_PER_CHANNEL[entry.type] or bits // 8
        if width and channels:
            return width * channels, 1
    elif version == 2:
        per_packet, frames = u32(m, entry.payload + 56), u32(m, entry.payload + 60)
        if per_packet and frames:
            return per_packet, frames
    raise UnsafeToClean(f"the size of the '{entry.name}' sound samples could not be worked out")


def chunk_spans(m: bytes, tables: list[Box], track: Track) -> tuple[list[tuple[int, int]], Box]:
    """(file offset, byte length) of every chunk of the track, and its chunk offset table."""
    offset_tables = [b for b in tables if b.type in OFFSET_TABLES]
    stscs = [b for b in tables if b.type == b"stsc"]
    if len(offset_tables) != 1 or len(stscs) != 1:
        raise MalformedFile("a video track has no single chunk table")
    offsets = chunk_offsets(m, offset_tables[0])
    limits.enforce("MAX_VIDEO_CHUNKS", len(offsets), limits.MAX_VIDEO_CHUNKS)
    count, p = _table(m, stscs[0], 12, "sample-to-chunk table")
    runs = _words(m, p, 3 * count, "I")
    sample_count, constant, sizes = sample_sizes(m, tables)
    if sample_count and not len(offsets):
        raise TruncatedFile("the video's film or sound is missing: its table of where the film lies is empty "
                            "(the media data was cut away)", offset_tables[0].start)
    if constant:
        unit_bytes, unit_samples = _constant_bytes(m, track, constant)
    chunks: list[tuple[int, int]] = []
    sample = 0
    for i in range(count):
        first, per_chunk = runs[3 * i], runs[3 * i + 1]
        last = runs[3 * i + 3] - 1 if i + 1 < count else len(offsets)
        if first < 1 or first - 1 != len(chunks) or last < first - 1 or last > len(offsets):
            raise MalformedFile("a video track's sample-to-chunk table is out of order", stscs[0].start)
        for chunk in range(first - 1, last):
            if sample + per_chunk > sample_count:
                raise MalformedFile("a video track's chunks hold more samples than it has", stscs[0].start)
            if constant:
                if per_chunk % unit_samples:
                    raise UnsafeToClean("a QuickTime sound chunk holds part of a sound packet")
                length = per_chunk // unit_samples * unit_bytes
            else:
                length = sum(sizes[sample : sample + per_chunk])  # type: ignore[index]
            sample += per_chunk
            chunks.append((offsets[chunk], length))
    if len(chunks) != len(offsets) or sample != sample_count:
        raise MalformedFile("a video track's sample tables disagree about how many samples it has", stscs[0].start)
    return chunks, offset_tables[0]


def pack_offsets(table: Box, values: list[int]) -> bytes:
    """A new 'stco' or 'co64' body (full-box header included) holding ``values``."""
    code = ">I" if table.type == b"stco" else ">Q"
    if table.type == b"stco" and values and max(values) > 0xFFFFFFFF:
        raise UnsafeToClean("the cleaned video's chunk offsets do not fit its offset table")
    return struct.pack(">II", 0, len(values)) + struct.pack(f">{len(values)}{code[1]}", *values)


def read_u64_or_u32(m: bytes, pos: int, wide: bool) -> int:
    return u64(m, pos) if wide else u32(m, pos)
