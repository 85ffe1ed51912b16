"""What a video gives away, in findings: places, people, devices, dates and dropped tracks.

Reads the parts of a movie box that cleaning leaves out (user data, ``meta``
key lists, vendor boxes, extra tracks) and the dates it sets to zero.  The
words come from ``report.VIDEO_WORDS``; nothing here decides what is kept.
"""
from __future__ import annotations

import dataclasses
import datetime
import math
import re

from .._binary import u16, u32, u64
from ..errors import GeoscrubError
from ..metadata.xmp import scan_xmp
from ..model import Category, Finding, Location, better_location
from .isobmff import Box, Budget, full_header, read_boxes
from .movie import Movie, Track

SOURCE = "QuickTime"
#: The uuid of an XMP packet in a 'uuid' box.
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
#: How far nested user data is followed (meta inside udta inside trak...).
MAX_NESTING = 4

#: User-data and item-list boxes: (category, key, word).
ITEMS: dict[bytes, tuple[Category, str, str]] = {
    b"\xa9ART": (Category.PERSON, "Artist", "person"),
    b"\xa9aut": (Category.PERSON, "Author", "person"),
    b"auth": (Category.PERSON, "Author", "person"),
    b"aART": (Category.PERSON, "AlbumArtist", "person"),
    b"\xa9wrt": (Category.PERSON, "Composer", "person"),
    b"\xa9dir": (Category.PERSON, "Director", "person"),
    b"\xa9prd": (Category.PERSON, "Producer", "person"),
    b"\xa9prf": (Category.PERSON, "Performer", "person"),
    b"perf": (Category.PERSON, "Performer", "person"),
    b"\xa9mak": (Category.DEVICE, "Make", "make"),
    b"\xa9mod": (Category.DEVICE, "Model", "model"),
    b"\xa9swr": (Category.DEVICE, "Software", "software"),
    b"\xa9too": (Category.DEVICE, "Encoder", "software"),
    b"\xa9enc": (Category.DEVICE, "EncodedBy", "software"),
    b"FIRM": (Category.DEVICE, "Firmware", "software"),
    b"CAME": (Category.DEVICE, "SerialNumberHash", "serial"),
    b"LENS": (Category.DEVICE, "LensSerialNumber", "serial"),
    b"MUID": (Category.DEVICE, "MediaUniqueID", "serial"),
    b"BCID": (Category.DEVICE, "BoardID", "serial"),
    b"GUMI": (Category.DEVICE, "GlobalMediaID", "serial"),
    b"\xa9day": (Category.TIME, "ContentCreateDate", "date"),
    b"date": (Category.TIME, "ContentCreateDate", "date"),
    b"covr": (Category.HIDDEN_IMAGE, "CoverArt", "cover"),
    b"loci": (Category.PLACE, "LocationInformation", "place_name"),
}
TEXT_ITEMS = {b"\xa9cmt", b"\xa9des", b"\xa9nam", b"titl", b"dscp", b"desc", b"cprt", b"\xa9cpy", b"\xa9inf",
              b"\xa9lyr", b"\xa9alb", b"\xa9gen", b"gnre", b"kywd", b"\xa9key", b"\xa9grp", b"\xa9fmt",
              b"\xa9src", b"\xa9req", b"\xa9st3", b"\xa9PRD", b"\xa9hst", b"\xa9com", b"ldes"}
#: Apple 'mdta' keys by their last part: (category, key, word).  Apps write the same list:
#: ffmpeg (-movflags use_metadata_tags) writes its own tags under their ffmpeg names.
KEYS: dict[str, tuple[Category, str, str]] = {
    "make": (Category.DEVICE, "Make", "make"),
    "manufacturer": (Category.DEVICE, "Make", "make"),
    "model": (Category.DEVICE, "Model", "model"),
    "software": (Category.DEVICE, "Software", "software"),
    "encoder": (Category.DEVICE, "encoder", "software"),
    "encoded_by": (Category.DEVICE, "encoded_by", "software"),
    "version": (Category.DEVICE, "Software", "software"),  # com.android.version: the phone's system
    "creationdate": (Category.TIME, "CreationDate", "date"),
    "creation_time": (Category.TIME, "creation_time", "date"),
    "date": (Category.TIME, "ContentCreateDate", "date"),
    "author": (Category.PERSON, "Author", "person"),
    "artist": (Category.PERSON, "Artist", "person"),
    "album_artist": (Category.PERSON, "AlbumArtist", "person"),
    "composer": (Category.PERSON, "Composer", "person"),
    "director": (Category.PERSON, "Director", "person"),
    "producer": (Category.PERSON, "Producer", "person"),
    "performer": (Category.PERSON, "Performer", "person"),
    "publisher": (Category.PERSON, "Publisher", "person"),
}
#: Key last parts that hold what someone typed (a title, comment...); other keys are an app's own notes.
TYPED_KEYS = {"title", "displayname", "description", "comment", "keywords", "information", "album", "genre",
              "copyright", "lyrics", "synopsis", "subtitle", "show", "episode_id", "network", "grouping"}
