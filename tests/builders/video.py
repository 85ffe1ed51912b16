"""Byte builders for MP4/MOV fixtures: the container is what matters, so no codec is needed.

``movie`` lays out tracks of made-up samples, interleaved chunk by chunk in
one ``mdat`` (before or after ``moov``), with any extra boxes in ``moov``,
the tracks or the top level.  ``samples`` reads a file's samples back with
its own few lines, so a bug in geoscrub cannot hide itself in the checks.
This module does not import geoscrub.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

LAT, LON = 51.50101, -0.14159
ISO6709 = b"+51.5010-000.1416+012.000/"
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
#: A date in the movie headers (seconds since 1904): 2025-06-14 15:03:11 UTC.
DATE = 3832844591


def box(btype: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + btype + body


def full_box(btype: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return box(btype, struct.pack(">I", (version << 24) | flags), *payload)


def visual_entry(codec: bytes = b"avc1", encoder: bytes = b"Pocket 7 encoder", width: int = 64,
                 height: int = 48, children: tuple[bytes, ...] = ()) -> bytes:
    name = bytes([len(encoder)]) + encoder.ljust(31, b"\x00")
    config = children or (box(b"avcC", b"\x01\x42\xc0\x1e\xff\xe1\x00\x04SPS!\x01\x00\x03PPS"),
                          box(b"pasp", struct.pack(">II", 1, 1)))
    return box(codec, bytes(6), struct.pack(">H", 1), bytes(16), struct.pack(">HH", width, height),
               struct.pack(">II", 0x480000, 0x480000), bytes(4), struct.pack(">H", 1), name,
               struct.pack(">Hh", 0x18, -1), *config)


def audio_entry(codec: bytes = b"mp4a") -> bytes:
    esds = full_box(b"esds", 0, 0, bytes.fromhex("03190000000411400000000000000000000000051012100000"))
    return box(codec, bytes(6), struct.pack(">H", 1), bytes(8), struct.pack(">HH", 2, 16), bytes(4),
               struct.pack(">I", 44100 << 16), esds)


def meta_entry(codec: bytes) -> bytes:
    return box(codec, bytes(6), struct.pack(">H", 1), b"\x00" * 8)


@dataclass
class Track:
    handler: bytes
    entry: bytes
    chunks: list[list[bytes]]  # samples, chunk by chunk
    extra: tuple[bytes, ...] = ()  # more boxes inside 'trak'
    matrix: tuple[int, ...] = (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    track_id: int = 0
    constant_size: int = 0  # write 'stsz' with one size for every sample


def film(n: int = 6, size: int = 40, tag: bytes = b"FRAME") -> list[list[bytes]]:
    """``n`` chunks of two made-up film samples each (distinct bytes)."""
    return [[(tag + b"-%03d-%d-" % (i, j)).ljust(size + j, b"v") for j in range(2)] for i in range(n)]


def sound(n: int = 6) -> list[list[bytes]]:
    return [[(b"SOUND-%03d-" % i).ljust(24, b"s")] for i in range(n)]


def gps_samples(n: int = 6) -> list[list[bytes]]:
    """GoPro-like telemetry: a device record with GPS5 and an ISO 6709 string in each sample."""
    return [[b"DEVC\x00\x00\x00\x00DVID" + b"GPS5" + struct.pack(">ii", 515010000, -1416000) + ISO6709]
            for _ in range(n)]


def video_track(chunks: list[list[bytes]] | None = None, **kw: object) -> Track:
    return Track(b"vide", visual_entry(), chunks or film(), **kw)  # type: ignore[arg-type]


def sound_track(chunks: list[list[bytes]] | None = None, **kw: object) -> Track:
    return Track(b"soun", audio_entry(), chunks or sound(), **kw)  # type: ignore[arg-type]


def gps_track(codec: bytes = b"gpmd") -> Track:
    return Track(b"meta", meta_entry(codec), gps_samples())


def timecode_track() -> Track:
    return Track(b"tmcd", box(b"tmcd", bytes(6), struct.pack(">H", 1), bytes(4), struct.pack(">IIIB", 0, 600, 20, 30),
                              bytes(3)), [[struct.pack(">I", 123456)]])


def udta_location(text: bytes = ISO6709) -> bytes:
    return box(b"udta", box(b"\xa9xyz", struct.pack(">HH", len(text), 0x15c7), text))


def mdta_keys(items: dict[bytes, bytes] | None = None) -> bytes:
    """Apple's 'meta' box with 'keys' and an item list, as iPhones write it in moov."""
    items = items or {
        b"com.apple.quicktime.location.ISO6709": ISO6709,
        b"com.apple.quicktime.make": b"Apple",
        b"com.apple.quicktime.model": b"iPhone 15",
        b"com.apple.quicktime.software": b"17.4",
        b"com.apple.quicktime.creationdate": b"2025-06-14T16:03:11+0100",
    }
    keys = full_box(b"keys", 0, 0, struct.pack(">I", len(items)),
                    *(struct.pack(">I", 8 + len(k)) + b"mdta" + k for k in items))
    ilst = box(b"ilst", *(box(struct.pack(">I", i), box(b"data", struct.pack(">II", 1, 0), v))
                          for i, v in enumerate(items.values(), start=1)))
    hdlr = full_box(b"hdlr", 0, 0, bytes(4), b"mdta", bytes(12), b"\x00")
    return box(b"meta", hdlr, keys, ilst)


