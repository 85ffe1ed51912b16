"""Where the photo was taken, read from camera makers' own blocks (FLIR, GoPro, DJI, Samsung).

Cleaning drops these blocks whole; this module only reads them for the
report, so a parent learns that a thermal photo or an action-camera still
shows where it was taken.  Every read is bounds-checked and bounded in
count: a damaged block gives no location, never an error.

Layouts (as ExifTool reads them): FLIR APP1 chunks join into an FFF file
whose record directory holds a GPSInfo record (type 0x2B, always little-endian:
valid flag, refs, latitude and longitude as doubles); GoPro APP6 holds GPMF key-length-value
data with GPS5/GPS9 samples scaled by SCAL; Samsung's trailer names the
mobile country code (MCC_Data) of the network the phone was on.
"""
from __future__ import annotations

import re
import struct

from ..model import Category, Finding, Location, ScanResult

_PLACE = "Shows where the photo was taken"
#: FLIR's FFF record type holding the GPS fix.
FLIR_GPS_RECORD = 0x2B
#: Records looked at in one FFF directory, and GPMF items in one GoPro block.
MAX_RECORDS = 1024
MAX_GPMF_ITEMS = 4096
MAX_GPMF_DEPTH = 4


def _location(lat: float, lon: float) -> Location | None:
    # (NaN fails both range tests)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return Location(round(lat, 7), round(lon, 7), None)


def _place(key: str, loc: Location, source: str) -> Finding:
    return Finding.make(Category.PLACE, key, f"{loc.latitude:.6f}, {loc.longitude:.6f}", _PLACE, source)


# ------------------------------------------------------------------ FLIR --

def flir_fff(chunks: list[bytes]) -> bytes:
    """The FFF data of FLIR APP1 payloads ("FLIR\\0", 1, chunk number, last chunk number, data), in order."""
    numbered: dict[int, bytes] = {}
    for payload in chunks:
        if len(payload) >= 8 and payload[6] not in numbered:
            numbered[payload[6]] = payload[8:]
    return b"".join(numbered[k] for k in sorted(numbered))


def flir_location(fff: bytes) -> Location | None:
    """The GPS fix in an FFF file's GPSInfo record, when it is marked valid."""
    if len(fff) < 0x40 or fff[:4] not in (b"FFF\x00", b"AFF\x00"):
        return None
    for order in (">", "<"):
        version, directory, count = struct.unpack_from(order + "III", fff, 0x14)
        if 100 <= version < 200:
            break
    else:
        return None
    for i in range(min(count, MAX_RECORDS)):
        entry = directory + 32 * i
        if entry + 32 > len(fff):
            return None
        kind = struct.unpack_from(order + "H", fff, entry)[0]
        offset, length = struct.unpack_from(order + "II", fff, entry + 12)
        if kind != FLIR_GPS_RECORD or length < 0x20 or offset + length > len(fff):
            continue
        valid = struct.unpack_from("<I", fff, offset)[0]  # the GPS record is little-endian in every FFF
        lat, lon = struct.unpack_from("<dd", fff, offset + 0x10)
        return _location(lat, lon) if valid == 1 else None
    return None


def scan_flir(chunks: list[bytes], source: str) -> ScanResult:
    loc = flir_location(flir_fff(chunks))
    return ScanResult((_place("GPSPosition", loc, source + " FLIR"),), loc) if loc else ScanResult()


# ----------------------------------------------------------------- GoPro --

def _gpmf_items(data: bytes, start: int, end: int, depth: int, budget: list[int]):  # type: ignore[no-untyped-def]
    """(key, type, size, repeat, value bytes, nested?) of GPMF KLV items, depth first."""
    pos = start
    while pos + 8 <= end and budget[0] > 0:
        budget[0] -= 1
        key, kind, size, repeat = data[pos : pos + 4], data[pos + 4], data[pos + 5], (data[pos + 6] << 8) | data[pos + 7]
        length = size * repeat
        body_end = pos + 8 + length
        if body_end > end:
            return
        yield key, kind, size, repeat, data[pos + 8 : body_end]
        if kind == 0 and depth < MAX_GPMF_DEPTH:
            yield from _gpmf_items(data, pos + 8, body_end, depth + 1, budget)
            yield b"END ", 0, 0, 0, b""  # a stream's scale applies only inside it
        pos = body_end + (-length % 4)


def gopro_location(gpmf: bytes) -> Location | None:
    """The first GPS5 or GPS9 sample in GoPro GPMF data, divided by its stream's SCAL."""
    scale: tuple[int, ...] = ()
    for key, kind, size, repeat, value in _gpmf_items(gpmf, 0, len(gpmf), 0, [MAX_GPMF_ITEMS]):
        if key == b"END ":
            scale = ()
        elif key == b"SCAL" and chr(kind) in "lLsS" and size in (2, 4) and repeat:
            code = {"l": "i", "L": "I", "s": "h", "S": "H"}[chr(kind)]
            scale = struct.unpack(f">{len(value) // size}{code}", value[: len(value) // size * size])
        elif key in (b"GPS5", b"GPS9") and size >= 8 and repeat and len(value) >= 8:
            lat, lon = struct.unpack_from(">ii", value)
            lat_scale = scale[0] if scale else 1
            lon_scale = scale[1] if len(scale) > 1 else lat_scale
            if lat_scale and lon_scale:
                return _location(lat / lat_scale, lon / lon_scale)
            return None
    return None


def scan_gopro(payload: bytes, source: str) -> ScanResult:
    """An APP6 "GoPro\\0" payload: GPMF data after the six-byte name."""
    loc = gopro_location(payload[6:])
    return ScanResult((_place("GPSPosition", loc, source + " GoPro"),), loc) if loc else ScanResult()


# --------------------------------------------------------------- Samsung --

_MCC = re.compile(rb"MCC_Data(\d{3})")


def scan_samsung_trailer(tail: bytes, source: str) -> ScanResult:
    """The mobile country code a Samsung phone records in its trailer: the country it was in."""
    found = _MCC.search(tail)
    if found is None:
        return ScanResult()
    return ScanResult((Finding.make(Category.PLACE, "MCCData", found.group(1).decode(),
                                    "Tells which country the phone was in (its mobile network's country code)",
                                    source),))
