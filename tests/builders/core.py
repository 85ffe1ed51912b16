"""Byte builders for JPEG, PNG and WebP fixtures with chosen metadata.

Everything is invented: the people, places and serial numbers are fictional.
Shared by the tests and by samples/generate.py.
"""
from __future__ import annotations

import io
import struct
import zlib

import piexif
from PIL import Image

OWNER = "Alex Example"
SERIAL = "C39XK2J8N7"
# a playground in Westminster, London (invented use)
LAT, LON = 51.501009, -0.141588


def picture(width: int = 64, height: int = 48, mode: str = "RGB") -> Image.Image:
    """A deterministic image with detail, so coded data is not trivial."""
    img = Image.new(mode, (width, height))
    px = img.load()
    for y in range(height):
        for x in range(width):
            v = (x * 7 + y * 13) % 256
            px[x, y] = (v, (x * 3) % 256, (y * 5) % 256) if mode == "RGB" else (v, (x * 3) % 256, (y * 5) % 256, 200)
    return img


def encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def rational_dms(value: float, seconds_denominator: int = 100) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Degrees, minutes, seconds as EXIF rationals (seconds stored to 1/denominator)."""
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60 * seconds_denominator)
    return ((d, 1), (m, 1), (s, seconds_denominator))


def exif_tiff(
    *, gps: tuple[float, float] | None = (LAT, LON), owner: str | None = OWNER, serial: str | None = SERIAL,
    orientation: int | None = None, thumbnail: bytes | None = None, date: str | None = "2025:06:14 16:03:11",
    h_error: float | None = None,
) -> bytes:
    """A TIFF-structured EXIF block (no 'Exif\\0\\0' prefix) with the chosen identifying tags."""
    zeroth: dict[int, object] = {piexif.ImageIFD.Make: b"Examplephone", piexif.ImageIFD.Model: b"X 12"}
    exif: dict[int, object] = {}
    gps_ifd: dict[int, object] = {}
    if owner:
        zeroth[piexif.ImageIFD.Artist] = owner.encode()
        zeroth[piexif.ImageIFD.HostComputer] = f"{owner.split()[0]}'s phone".encode()
        exif[piexif.ExifIFD.CameraOwnerName] = owner.encode()
    if serial:
        exif[piexif.ExifIFD.BodySerialNumber] = serial.encode()
    if orientation:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    if date:
        zeroth[piexif.ImageIFD.DateTime] = date.encode()
        exif[piexif.ExifIFD.DateTimeOriginal] = date.encode()
    if gps:
        lat, lon = gps
        gps_ifd = {
            piexif.GPSIFD.GPSVersionID: (2, 3, 0, 0),
            piexif.GPSIFD.GPSLatitudeRef: b"N" if lat >= 0 else b"S",
            piexif.GPSIFD.GPSLatitude: rational_dms(lat),
            piexif.GPSIFD.GPSLongitudeRef: b"E" if lon >= 0 else b"W",
            piexif.GPSIFD.GPSLongitude: rational_dms(lon),
            piexif.GPSIFD.GPSAltitude: (31, 1),
        }
        if h_error is not None:
            gps_ifd[piexif.GPSIFD.GPSHPositioningError] = (int(h_error * 10), 10)
    first: dict[int, object] = {}
    if thumbnail:
        first = {piexif.ImageIFD.XResolution: (72, 1)}
    blob = piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps_ifd, "1st": first, "thumbnail": thumbnail})
    assert blob.startswith(b"Exif\x00\x00")
    return blob[6:]


def xmp_packet(*, creator: str = OWNER, city: str = "London", face: str = "Sam Example",
               gps: bool = True, padding: int = 0) -> bytes:
    gps_attrs = ' exif:GPSLatitude="51,30.0605N" exif:GPSLongitude="0,8.4953W"' if gps else ""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/"'
        ' xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"'
        f' photoshop:City="{city}"{gps_attrs}>'
        f'<dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>'
        '<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>'
        f'<rdf:li rdf:parseType="Resource"><mwg-rs:Name>{face}</mwg-rs:Name><mwg-rs:Type>Face</mwg-rs:Type></rdf:li>'
        '</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>'
        '</rdf:Description></rdf:RDF></x:xmpmeta>' + " " * padding + '<?xpacket end="w"?>'
    ).encode("utf-8")


# ------------------------------------------------------------------ JPEG --
def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def app1_exif(tiff: bytes) -> bytes:
    return segment(0xE1, b"Exif\x00\x00" + tiff)


def app1_xmp(packet: bytes) -> bytes:
    return segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet)


def app1_extended_xmp(packet: bytes, guid: bytes = b"0123456789ABCDEF0123456789ABCDEF", chunk: int = 60000) -> list[bytes]:
    out = []
    for off in range(0, len(packet), chunk):
        out.append(segment(0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + guid
                           + struct.pack(">II", len(packet), off) + packet[off : off + chunk]))
    return out


def app13_iptc(by_line: str = OWNER, city: str = "London") -> bytes:
    def ds(num: int, value: str) -> bytes:
        raw = value.encode()
        return b"\x1c\x02" + bytes([num]) + struct.pack(">H", len(raw)) + raw
    iim = ds(80, by_line) + ds(90, city)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    if len(iim) % 2:
        resource += b"\x00"
    return segment(0xED, b"Photoshop 3.0\x00" + resource)


def comment(text: str) -> bytes:
    return segment(0xFE, text.encode())


def icc_profile() -> bytes:
    """A real ICC profile (Pillow's built-in sRGB) for colour-profile tests."""
    from PIL import ImageCms
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[24:36] = bytes(12)  # lcms stamps the creation time: zero it so samples are reproducible
    profile[84:100] = bytes(16)  # and the profile ID (an MD5 over the stamped bytes)
    return bytes(profile)


def app2_icc(profile: bytes) -> bytes:
    return segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + profile)