def xmp_uuid(text: bytes = b"Alex Example") -> bytes:
    packet = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>' + text +
              b'</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>')
    return box(b"uuid", XMP_UUID, packet)


def _header(btype: bytes, version: int, body: bytes) -> bytes:
    return full_box(btype, version, 0, body)


def _mvhd(dates: int, version: int) -> bytes:
    d = struct.pack(">QQ", dates, dates) if version else struct.pack(">II", dates, dates)
    rest = struct.pack(">IQ" if version else ">II", 1000, 2000) + struct.pack(">IH", 0x10000, 0x100) + bytes(10)
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    return _header(b"mvhd", version, d + rest + matrix + bytes(24) + struct.pack(">I", 9))


def _tkhd(track: Track, dates: int, version: int) -> bytes:
    d = struct.pack(">QQ", dates, dates) if version else struct.pack(">II", dates, dates)
    ids = struct.pack(">II", track.track_id, 0) + (struct.pack(">Q", 2000) if version else struct.pack(">I", 2000))
    body = d + ids + bytes(8) + struct.pack(">hhhh", 0, 0, 0x100 if track.handler == b"soun" else 0, 0)
    return full_box(b"tkhd", version, 3, body + struct.pack(">9I", *track.matrix) + struct.pack(">II", 64 << 16, 48 << 16))


def _mdhd(dates: int, version: int) -> bytes:
    d = struct.pack(">QQ", dates, dates) if version else struct.pack(">II", dates, dates)
    rest = struct.pack(">IQ" if version else ">II", 1000, 2000)
    return _header(b"mdhd", version, d + rest + struct.pack(">HH", 0x55c4, 0))


def _stbl(track: Track, offsets: list[int], co64: bool) -> bytes:
    sizes = [len(s) for chunk in track.chunks for s in chunk]
    stsd = full_box(b"stsd", 0, 0, struct.pack(">I", 1), track.entry)
    stts = full_box(b"stts", 0, 0, struct.pack(">III", 1, len(sizes), 100))
    stsc = full_box(b"stsc", 0, 0, struct.pack(">I", len(track.chunks)),
                    *(struct.pack(">III", i + 1, len(c), 1) for i, c in enumerate(track.chunks)))
    if track.constant_size:
        stsz = full_box(b"stsz", 0, 0, struct.pack(">II", track.constant_size, len(sizes)))
    else:
        stsz = full_box(b"stsz", 0, 0, struct.pack(">II", 0, len(sizes)), *(struct.pack(">I", n) for n in sizes))
    if co64:
        stco = full_box(b"co64", 0, 0, struct.pack(">I", len(offsets)), *(struct.pack(">Q", o) for o in offsets))
    else:
        stco = full_box(b"stco", 0, 0, struct.pack(">I", len(offsets)), *(struct.pack(">I", o) for o in offsets))
    return box(b"stbl", stsd, stts, stsc, stsz, stco)


def _trak(track: Track, offsets: list[int], dates: int, version: int, co64: bool) -> bytes:
    media_header = {b"vide": full_box(b"vmhd", 0, 1, bytes(8)), b"soun": full_box(b"smhd", 0, 0, bytes(4))}.get(
        track.handler, box(b"gmhd", full_box(b"gmin", 0, 0, bytes(12))))
    hdlr = full_box(b"hdlr", 0, 0, bytes(4), track.handler, bytes(12), b"Pocket 7 handler\x00")
    dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))
    minf = box(b"minf", media_header, dinf, _stbl(track, offsets, co64))
    edts = box(b"edts", full_box(b"elst", 0, 0, struct.pack(">IIiI", 1, 2000, 0, 0x10000)))
    return box(b"trak", _tkhd(track, dates, version), edts, *track.extra,
               box(b"mdia", _mdhd(dates, version), hdlr, minf))