#: The key of Apple's horizontal accuracy of the position, in metres (ends this way).
ACCURACY_KEY = "location.accuracy.horizontal"
#: Timed-metadata sample types that carry GPS (GoPro, Google, DJI, Apple, Sony).
GPS_TRACKS = {b"gpmd", b"camm", b"djmd", b"dbgi", b"mebx", b"rtmd"}
TIMECODE = {b"tmcd"}
TEXT_HANDLERS = {b"text", b"sbtl", b"subt", b"clcp", b"tx3g"}

def words(name: str) -> str:
    """The plain words for ``name`` from report.VIDEO_WORDS (imported when a video has findings,
    so reading photos never pays for the report module)."""
    from ..report import VIDEO_WORDS

    return VIDEO_WORDS[name]


_ISO6709 = re.compile(rb"([+-])(\d+(?:\.\d*)?)([+-])(\d+(?:\.\d*)?)")
#: A whole value that is ISO 6709 and nothing else (a height and a CRS may follow): "+51.5007-000.1246/".
_ONLY_ISO6709 = re.compile(rb"\s*[+-]\d+(?:\.\d*)?[+-]\d+(?:\.\d*)?(?:[+-]\d+(?:\.\d*)?)?(?:CRS[\w:]*)?/?\s*\x00*")
#: A value that is a date (and maybe a time) as ISO 8601 writes it: "2025-06-14T16:03:11Z".
_ISO8601 = re.compile(rb"\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\s*")
_EPOCH_1904 = datetime.datetime(1904, 1, 1, tzinfo=datetime.UTC)


def iso6709(text: bytes, *, whole: bool = False) -> Location | None:
    """A position written as ISO 6709 ("+37.7749-122.4194+010.000/"), or None.

    With ``whole``, only a value that is nothing but a position counts (for
    keys that may just as well hold a place's name).
    """
    if whole and not _ONLY_ISO6709.fullmatch(text):
        return None
    found = _ISO6709.search(text)
    if not found:
        return None
    lat = _degrees(found.group(2), 2) * (-1 if found.group(1) == b"-" else 1)
    lon = _degrees(found.group(4), 3) * (-1 if found.group(3) == b"-" else 1)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Location(lat, lon)


def _degrees(number: bytes, degree_digits: int) -> float:
    """Degrees from DD.D, DDMM.M or DDMMSS.S (ISO 6709 allows all three)."""
    whole = number.partition(b".")[0]
    value = float(number)
    if len(whole) <= degree_digits:
        return value
    if len(whole) <= degree_digits + 2:
        degrees, minutes = divmod(value, 100)
        return degrees + minutes / 60
    degrees, rest = divmod(value, 10000)
    minutes, seconds = divmod(rest, 100)
    return degrees + minutes / 60 + seconds / 3600


def movie_date(seconds: int) -> str | None:
    """A header date (seconds since 1904) as text; None for zero (no date)."""
    if not seconds:
        return None
    try:
        when = _EPOCH_1904 + datetime.timedelta(seconds=seconds)
    except OverflowError:
        return f"{seconds} seconds after 1904"
    return when.strftime("%Y:%m:%d %H:%M:%S")


def header_dates(m: bytes, b: Box) -> tuple[int, int]:
    """(creation, modification) of an mvhd/tkhd/mdhd box."""
    version, _, p = full_header(m, b)
    return (u64(m, p), u64(m, p + 8)) if version == 1 else (u32(m, p), u32(m, p + 4))