def mp4_video(seconds: int = 2) -> bytes:
    """A minimal MP4 (ftyp + moov/mvhd) like the video a motion photo appends."""
    ftyp = struct.pack(">I", 20) + b"ftypisom" + struct.pack(">I", 0) + b"isom"
    mvhd_body = struct.pack(">B3xIIII", 0, 0, 0, 1000, seconds * 1000) + b"\x00" * 80
    mvhd = struct.pack(">I", 8 + len(mvhd_body)) + b"mvhd" + mvhd_body
    moov = struct.pack(">I", 8 + len(mvhd)) + b"moov" + mvhd
    mdat = struct.pack(">I", 16) + b"mdat" + b"\x00" * 8
    return ftyp + moov + mdat


def jpeg(extra_segments: list[bytes] = (), trailer: bytes = b"", *, progressive: bool = False,
         base: bytes | None = None) -> bytes:
    """A JPEG whose header carries ``extra_segments`` right after SOI, then ``trailer`` after EOI."""
    base = base or encode(picture(), "JPEG", quality=90, progressive=progressive)
    assert base[:2] == b"\xff\xd8"
    return base[:2] + b"".join(extra_segments) + base[2:] + trailer


def dirty_jpeg(orientation: int | None = None) -> bytes:
    thumb = encode(picture(16, 12), "JPEG", quality=50)
    return jpeg([
        app1_exif(exif_tiff(orientation=orientation, thumbnail=thumb)),
        app1_xmp(xmp_packet()),
        app13_iptc(),
        comment("Alex at the playground"),
    ], trailer=mp4_video(2))


# ------------------------------------------------------------------- PNG --
def png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, out = 8, []
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def png(before_idat: list[bytes] = (), after_idat: list[bytes] = (), trailer: bytes = b"",
        base: bytes | None = None) -> bytes:
    """A PNG with extra chunks placed before the first IDAT and after the last one."""
    base = base or encode(picture(), "PNG")
    chunks = png_chunks(base)
    out = [b"\x89PNG\r\n\x1a\n"]
    placed = False
    for ctype, body in chunks:
        if ctype == b"IDAT" and not placed:
            out.extend(before_idat)
            placed = True
        if ctype == b"IEND":
            out.extend(after_idat)
        out.append(png_chunk(ctype, body))
    return b"".join(out) + trailer


def text(keyword: str, value: str) -> bytes:
    return png_chunk(b"tEXt", keyword.encode("latin-1") + b"\x00" + value.encode("latin-1"))


def ztxt(keyword: str, value: bytes) -> bytes:
    return png_chunk(b"zTXt", keyword.encode("latin-1") + b"\x00\x00" + zlib.compress(value))


def itxt(keyword: str, value: str) -> bytes:
    return png_chunk(b"iTXt", keyword.encode("latin-1") + b"\x00\x00\x00\x00\x00" + value.encode())


def raw_profile_exif(tiff: bytes) -> bytes:
    blob = b"Exif\x00\x00" + tiff
    hexed = blob.hex()
    lines = "\n".join(hexed[i : i + 72] for i in range(0, len(hexed), 72))
    return ztxt("Raw profile type exif", f"\nexif\n{len(blob):8d}\n{lines}\n".encode())


def dirty_png(orientation: int | None = None) -> bytes:
    return png(
        before_idat=[text("Author", OWNER), itxt("XML:com.adobe.xmp", xmp_packet().decode()),
                     png_chunk(b"tIME", struct.pack(">HBBBBB", 2025, 6, 14, 16, 3, 11))],
        after_idat=[png_chunk(b"eXIf", exif_tiff(orientation=orientation))],
        trailer=b"leftover bytes of an older, uncropped screenshot",
    )


# ------------------------------------------------------------------ WebP --
def riff_chunk(fourcc: bytes, body: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")


def webp(extra: list[bytes] = (), *, lossless: bool = False, icc: bytes | None = None, trailer: bytes = b"",
         base: bytes | None = None) -> bytes:
    """An extended (VP8X) WebP with the given extra chunks after the image chunk."""
    base = base or encode(picture(), "WEBP", lossless=lossless, quality=80)
    assert base[:4] == b"RIFF" and base[8:12] == b"WEBP"
    image = base[12:]
    if image[:4] == b"VP8X":
        raise ValueError("base must be a simple WebP")
    width, height = picture().size
    flags = 0x20 if icc else 0
    vp8x = riff_chunk(b"VP8X", bytes([flags | 0x08 | 0x04, 0, 0, 0])
                      + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"))
    body = b"WEBP" + vp8x + (riff_chunk(b"ICCP", icc) if icc else b"") + image + b"".join(extra)
    return b"RIFF" + struct.pack("<I", len(body)) + body + trailer


def dirty_webp() -> bytes:
    return webp([riff_chunk(b"EXIF", exif_tiff()), riff_chunk(b"XMP ", xmp_packet())], icc=icc_profile())