def movie(tracks: list[Track], *, faststart: bool = False, co64: bool = False, moov_extra: tuple[bytes, ...] = (),
          top_extra: tuple[bytes, ...] = (), tail: bytes = b"", brand: bytes = b"isom", dates: int = DATE,
          version: int = 0, ftyp: bool = True, gap: bytes = b"") -> bytes:
    """A movie with ``tracks`` interleaved chunk by chunk in one 'mdat' (``gap`` between every chunk)."""
    for i, t in enumerate(tracks, start=1):
        t.track_id = t.track_id or i
    payload = bytearray()
    where: list[list[int]] = [[] for _ in tracks]
    for n in range(max(len(t.chunks) for t in tracks)):
        for i, t in enumerate(tracks):
            if n < len(t.chunks):
                where[i].append(len(payload))
                payload += b"".join(t.chunks[n]) + gap
    head = box(b"ftyp", brand, bytes(4), brand, b"mp42") if ftyp else b""

    def moov(base: int) -> bytes:
        traks = [_trak(t, [base + o for o in where[i]], dates, version, co64) for i, t in enumerate(tracks)]
        return box(b"moov", _mvhd(dates, version), *moov_extra, *traks)

    extra = b"".join(top_extra)
    mdat_header = struct.pack(">I", 8 + len(payload)) + b"mdat"
    if faststart:
        size = len(moov(0))
        base = len(head) + size + len(extra) + 8
        return head + moov(base) + extra + mdat_header + bytes(payload) + tail
    base = len(head) + len(extra) + 8
    return head + extra + mdat_header + bytes(payload) + moov(base) + tail


# ------------------------------------------------------------- reading back --


def _boxes(data: bytes, start: int, end: int):
    pos = start
    while pos + 8 <= end:
        size, btype = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[pos + 8 : pos + 16])[0], 16
        if size < header:
            return
        yield btype, pos + header, pos + size
        pos += size


def _find(data: bytes, start: int, end: int, path: list[bytes]):
    for btype, p, e in _boxes(data, start, end):
        if btype == path[0]:
            if len(path) == 1:
                yield p, e
            else:
                yield from _find(data, p, e, path[1:])


def top_types(data: bytes) -> list[bytes]:
    return [t for t, _, _ in _boxes(data, 0, len(data))]


def samples(data: bytes) -> list[tuple[bytes, list[bytes]]]:
    """Every track's handler and sample bytes, read through its own tables."""
    out = []
    for tp, te in _find(data, 0, len(data), [b"moov", b"trak"]):
        handler = next(data[p + 8 : p + 12] for p, _ in _find(data, tp, te, [b"mdia", b"hdlr"]))
        stbl = next(_find(data, tp, te, [b"mdia", b"minf", b"stbl"]))
        tables = {t: (p, e) for t, p, e in _boxes(data, *stbl)}
        p = tables[b"stsz"][0]
        const, count = struct.unpack(">II", data[p + 4 : p + 12])
        sizes = [const] * count if const else list(struct.unpack(f">{count}I", data[p + 12 : p + 12 + 4 * count]))
        if b"co64" in tables:
            p = tables[b"co64"][0]
            n = struct.unpack(">I", data[p + 4 : p + 8])[0]
            offsets = list(struct.unpack(f">{n}Q", data[p + 8 : p + 8 + 8 * n]))
        else:
            p = tables[b"stco"][0]
            n = struct.unpack(">I", data[p + 4 : p + 8])[0]
            offsets = list(struct.unpack(f">{n}I", data[p + 8 : p + 8 + 4 * n]))
        p = tables[b"stsc"][0]
        n = struct.unpack(">I", data[p + 4 : p + 8])[0]
        runs = [struct.unpack(">III", data[p + 8 + 12 * i : p + 20 + 12 * i]) for i in range(n)]
        got, s = [], 0
        for c, off in enumerate(offsets, start=1):
            per = [r[1] for r in runs if r[0] <= c][-1]
            for k in range(per):
                got.append(data[off : off + sizes[s]])
                off += sizes[s]
                s += 1
        out.append((handler, got))
    return out


def header_fields(data: bytes) -> list[tuple[bytes, int, int, int]]:
    """(box type, creation date, modification date, version) of every mvhd, tkhd and mdhd."""
    found = []
    for path in ([b"moov", b"mvhd"], [b"moov", b"trak", b"tkhd"], [b"moov", b"trak", b"mdia", b"mdhd"]):
        for p, _ in _find(data, 0, len(data), path):
            version = data[p]
            c, m = struct.unpack(">QQ" if version else ">II", data[p + 4 : p + (20 if version else 12)])
            found.append((path[-1], c, m, version))
    return found


def matrices(data: bytes) -> list[tuple[int, ...]]:
    out = []
    for p, _ in _find(data, 0, len(data), [b"moov", b"trak", b"tkhd"]):
        at = p + (52 if data[p] else 40)
        out.append(struct.unpack(">9I", data[at : at + 36]))
    return out