class _Collector:
    def __init__(self, m: bytes, budget: Budget) -> None:
        self.m, self.budget = m, budget
        self.findings: list[Finding] = []
        self.location: Location | None = None
        self.accuracy_m: float | None = None  # how precise the position stated next to it is

    def located(self) -> Location | None:
        """The position found, with the accuracy stated beside it when it has none of its own."""
        if self.location is None or self.accuracy_m is None or self.location.accuracy_m is not None:
            return self.location
        return dataclasses.replace(self.location, accuracy_m=self.accuracy_m)

    def add(self, category: Category, key: str, value: object, word: str) -> None:
        self.findings.append(Finding.make(category, key, value, words(word), SOURCE))

    def box(self, b: Box) -> None:
        preview = bytes(self.m[b.payload : min(b.end, b.payload + 64)])
        self.add(Category.OTHER, f"'{b.name}' box", preview if preview.strip(b"\x00") else f"{b.size} bytes", "box")

    def place(self, text: bytes, key: str) -> None:
        where = iso6709(text)
        if where is None:
            self.add(Category.PLACE, key, text, "place_name")
            return
        self.location = better_location(self.location, where)
        self.add(Category.PLACE, "GPSPosition", f"{where.latitude:.5f}, {where.longitude:.5f}", "place")


def movie_findings(m: bytes, movie: Movie, budget: Budget) -> tuple[list[Finding], Location | None]:
    """Everything identifying in the movie box ``m``, and the place it names."""
    found = _Collector(m, budget)
    _dates(found, movie)
    for b in movie.dropped:
        _dropped_box(found, b, 0)
    for track in movie.tracks:
        if track.kept:
            _kept_track(found, track)
        else:
            _dropped_track(found, track)
    return found.findings, found.located()


def loose_movie_findings(m: bytes, budget: Budget) -> tuple[list[Finding], Location | None]:
    """Findings of the movie box ``m`` read without its tracks (for a video that cannot be cleaned)."""
    found = _Collector(m, budget)
    start = 16 if u32(m, 0) == 1 else 8
    for b in read_boxes(m, start, len(m), budget, 1):
        if b.type == b"mvhd":
            for key, seconds in zip(("CreateDate", "ModifyDate"), header_dates(m, b)):
                text = movie_date(seconds)
                if text is not None:
                    found.add(Category.TIME, key, text, "date")
        elif b.type != b"trak":
            _dropped_box(found, b, 0)
    return found.findings, found.located()


def box_findings(m: bytes, b: Box) -> tuple[list[Finding], Location | None]:
    """Findings of one box outside the movie box (``m`` holds it), and the place it names."""
    found = _Collector(m, Budget())
    _dropped_box(found, b, 0)
    return found.findings, found.located()


def _dates(found: _Collector, movie: Movie) -> None:
    seen: list[str] = []
    headers = [movie.mvhd] + [b for t in movie.tracks if t.kept for b in (t.tkhd, t.mdhd) if b is not None]
    for b in headers:
        for key, seconds in zip(("CreateDate", "ModifyDate"), header_dates(found.m, b)):
            text = movie_date(seconds)
            if text is not None and text not in seen:
                seen.append(text)
                found.add(Category.TIME, key, text, "date")


def _kept_track(found: _Collector, track: Track) -> None:
    for b in track.dropped:
        if b.type not in (b"tref", b"load", b"clip", b"matt", b"kmat", b"elng", b"txas"):
            _dropped_box(found, b, 0)  # links to dropped tracks and display hints say nothing
    for entry in track.entries:
        name = _compressor_name(found.m, track, entry.box)
        if name:
            found.add(Category.DEVICE, "CompressorName", name, "encoder")
        for b in entry.dropped_children:
            found.box(b)


def _compressor_name(m: bytes, track: Track, entry: Box) -> bytes:
    """The encoder name a visual sample entry carries (a Pascal string in 32 bytes)."""
    if track.handler != b"vide":
        return b""
    field = m[entry.payload + 42 : entry.payload + 74]
    length = field[0] if field else 0
    text = field[1 : 1 + length] if 0 < length < 32 else field
    return bytes(text).strip(b"\x00 ")


