"""BigTIFF (8-byte offsets) is read and rebuilt as classic TIFF is: same allowlist, same checks."""
from __future__ import annotations

import struct

import pytest

from geoscrub import GeoscrubError, clean_bytes, scan_bytes
from geoscrub.errors import LimitExceeded, MalformedFile
from tests.builders import tiff as tb

from .conftest import pixels


_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 10: 8, 12: 8, 16: 8, 18: 8}
_CODES = {1: "B", 3: "H", 4: "I", 16: "Q", 18: "Q"}
#: Tags that say how the pixels decode.
_DECODE = (0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x0115, 0x011C, 0x0142, 0x0143, 0x828D, 0x828E)


class BigWalk:
    """An independent BigTIFF reader (not geoscrub's): directories, tag values, pixel bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.order = "<" if data[:2] == b"II" else ">"
        assert struct.unpack_from(self.order + "HHH", data, 2) == (43, 8, 0)

    def ifd(self, at: int) -> tuple[dict[int, tuple[int, ...] | bytes], int]:
        o, data = self.order, self.data
        (count,) = struct.unpack_from(o + "Q", data, at)
        entries: dict[int, tuple[int, ...] | bytes] = {}
        for i in range(count):
            pos = at + 8 + 20 * i
            tag, typ, n = struct.unpack_from(o + "HHQ", data, pos)
            size = _SIZES[typ] * n
            where = pos + 12 if size <= 8 else struct.unpack_from(o + "Q", data, pos + 12)[0]
            raw = data[where : where + size]
            entries[tag] = struct.unpack(o + _CODES[typ] * n, raw) if typ in _CODES else raw
        return entries, struct.unpack_from(o + "Q", data, at + 8 + 20 * count)[0]

    def pages(self) -> list[dict[int, tuple[int, ...] | bytes]]:
        out, at = [], struct.unpack_from(self.order + "Q", self.data, 8)[0]
        while at:
            entries, at = self.ifd(at)
            out.append(entries)
        return out

    def subs(self) -> list[dict[int, tuple[int, ...] | bytes]]:
        return [self.ifd(o)[0] for page in self.pages() for o in page.get(0x014A, ())]

    def picture(self, entries: dict[int, tuple[int, ...] | bytes]) -> tuple[object, bytes]:
        """(decoding tag values, the strips or tiles joined in order)."""
        offsets = entries.get(0x0111) or entries[0x0144]
        counts = entries.get(0x0117) or entries[0x0145]
        joined = b"".join(self.data[o : o + n] for o, n in zip(offsets, counts))
        return [(t, entries.get(t)) for t in _DECODE], joined


def same_pictures(dirty: bytes, cleaned: bytes, *, skip_pages: tuple[int, ...] = ()) -> bool:
    """Every kept page and SubIFD decodes alike: same decoding tags, same coded bytes; and,
    where Pillow reads the file (little-endian BigTIFF), the same decoded pixels."""
    before, after = BigWalk(dirty), BigWalk(cleaned)
    pages = [p for i, p in enumerate(before.pages()) if i not in skip_pages]
    if [before.picture(p) for p in pages] != [after.picture(p) for p in after.pages()]:
        return False
    if dirty[:2] == b"II":
        return pixels(cleaned) == [p for i, p in enumerate(pixels(dirty)) if i not in skip_pages]
    return True


def big_tags(data: bytes) -> dict[str, list[set[int]]]:
    walk = BigWalk(data)
    return {"pages": [set(p) for p in walk.pages()], "subs": [set(s) for s in walk.subs()]}


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("tiled", [False, True], ids=["strips", "tiles"])
def test_bigtiff_is_cleaned_in_both_byte_orders_and_stays_bigtiff(order, tiled):
    dirty = tb.dirty_tiff(order, tiled=tiled, big=True)
    found = scan_bytes(dirty)[1]
    keys = {f.key for f in found.findings}
    assert {"Artist", "GPSPosition", "BodySerialNumber", "XMP", "GeoKeyDirectory"} <= keys
    assert found.location is not None and found.location.latitude == pytest.approx(tb.LAT, abs=1e-4)
    cleaned = clean_bytes(dirty)[2]
    assert cleaned[:4] == dirty[:4]
    assert same_pictures(dirty, cleaned)
    assert scan_bytes(cleaned)[1].findings == ()
    assert tb.OWNER.encode() not in cleaned and tb.SERIAL.encode() not in cleaned
    [page] = big_tags(cleaned)["pages"]
    assert not page & {tb.ARTIST, 0x8769, 0x8825, tb.XMP, *tb.GEOTIFF}
    assert ((0x0144 in page) == tiled) and ((0x0111 in page) != tiled)
    assert clean_bytes(cleaned)[2] == cleaned


@pytest.mark.parametrize("order", ["<", ">"])
def test_bigtiff_dng_keeps_its_raw_subifd_byte_for_byte_and_drops_the_preview(order):
    dirty = tb.dng(order, big=True)
    cleaned = clean_bytes(dirty)[2]
    assert tb.raw_tile() in cleaned
    assert b"fake preview" not in cleaned and tb.SERIAL.encode() not in cleaned
    walked = big_tags(cleaned)
    assert len(walked["subs"]) == 1 and 0x828E in walked["subs"][0]  # the CFA raw image
    assert 0xC612 in walked["pages"][0]  # DNGVersion still there
    raw_before = BigWalk(dirty).picture(BigWalk(dirty).subs()[0])
    assert BigWalk(cleaned).picture(BigWalk(cleaned).subs()[0]) == raw_before


@pytest.mark.parametrize("order", ["<", ">"])
def test_bigtiff_pages_are_kept_except_the_thumbnail_page(order):
    dirty = tb.multipage_tiff(order, big=True)
    cleaned = clean_bytes(dirty)[2]
    assert len(big_tags(dirty)["pages"]) == 4 and len(big_tags(cleaned)["pages"]) == 3
    assert same_pictures(dirty, cleaned, skip_pages=(1,))


def test_bigtiff_with_an_offset_size_other_than_8_is_refused():
    data = bytearray(tb.dirty_tiff(big=True))
    data[4:6] = struct.pack("<H", 4)
    with pytest.raises(MalformedFile, match="BigTIFF"):
        clean_bytes(bytes(data))


def test_bigtiff_directory_loop_is_refused():
    data = bytearray(tb.tiff([tb.rgb_page()], big=True))
    first = struct.unpack_from("<Q", data, 8)[0]
    (count,) = struct.unpack_from("<Q", data, first)
    struct.pack_into("<Q", data, first + 8 + 20 * count, first)  # next IFD: itself
    with pytest.raises(MalformedFile):
        clean_bytes(bytes(data))


def test_bigtiff_entry_count_over_the_limit_is_refused():
    data = bytearray(tb.tiff([tb.rgb_page()], big=True))
    first = struct.unpack_from("<Q", data, 8)[0]
    struct.pack_into("<Q", data, first, 1 << 40)
    with pytest.raises(GeoscrubError) as info:
        clean_bytes(bytes(data))
    assert isinstance(info.value, (LimitExceeded, MalformedFile))
