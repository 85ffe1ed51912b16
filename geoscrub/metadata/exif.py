"""EXIF / TIFF directory walker, classifier and the orientation-only EXIF builder.

Spec: TIFF 6.0 section 2 and CIPA DC-008 (Exif 2.32).  The walk trusts no
offset: every IFD is bounds-checked, visited once and counted against the
limits in ``geoscrub.limits``.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from .. import limits
from .._binary import take, u16, u32
from ..errors import GeoscrubError, MalformedFile
from ..model import Category, Finding, Location, ScanResult
from . import budget

# type id -> (size in bytes, struct code)
TYPE_SIZES: dict[int, tuple[int, str]] = {
    1: (1, "B"), 2: (1, "s"), 3: (2, "H"), 4: (4, "I"), 5: (8, "II"), 6: (1, "b"),
    7: (1, "s"), 8: (2, "h"), 9: (4, "i"), 10: (8, "ii"), 11: (4, "f"), 12: (8, "d"),
    13: (4, "I"), 16: (8, "Q"), 17: (8, "q"), 18: (8, "Q"),
}

ORIENTATION = 0x0112
EXIF_IFD, GPS_IFD, INTEROP_IFD, SUB_IFDS = 0x8769, 0x8825, 0xA005, 0x014A
POINTER_TAGS = {EXIF_IFD: "Exif", GPS_IFD: "GPS", INTEROP_IFD: "Interop", SUB_IFDS: "SubIFD"}
#: Largest value decoded for reporting; longer values are only measured.
MAX_DECODED_VALUE = 4096

_PLACE = "Shows where the photo was taken"
_TIME = "Tells when the photo was taken or edited"
_DEVICE = "Identifies the camera or phone"
_PERSON = "Names a person"
_TEXT = "Has text someone typed, which may name people or places"

# tag -> (name, category, explanation); tags in IFD0/Exif/Interop/IFD1/SubIFDs
TAGS: dict[int, tuple[str, Category, str]] = {
    0x010E: ("ImageDescription", Category.OTHER, _TEXT),
    0x010F: ("Make", Category.DEVICE, "Names the camera or phone maker"),
    0x0110: ("Model", Category.DEVICE, "Names the camera or phone model"),
    0x0131: ("Software", Category.DEVICE, "Names the software or phone version used"),
    0x0132: ("DateTime", Category.TIME, _TIME),
    0x013B: ("Artist", Category.PERSON, "Names the photographer"),
    0x013C: ("HostComputer", Category.PERSON, "Names the computer or phone, often after its owner"),
    0x8298: ("Copyright", Category.PERSON, "Names the owner of the photo"),
    0x9003: ("DateTimeOriginal", Category.TIME, _TIME),
    0x9004: ("DateTimeDigitized", Category.TIME, _TIME),
    0x9010: ("OffsetTime", Category.TIME, "Tells the time zone, which hints at the country"),
    0x9011: ("OffsetTimeOriginal", Category.TIME, "Tells the time zone, which hints at the country"),
    0x9012: ("OffsetTimeDigitized", Category.TIME, "Tells the time zone, which hints at the country"),
    0x9290: ("SubSecTime", Category.TIME, _TIME),
    0x9291: ("SubSecTimeOriginal", Category.TIME, _TIME),
    0x9292: ("SubSecTimeDigitized", Category.TIME, _TIME),
    0x927C: ("MakerNote", Category.DEVICE, "Hides camera-maker data, often with serial numbers"),
    0x9286: ("UserComment", Category.OTHER, _TEXT),
    0x9C9B: ("XPTitle", Category.OTHER, _TEXT),
    0x9C9C: ("XPComment", Category.OTHER, _TEXT),
    0x9C9D: ("XPAuthor", Category.PERSON, "Names the author"),
    0x9C9E: ("XPKeywords", Category.OTHER, _TEXT),
    0x9C9F: ("XPSubject", Category.OTHER, _TEXT),
    0xA420: ("ImageUniqueID", Category.DEVICE, "A unique ID that can link photos from the same device"),
    0xA430: ("CameraOwnerName", Category.PERSON, "Names the camera's owner"),
    0xA431: ("BodySerialNumber", Category.DEVICE, "Identifies the camera: serial number"),
    0xA433: ("LensMake", Category.DEVICE, "Names the lens maker"),
    0xA434: ("LensModel", Category.DEVICE, "Names the lens"),
    0xA435: ("LensSerialNumber", Category.DEVICE, "Identifies the lens: serial number"),
    0xC62F: ("CameraSerialNumber", Category.DEVICE, "Identifies the camera: serial number"),
    0xC614: ("UniqueCameraModel", Category.DEVICE, "Names the camera model"),
    0xC615: ("LocalizedCameraModel", Category.DEVICE, "Names the camera model"),
    0xC634: ("DNGPrivateData", Category.DEVICE, "Hides camera-maker data"),
    0xC4A5: ("PrintIM", Category.DEVICE, "Printer settings from the camera maker"),
    0xA40B: ("DeviceSettingDescription", Category.DEVICE, "Camera settings"),
    0x9C40: ("Rating", Category.OTHER, "A rating someone gave"),
    0x0201: ("ThumbnailOffset", Category.HIDDEN_IMAGE,
             "Hides a small copy of the picture that may show what was cropped out"),
    0x02BC: ("XMP", Category.OTHER, "Carries an XMP metadata block"),
    0x83BB: ("IPTC", Category.OTHER, "Carries an IPTC metadata block"),
    0x8649: ("Photoshop", Category.OTHER, "Carries Photoshop metadata"),
    0x9212: ("SecurityClassification", Category.OTHER, _TEXT),
    0x9213: ("ImageHistory", Category.OTHER, "Describes how the photo was edited"),
    0x800D: ("ImageID", Category.DEVICE, "A unique ID of the image"),
    0x014A: ("SubIFDs", Category.OTHER, "Extra image directories"),
    0x4746: ("Rating", Category.OTHER, "A rating someone gave"),
    0x4749: ("RatingPercent", Category.OTHER, "A rating someone gave"),
    # GeoTIFF georeferencing (TIFF): pins the picture to a place on a map
    0x830E: ("ModelPixelScale", Category.PLACE, "Pins the picture to a place on a map (GeoTIFF)"),
    0x8482: ("ModelTiePoint", Category.PLACE, "Pins the picture to a place on a map (GeoTIFF)"),
    0x85D8: ("ModelTransform", Category.PLACE, "Pins the picture to a place on a map (GeoTIFF)"),
    0x87AF: ("GeoKeyDirectory", Category.PLACE, "Pins the picture to a place on a map (GeoTIFF)"),
    0x87B0: ("GeoDoubleParams", Category.PLACE, "Pins the picture to a place on a map (GeoTIFF)"),
    0x87B1: ("GeoAsciiParams", Category.PLACE, "Pins the picture to a place on a map (GeoTIFF)"),
    # TIFF / DNG extras
    0x9211: ("ImageNumber", Category.DEVICE, "Counts the photos taken by the camera"),
    0x935C: ("ImageSourceData", Category.HIDDEN_IMAGE,
             "Hides the Photoshop layers, which may show what was edited out"),
    0xC630: ("DNGLensInfo", Category.DEVICE, "Describes the lens"),
    0xC65D: ("RawDataUniqueID", Category.DEVICE, "A unique ID that can link copies of the same photo"),
    0xC68B: ("OriginalRawFileName", Category.OTHER, "Names the original file"),
    0xC68C: ("OriginalRawFileData", Category.HIDDEN_IMAGE,
             "Hides the whole original camera file, with all its metadata"),
    0xC716: ("PreviewApplicationName", Category.DEVICE, "Names the software used"),
    0xC71B: ("PreviewDateTime", Category.TIME, _TIME),
}

#: Tags that describe the image itself, or camera settings, and identify nobody.
HARMLESS = {
    0x00FE, 0x00FF, 0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x0107, 0x0108, 0x0109,
    0x010A, 0x0111, 0x0112, 0x0115, 0x0116, 0x0117, 0x0118, 0x0119, 0x011A, 0x011B,
    0x011C, 0x0122, 0x0123, 0x0128, 0x012D, 0x013D, 0x013E, 0x013F, 0x0140, 0x0142,
    0x0143, 0x0144, 0x0145, 0x0152, 0x0153, 0x0154, 0x0155, 0x0156, 0x015B, 0x0202,
    0x0211, 0x0212, 0x0213, 0x0214, 0x8769, 0x8825, 0xA005, 0x829A, 0x829D, 0x8822,
    0x8824, 0x8827, 0x8828, 0x8830, 0x8831, 0x8832, 0x8833, 0x8834, 0x8835, 0x9000,
    0x9101, 0x9102, 0x9201, 0x9202, 0x9203, 0x9204, 0x9205, 0x9206, 0x9207, 0x9208,
    0x9209, 0x920A, 0x9214, 0x9400, 0x9401, 0x9402, 0x9403, 0x9404, 0x9405, 0xA000,
    0xA001, 0xA002, 0xA003, 0xA20B, 0xA20C, 0xA20E, 0xA20F, 0xA210, 0xA214, 0xA215,
    0xA217, 0xA300, 0xA301, 0xA302, 0xA401, 0xA402, 0xA403, 0xA404, 0xA405, 0xA406,
    0xA407, 0xA408, 0xA409, 0xA40A, 0xA40C, 0xA432, 0xA460, 0xA461, 0xA462, 0xA500,
    0x8773, 0x1000, 0x1001, 0x1002,
}

GPS_NAMES = {
    0x00: "GPSVersionID", 0x01: "GPSLatitudeRef", 0x02: "GPSLatitude", 0x03: "GPSLongitudeRef",
    0x04: "GPSLongitude", 0x05: "GPSAltitudeRef", 0x06: "GPSAltitude", 0x07: "GPSTimeStamp",
    0x08: "GPSSatellites", 0x09: "GPSStatus", 0x0A: "GPSMeasureMode", 0x0B: "GPSDOP",
    0x0C: "GPSSpeedRef", 0x0D: "GPSSpeed", 0x0E: "GPSTrackRef", 0x0F: "GPSTrack",
    0x10: "GPSImgDirectionRef", 0x11: "GPSImgDirection", 0x12: "GPSMapDatum",
    0x13: "GPSDestLatitudeRef", 0x14: "GPSDestLatitude", 0x15: "GPSDestLongitudeRef",
    0x16: "GPSDestLongitude", 0x17: "GPSDestBearingRef", 0x18: "GPSDestBearing",
    0x19: "GPSDestDistanceRef", 0x1A: "GPSDestDistance", 0x1B: "GPSProcessingMethod",
    0x1C: "GPSAreaInformation", 0x1D: "GPSDateStamp", 0x1E: "GPSDifferential",
    0x1F: "GPSHPositioningError",
}
_GPS_EXPLAIN = {
    "GPSAltitude": "Tells how high up the photo was taken",
    "GPSImgDirection": "Tells which way the camera was facing",
    "GPSSpeed": "Tells how fast the camera was moving",
    "GPSTrack": "Tells which way the camera was moving",
    "GPSTimeStamp": "Tells the exact time from the satellites",
    "GPSDateStamp": "Tells the date from the satellites",
    "GPSProcessingMethod": "Tells how the location was found",
    "GPSAreaInformation": "Names the area where the photo was taken",
    "GPSDestLatitude": "Shows a place the photo points to",
    "GPSDestLongitude": "Shows a place the photo points to",
    "GPSHPositioningError": "Tells how precise the location is",
}


@dataclass(frozen=True)
class Entry:
    """One decoded IFD entry."""

    ifd: str
    tag: int
    type: int
    count: int
    value_offset: int  # absolute offset of the value in the TIFF bytes
    value: object  # decoded value (tuple, str, bytes) or None when too big


@dataclass
class Directory:
    """One IFD: where it sits and what it holds."""

    name: str
    offset: int
    entries: list[Entry] = field(default_factory=list)
    next_offset: int = 0


def tiff_header(data: bytes | memoryview) -> tuple[str, int]:
    """Return (byte order '<' or '>', offset of IFD0) of a classic TIFF header."""
    head = take(data, 0, 8, "TIFF header")
    if head[:4] == b"II*\x00":
        order = "<"
    elif head[:4] == b"MM\x00*":
        order = ">"
    else:
        raise MalformedFile("not a TIFF/EXIF header")
    return order, u32(data, 4, order)


def _decode(data: bytes | memoryview, order: str, typ: int, count: int, offset: int) -> object:
    size, code = TYPE_SIZES[typ]
    if typ in (2, 7):
        return take(data, offset, count, "EXIF value")
    if typ in (5, 10):
        raw = take(data, offset, 8 * count, "EXIF value")
        nums = struct.unpack(order + code[0] * (2 * count), raw)
        return tuple((nums[i], nums[i + 1]) for i in range(0, len(nums), 2))
    raw = take(data, offset, size * count, "EXIF value")
    return struct.unpack(order + code * count, raw)


@dataclass(frozen=True)
class IfdShape:
    """How a directory is laid out: classic TIFF (4-byte offsets) or BigTIFF (8-byte)."""

    count_size: int  # bytes of the entry count
    entry_size: int
    offset_size: int  # bytes of an offset, and the most bytes a value holds inline
    offset_code: str  # struct code of an offset
    wide_types: bool  # LONG8, SLONG8 and IFD8 are allowed

    def size(self, entries: int) -> int:
        """Bytes of a directory with ``entries`` entries, its next-directory pointer included."""
        return self.count_size + self.entry_size * entries + self.offset_size


CLASSIC = IfdShape(2, 12, 4, "I", False)
BIG = IfdShape(8, 20, 8, "Q", True)


def read_ifd(data: bytes | memoryview, order: str, offset: int, name: str, shape: IfdShape = CLASSIC) -> Directory:
    """Read one IFD (classic, or BigTIFF with ``shape=BIG``); values larger than MAX_DECODED_VALUE stay undecoded."""
    if shape.count_size == 2:
        count = u16(data, offset, order)
    else:
        count = struct.unpack(order + "Q", take(data, offset, 8, "IFD"))[0]
    limits.enforce("MAX_IFD_ENTRIES", count, limits.MAX_IFD_ENTRIES)
    directory = Directory(name, offset)
    table = take(data, offset, shape.size(count), "IFD")
    entry_at = shape.count_size
    for i in range(count):
        at = entry_at + shape.entry_size * i
        pos = offset + at
        if shape.count_size == 2:
            tag, typ, n = struct.unpack_from(order + "HHI", table, at)
        else:
            tag, typ, n = struct.unpack_from(order + "HHQ", table, at)
        if typ not in TYPE_SIZES or (typ in (16, 17, 18) and not shape.wide_types):
            directory.entries.append(Entry(name, tag, typ, n, -1, None))
            continue
        total = TYPE_SIZES[typ][0] * n
        field = pos + shape.entry_size - shape.offset_size
        if total <= shape.offset_size:
            value_offset = field
        else:
            value_offset = struct.unpack_from(order + shape.offset_code, table, at + shape.entry_size - shape.offset_size)[0]
        if value_offset + total > len(data):
            raise MalformedFile(f"{name} tag 0x{tag:04x} claims {total} bytes past the end", pos)
        value = _decode(data, order, typ, n, value_offset) if total <= MAX_DECODED_VALUE else None
        directory.entries.append(Entry(name, tag, typ, n, value_offset, value))
    directory.next_offset = struct.unpack_from(order + shape.offset_code, table, shape.size(count) - shape.offset_size)[0]
    return directory


def walk(data: bytes | memoryview, *, follow_chain: bool = True) -> tuple[str, list[Directory]]:
    """All IFDs of an EXIF/TIFF structure: IFD0, IFD1..., and their sub-IFDs.

    Loops, excess depth and excess IFDs raise instead of hanging.
    """
    order, first = tiff_header(data)
    seen: set[int] = set()
    dirs: list[Directory] = []
    stack: list[tuple[int, str, int]] = []  # (offset, name, depth)
    chain = first
    page = 0
    while chain:
        stack.append((chain, f"IFD{page}", 0))
        # read the chain head now to learn the next one
        if chain in seen:
            raise MalformedFile("IFD chain loops back on itself", chain)
        seen.add(chain)
        limits.enforce("MAX_IFDS", len(seen), limits.MAX_IFDS)
        head = read_ifd(data, order, chain, f"IFD{page}")
        dirs.append(head)
        stack.pop()
        stack.extend(_children(head, order, data, 1))
        while stack:
            off, name, depth = stack.pop()
            limits.enforce("MAX_IFD_DEPTH", depth, limits.MAX_IFD_DEPTH)
            if off in seen:
                raise MalformedFile("IFD pointer loops back to an earlier directory", off)
            seen.add(off)
            limits.enforce("MAX_IFDS", len(seen), limits.MAX_IFDS)
            sub = read_ifd(data, order, off, name)
            dirs.append(sub)
            stack.extend(_children(sub, order, data, depth + 1))
        if not follow_chain:
            break
        chain = head.next_offset
        page += 1
    return order, dirs


def _children(d: Directory, order: str, data: bytes | memoryview, depth: int) -> list[tuple[int, str, int]]:
    out = []
    for e in d.entries:
        if e.tag in POINTER_TAGS and e.type in (4, 13) and isinstance(e.value, tuple):
            for off in e.value:
                if off:
                    out.append((int(off), POINTER_TAGS[e.tag], depth))
    return out


def orientation(data: bytes | memoryview) -> int | None:
    """The IFD0 Orientation (1..8) of an EXIF block, or None."""
    try:
        order, first = tiff_header(data)
        d = read_ifd(data, order, first, "IFD0")
    except (GeoscrubError, struct.error):
        return None
    for e in d.entries:
        if e.tag == ORIENTATION and e.type == 3 and isinstance(e.value, tuple) and e.value:
            value = int(e.value[0])
            return value if 1 <= value <= 8 else None
    return None


def build_orientation_exif(value: int) -> bytes:
    """A minimal big-endian TIFF structure holding only IFD0 Orientation."""
    if not 1 <= value <= 8:
        raise ValueError("orientation must be 1..8")
    return b"MM\x00*" + struct.pack(">IHHHIHHI", 8, 1, ORIENTATION, 3, 1, value, 0, 0)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        if value[:8] in (b"ASCII\x00\x00\x00", b"UNICODE\x00", b"JIS\x00\x00\x00\x00\x00", b"\x00" * 8):
            code = value[:8]
            body = value[8:]
            if code == b"UNICODE\x00":
                try:
                    return body.decode("utf-16-be" if body[:1] == b"\x00" else "utf-16-le")
                except UnicodeDecodeError:
                    return body.decode("latin-1")
            return body.decode("utf-8", "replace")
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):
        if value and all(isinstance(v, tuple) for v in value):
            return ", ".join(_fmt_rational(v) for v in value)  # type: ignore[arg-type]
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _fmt_rational(r: tuple[int, int]) -> str:
    num, den = r
    if den == 0:
        return "?"
    return str(num // den) if num % den == 0 else f"{num / den:g}"


#: HostComputer values that name a model, not a person: phones write their model there.
_DEVICE_MODEL = re.compile(
    r"\s*(iPhone|iPad|iPod|Mac( ?OS)?|macOS|Pixel|Galaxy|SM-|Android|Windows|Linux|Nokia|Xiaomi|Redmi|OnePlus|"
    r"HUAWEI|moto|Canon|NIKON|SONY|ILCE-|DSC-)[\w .,()+-]*", re.IGNORECASE)


def is_device_model(host: str) -> bool:
    """True for "iPhone 11 Pro Max", "Pixel 7", "Mac OS X 10.15"; false for "Alex's MacBook Pro"."""
    return "'" not in host and "\u2019" not in host and _DEVICE_MODEL.fullmatch(host) is not None


def _is_empty(e: Entry) -> bool:
    if e.value is None:
        return e.count == 0
    if isinstance(e.value, bytes):
        return not e.value.strip(b"\x00 ")
    if isinstance(e.value, tuple):
        if not e.value:
            return True
        if all(isinstance(v, tuple) for v in e.value):
            return all(v[0] == 0 for v in e.value)  # type: ignore[index]
    return False


def _xp_text(value: object) -> str:
    if isinstance(value, tuple):
        value = bytes(int(v) & 0xFF for v in value)
    if isinstance(value, bytes):
        return value.decode("utf-16-le", "replace")
    return _text(value)


def _dms(value: object) -> tuple[float, float] | None:
    """(degrees, precision in degrees) of a GPS rational triple, or None."""
    if not isinstance(value, tuple) or not value or not all(isinstance(v, tuple) for v in value):
        return None
    degrees = 0.0
    step = None
    for (num, den), unit in zip(value, (1.0, 1 / 60, 1 / 3600)):
        if den == 0:
            return None
        degrees += num / den * unit
        this = unit / den
        step = this if step is None else min(step, this)
    return degrees, step or 0.0


_SPEED_UNITS = {"K": "km/h", "M": "mph", "N": "knots"}
_DISTANCE_UNITS = {"K": "km", "M": "miles", "N": "nautical miles"}


def _number(value: object) -> float | None:
    if isinstance(value, tuple) and value and isinstance(value[0], tuple) and value[0][1]:
        return value[0][0] / value[0][1]
    return None


def gps_value(name: str, value: object, values: dict[str, object]) -> str:
    """A GPS value in words with its unit: "261 m above sea level", "211°", "18:12:23 UTC"."""
    number = _number(value)
    ref = _text(values.get(name + "Ref", b"")).strip("\x00 ").upper()[:1]
    if name == "GPSAltitude" and number is not None:
        below = values.get("GPSAltitudeRef") in ((1,), b"\x01")
        return f"{number:.0f} m {'below' if below else 'above'} sea level"
    if name in ("GPSImgDirection", "GPSTrack", "GPSDestBearing") and number is not None:
        return f"{number:.0f}°"
    if name == "GPSSpeed" and number is not None:
        return f"{number:.1f} {_SPEED_UNITS.get(ref, 'km/h')}"
    if name == "GPSDestDistance" and number is not None:
        return f"{number:g} {_DISTANCE_UNITS.get(ref, 'km')}"
    if name == "GPSHPositioningError" and number is not None:
        return f"{number:g} m"
    if name == "GPSTimeStamp" and isinstance(value, tuple) and len(value) == 3:
        parts = [_fmt_rational(v) for v in value]  # type: ignore[arg-type]
        if all(p.replace(".", "", 1).isdigit() for p in parts):
            h, m, sec = (float(p) for p in parts)
            return f"{int(h):02d}:{int(m):02d}:{sec:02.0f} UTC"
    return _text(value)


#: Phone and camera GPS is good to about 5 m at best, however many digits it stores.
GPS_BEST_ACCURACY_M = 5.0


def gps_location(entries: list[Entry]) -> Location | None:
    """Decode GPSLatitude/Longitude with refs to decimal degrees, plus accuracy in metres."""
    by_name = {GPS_NAMES.get(e.tag, ""): e.value for e in entries}
    lat, lon = _dms(by_name.get("GPSLatitude")), _dms(by_name.get("GPSLongitude"))
    if lat is None or lon is None:
        return None
    lat_ref = _text(by_name.get("GPSLatitudeRef", b"N")).strip("\x00 ").upper()[:1]
    lon_ref = _text(by_name.get("GPSLongitudeRef", b"E")).strip("\x00 ").upper()[:1]
    latitude = -lat[0] if lat_ref == "S" else lat[0]
    longitude = -lon[0] if lon_ref == "W" else lon[0]
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:
        return None
    stored = max(lat[1], lon[1]) * 111_320  # the finest step the stored numbers can show
    herr = _number(by_name.get("GPSHPositioningError"))
    accuracy = max(herr if herr is not None else GPS_BEST_ACCURACY_M, stored)
    return Location(round(latitude, 7), round(longitude, 7), round(accuracy, 2))


def describe_location(loc: Location) -> str:
    text = f"{loc.latitude:.6f}, {loc.longitude:.6f}"
    if loc.accuracy_m is not None:
        text += f" (to about {format_metres(loc.accuracy_m)})"
    return text


def format_metres(metres: float) -> str:
    if metres < 1:
        return "1 m"
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{metres / 1000:.1f} km"


def classify(dirs: list[Directory], source: str = "EXIF") -> ScanResult:
    """Turn walked IFDs into findings, worst first, with the decoded location."""
    findings: list[Finding] = []
    location = None
    unknown = 0
    for d in dirs:
        if d.name == "GPS":
            meaningful = [e for e in d.entries if e.tag != 0x00 and not _is_empty(e)]
            if not meaningful:
                continue
            location = location or gps_location(d.entries)
            has_position = False
            values = {GPS_NAMES.get(e.tag, ""): e.value for e in meaningful}
            for e in meaningful:
                name = GPS_NAMES.get(e.tag, f"GPS tag 0x{e.tag:04x}")
                if name in ("GPSLatitude", "GPSLongitude", "GPSLatitudeRef", "GPSLongitudeRef"):
                    has_position = True
                    continue
                if name.endswith("Ref") and name[:-3] in values:
                    continue  # a unit or direction: shown with the value it belongs to
                category = Category.TIME if name in ("GPSTimeStamp", "GPSDateStamp") else Category.PLACE
                findings.append(Finding.make(category, name, gps_value(name, e.value, values),
                                             _GPS_EXPLAIN.get(name, _PLACE), source))
            if has_position:
                value = describe_location(location) if location else "present but unreadable"
                findings.insert(0, Finding.make(Category.PLACE, "GPSPosition", value, _PLACE, source))
            continue
        for e in d.entries:
            if e.tag in HARMLESS:
                continue
            if d.name == "Interop" and e.tag in (0x0001, 0x0002):
                continue
            if e.tag in TAGS:
                name, category, explanation = TAGS[e.tag]
                if e.tag == 0x0201:
                    if d.name.startswith("IFD") and d.name != "IFD0":
                        findings.append(Finding.make(category, "ThumbnailImage", "small JPEG", explanation, source))
                    continue
                if _is_empty(e):
                    continue
                if e.tag == 0x927C:
                    value: object = f"{e.count} bytes"
                elif e.tag in (0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F):
                    value = _xp_text(e.value)
                elif e.tag in (0x02BC, 0x83BB, 0x8649, 0xC634, 0xC4A5):
                    value = f"{e.count} bytes"
                else:
                    value = _text(e.value)
                if e.tag == 0x013C and is_device_model(str(value).strip("\x00 ")):
                    category, explanation = Category.DEVICE, "Names the phone or computer model"
                findings.append(Finding.make(category, name, value, explanation, source))
            else:
                unknown += 1
    if unknown:
        findings.append(Finding.make(
            Category.OTHER, "OtherExifTags", f"{unknown} entries",
            "Other camera data that geoscrub does not need to keep", source))
    findings.sort(key=lambda f: f.category.severity)
    return ScanResult(tuple(findings), location)


def scan_exif(data: bytes | memoryview, source: str = "EXIF") -> ScanResult:
    """Findings of an EXIF payload (TIFF structure).  A damaged block is still reported."""
    if not budget.spend(len(data)):
        return budget.unread("EXIF", len(data), source)
    try:
        _, dirs = walk(data)
    except (GeoscrubError, struct.error) as err:
        return ScanResult((Finding.make(
            Category.OTHER, "DamagedExif", str(err),
            "Has an EXIF block that could not be read fully; it may hide anything", source),))
    return classify(dirs, source)