def _dropped_track(found: _Collector, track: Track) -> None:
    kind = b"".join(track.entry_types[:1]) or track.handler
    label = kind.decode("latin-1", "replace").strip()
    if track.entry_types and set(track.entry_types) & GPS_TRACKS:
        if b"mebx" in track.entry_types and not any(b"location" in bytes(found.m[b.start : b.end]).lower()
                                                    for b in track.raw if b.type == b"mebx"):
            found.add(Category.OTHER, "TimedMetadata", f"'{label}' track", "timed_data")
        else:
            found.add(Category.PLACE, "TimedGPS", f"'{label}' track", "timed_gps")
    elif track.handler == b"tmcd" or set(track.entry_types) & TIMECODE:
        found.add(Category.TIME, "Timecode", f"'{label}' track", "timecode")
    elif track.handler in TEXT_HANDLERS:
        found.add(Category.OTHER, "TextTrack", f"'{label}' track", "text_track")
    elif track.handler == b"meta":
        found.add(Category.OTHER, "TimedMetadata", f"'{label}' track", "timed_data")
    else:
        found.add(Category.OTHER, "ExtraTrack", f"'{label}' track", "other_track")
    for b in track.raw:
        if b.type in (b"udta", b"meta"):
            _dropped_box(found, b, 0)


def _dropped_box(found: _Collector, b: Box, depth: int) -> None:
    """Report one box that cleaning leaves out, looking inside user data and metadata."""
    m = found.m
    if b.type in (b"free", b"skip", b"wide"):
        if bytes(m[b.payload : b.end]).strip(b"\x00"):
            found.add(Category.OTHER, "FreeSpace", f"{b.end - b.payload} bytes", "free")
    elif b.type == b"iods":
        return  # the MPEG-4 object descriptor: profile numbers, nothing about anyone
    elif b.type == b"udta" and depth < MAX_NESTING:
        for child in _children(found, b.payload, b.end, depth):
            _user_data(found, child, depth + 1)
    elif b.type == b"meta" and depth < MAX_NESTING:
        _meta(found, b, depth + 1)
    elif b.type == b"uuid" and bytes(m[b.start + 8 : b.start + 24]) == XMP_UUID:
        _xmp(found, bytes(m[b.payload : b.end]))
    else:
        found.box(b)


def _children(found: _Collector, start: int, end: int, depth: int) -> list[Box]:
    """Child boxes, tolerating the 4 zero bytes QuickTime ends user data with."""
    try:
        return read_boxes(found.m, start, end, found.budget, 4 + depth)
    except GeoscrubError:
        pass
    if end - start >= 4 and not bytes(found.m[end - 4 : end]).strip(b"\x00"):
        try:
            return read_boxes(found.m, start, end - 4, found.budget, 4 + depth)
        except GeoscrubError:
            pass
    found.add(Category.OTHER, "UserData", f"{end - start} bytes", "box")
    return []


def _user_data(found: _Collector, b: Box, depth: int) -> None:
    m = found.m
    if b.type == b"\xa9xyz":
        found.place(_text(m, b), "GPSCoordinates")
    elif b.type == b"loci":
        _loci(found, b)
    elif b.type == b"XMP_":
        _xmp(found, bytes(m[b.payload : b.end]))
    elif b.type in (b"meta", b"udta", b"free", b"skip", b"uuid"):
        _dropped_box(found, b, depth)
    elif b.type in ITEMS:
        category, key, word = ITEMS[b.type]
        value = "picture" if word == "cover" else _text(m, b) if word != "serial" else _serial(m, b)
        found.add(category, key, value, word)
    elif b.type in TEXT_ITEMS:
        found.add(Category.OTHER, b.name.replace("\\xa9", "©"), _text(m, b), "text")
    else:
        found.box(b)


def _serial(m: bytes, b: Box) -> str:
    raw = bytes(m[b.payload : b.end])
    text = raw.strip(b"\x00 ")
    if text and all(32 <= c < 127 for c in text):
        return text.decode("ascii")
    return raw[:16].hex()


def _text(m: bytes, b: Box) -> bytes:
    """The value of a user-data or item-list box: an inner 'data' box, or QuickTime's counted text."""
    p, end = b.payload, b.end
    if end - p >= 16 and bytes(m[p + 4 : p + 8]) == b"data":
        size = u32(m, p)
        return bytes(m[p + 16 : min(end, p + max(size, 16))])
    if end - p >= 4:
        length = u16(m, p)
        if 0 < length <= end - p - 4:
            return bytes(m[p + 4 : p + 4 + length])
    return bytes(m[p:end])


