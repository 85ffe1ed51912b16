"""Camera makers' own blocks that hold where a photo was taken: FLIR, GoPro, DJI, Samsung.

Laid out as ExifTool reads them (Image::ExifTool::FLIR, GoPro GPMF, the DJI
XMP namespace, Samsung's SEFT trailer).  Coordinates are invented.
"""
from __future__ import annotations

import struct

from tests.builders import core

LAT, LON = core.LAT, core.LON


def flir_fff(lat: float = LAT, lon: float = LON, *, valid: int = 1, order: str = ">") -> bytes:
    """An FFF file: header, a camera-info record with a serial, and a GPSInfo record (type 0x2B)."""
    camera = b"\x00" * 0xD4 + b"FLIR-SERIAL-1234".ljust(16, b"\x00")
    gps = bytearray(0x68)
    struct.pack_into("<I", gps, 0x00, valid)  # the GPS record is little-endian whatever the header
    gps[0x04:0x08] = b"\x02\x02\x00\x00"
    gps[0x08:0x0A] = b"N\x00" if lat >= 0 else b"S\x00"
    gps[0x0A:0x0C] = b"E\x00" if lon >= 0 else b"W\x00"
    struct.pack_into("<ddf", gps, 0x10, lat, lon, 21.3)
    records = [(0x20, camera), (0x2B, bytes(gps))]
    directory_at = 0x40
    data_at = directory_at + 32 * len(records)
    header = b"FFF\x00" + b"CAMCTRL\x00".ljust(16, b"\x00")
    header += struct.pack(order + "IIII", 100, directory_at, len(records), 2)
    header = header.ljust(0x40, b"\x00")
    directory, body = b"", b""
    for kind, blob in records:
        directory += struct.pack(order + "HHIIIIIII", kind, 1, 0x64, 1, data_at + len(body), len(blob), 0, 0, 0)
        body += blob
    return header + directory + body


def flir_app1_segments(fff: bytes | None = None, chunk: int = 200) -> list[bytes]:
    """APP1 "FLIR\\0" segments carrying ``fff`` in numbered chunks (as FLIR cameras split it)."""
    fff = flir_fff() if fff is None else fff
    parts = [fff[i : i + chunk] for i in range(0, len(fff), chunk)]
    return [core.segment(0xE1, b"FLIR\x00\x01" + bytes([i, len(parts) - 1]) + part) for i, part in enumerate(parts)]


def flir_jpeg() -> bytes:
    """A FLIR-style thermal JPEG: no EXIF GPS at all, the position only in the FLIR block."""
    return core.jpeg(flir_app1_segments())


def _klv(key: bytes, kind: str, size: int, values: bytes, repeat: int) -> bytes:
    item = key + kind.encode() + bytes([size]) + struct.pack(">H", repeat) + values
    return item + b"\x00" * (-len(values) % 4)


def gopro_gpmf(lat: float = LAT, lon: float = LON) -> bytes:
    """GPMF: DEVC > STRM holding SCAL and one GPS5 sample (lat, lon, alt, 2D and 3D speed)."""
    scal = struct.pack(">5i", 10_000_000, 10_000_000, 1000, 1000, 100)
    gps5 = struct.pack(">5i", round(lat * 1e7), round(lon * 1e7), 21300, 0, 0)
    strm_body = _klv(b"STNM", "c", 1, b"GPS (Lat., Long., Alt., 2D speed, 3D speed)", 43)
    strm_body += _klv(b"SCAL", "l", 4, scal, 5) + _klv(b"GPS5", "l", 20, gps5, 1)
    strm = _klv(b"STRM", "\x00", 4, strm_body, len(strm_body) // 4)
    devc_body = _klv(b"DVNM", "c", 1, b"Camera", 6) + strm
    return _klv(b"DEVC", "\x00", 4, devc_body, len(devc_body) // 4)


def gopro_jpeg() -> bytes:
    return core.jpeg([core.segment(0xE6, b"GoPro\x00" + gopro_gpmf())])


def dji_xmp_jpeg(lat: float = LAT, lon: float = LON) -> bytes:
    """DJI drones write the position as drone-dji:GpsLatitude and (misspelt) GpsLongtitude."""
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" '
        f'drone-dji:GpsLatitude="{lat:+.8f}" drone-dji:GpsLongtitude="{lon:+.8f}" '
        'drone-dji:AbsoluteAltitude="+21.30"/></rdf:RDF></x:xmpmeta>'
    ).encode()
    return core.jpeg([core.app1_xmp(packet)])


def samsung_trailer(mcc: str = "234") -> bytes:
    """A Samsung SEFT trailer holding one MCC_Data block (type 0x0aa1)."""
    name = b"MCC_Data"
    block = struct.pack("<HHI", 0, 0x0AA1, len(name)) + name + mcc.encode()
    directory = b"SEFH" + struct.pack("<II", 101, 1) + struct.pack("<HHII", 0, 0x0AA1, len(block), len(block))
    return block + directory + struct.pack("<I", len(directory)) + b"SEFT"


def samsung_jpeg() -> bytes:
    return core.jpeg(trailer=samsung_trailer())