def _loci(found: _Collector, b: Box) -> None:
    """3GPP location: a name, then longitude and latitude as 16.16 fixed point."""
    m = found.m
    p = b.payload + 6  # version/flags, language
    name_end = bytes(m[p : b.end]).find(b"\x00")
    name = bytes(m[p : p + name_end]) if name_end >= 0 else bytes(m[p : b.end])
    q = p + name_end + 2 if name_end >= 0 else b.end
    if q + 8 <= b.end:
        lon, lat = (int.from_bytes(m[q + i : q + i + 4], "big", signed=True) / 65536 for i in (0, 4))
        if (lon or lat) and -90 <= lat <= 90 and -180 <= lon <= 180:
            found.location = better_location(found.location, Location(lat, lon))
            found.add(Category.PLACE, "GPSPosition", f"{lat:.5f}, {lon:.5f}", "place")
    if name.strip(b"\x00 "):
        found.add(Category.PLACE, "LocationInformation", name, "place_name")


def _xmp(found: _Collector, packet: bytes) -> None:
    result = scan_xmp(packet, "XMP")
    found.findings += result.findings
    found.location = better_location(found.location, result.location)


def _meta(found: _Collector, b: Box, depth: int) -> None:
    """A QuickTime 'meta' box (plain, or a FullBox): handler, 'keys' and the item list."""
    m = found.m
    start = b.payload if bytes(m[b.payload + 4 : b.payload + 8]) == b"hdlr" else b.payload + 4
    children = _children(found, start, b.end, depth)
    names: list[bytes] = []
    for child in children:
        if child.type == b"keys":
            names = _keys(found, child)
    for child in children:
        if child.type in (b"hdlr", b"keys", b"free", b"skip"):
            continue
        if child.type == b"ilst":
            for item in _children(found, child.payload, child.end, depth):
                index = int.from_bytes(item.type, "big")
                if names and 1 <= index <= len(names):
                    _keyed_item(found, names[index - 1], item)
                else:
                    _user_data(found, item, depth + 1)
        else:
            _dropped_box(found, child, depth)


def _keys(found: _Collector, b: Box) -> list[bytes]:
    m = found.m
    try:
        _, _, p = full_header(m, b)
        count = u32(m, p)
    except GeoscrubError:
        return []
    names, p = [], p + 4
    for _ in range(min(count, 4096)):
        if p + 8 > b.end:
            break
        size = u32(m, p)
        if size < 8 or p + size > b.end:
            break
        names.append(bytes(m[p + 8 : p + size]))
        p += size
    return names


def _keyed_item(found: _Collector, name: bytes, item: Box) -> None:
    """One item of a key list, worded by what its key and value are.

    A position is a place (ffmpeg's ``location`` key holds ISO 6709 too), a
    date a time, an app's name software; only titles and comments are text
    someone typed, and any other key is an app's own note.
    """
    key = name.decode("utf-8", "replace")
    lower = key.lower()
    last = lower.rsplit(".", 1)[-1]
    value = _text(found.m, item)
    if "iso6709" in lower or ("location" in lower and iso6709(value, whole=True) is not None):
        found.place(value, "GPSCoordinates")
    elif lower.endswith(ACCURACY_KEY):
        _accuracy(found, key, value)
    elif "location" in lower and not _ISO8601.fullmatch(value):  # location.date is when, not where
        found.add(Category.PLACE, key, value, "place_name")
    elif last in KEYS:
        category, short, word = KEYS[last]
        found.add(category, short, value, word)
    elif last in TYPED_KEYS:
        found.add(Category.OTHER, key, value, "text")
    elif _ISO8601.fullmatch(value):
        found.add(Category.TIME, key, value, "date")
    else:
        found.add(Category.OTHER, key, value, "note")


def _accuracy(found: _Collector, key: str, value: bytes) -> None:
    """Apple's "to within this many metres" beside the position: said with the place, like a photo's."""
    try:
        metres = float(value.strip(b"\x00 "))
    except ValueError:
        metres = math.nan
    if math.isfinite(metres) and 0 < metres < 1e7:
        found.accuracy_m = metres
        found.add(Category.PLACE, "GPSHPositioningError", f"{metres:g} m", "place")
    else:
        found.add(Category.OTHER, key, value, "note")
