"""Walking kept HEIF coded data unit by unit: HEVC NAL units and AV1 OBUs.

Whatever is kept is copied byte for byte, so units a decoder skips, and
notes (SEI, metadata OBUs) that can hold text, are refused; only
number-only notes of their exact size pass.
"""
from __future__ import annotations

from .._binary import u16
from ..errors import UnsafeToClean
from .heif_items import CODED_TYPES, Heif, item_stream
from .isobmff import Box


def hvcc_length_size(data: bytes, prop: Box) -> int:
    """Read an HEVC decoder configuration to its exact end; return the NAL length-field size."""
    p, end = prop.payload, prop.end
    if end - p < 23 or data[p] != 1:
        raise UnsafeToClean("HEIF picture settings ('hvcC') are not understood")
    length_size = (data[p + 21] & 3) + 1
    if length_size == 3:
        raise UnsafeToClean("HEIF picture settings ('hvcC') use an invalid length size")
    q = p + 23
    for _ in range(data[p + 22]):
        if q + 3 > end:
            raise UnsafeToClean("HEIF picture settings ('hvcC') are cut off")
        array_type, count = data[q] & 0x3F, u16(data, q + 1)
        q += 3
        for _ in range(count):
            if q + 2 > end:
                raise UnsafeToClean("HEIF picture settings ('hvcC') are cut off")
            n = u16(data, q)
            if q + 2 + n > end:
                raise UnsafeToClean("HEIF picture settings ('hvcC') are cut off")
            nal = bytes(data[q + 2 : q + 2 + n])
            if n < 2 or (nal[0] >> 1) & 0x3F != array_type or array_type not in _HEVC_CONFIG_NALS:
                raise UnsafeToClean("HEIF picture settings ('hvcC') hold a unit geoscrub does not know")
            _check_nal(nal)
            q += 2 + n
    if q != end:
        raise UnsafeToClean("HEIF picture setting 'hvcC' holds extra bytes (they may hide metadata)")
    return length_size


#: HEVC NAL unit types that may appear: coded slices, parameter sets, delimiters, notes (checked).
_HEVC_VCL = set(range(10)) | set(range(16, 22))
_HEVC_CONFIG_NALS = {32, 33, 34, 39, 40}
_HEVC_NALS = _HEVC_VCL | {32, 33, 34, 35, 36, 37, 38, 39, 40}
#: SEI messages made only of numbers, with their exact sizes:
#: mastering display colour volume, content light level, alternative transfer characteristics.
_SEI_SIZES = {137: 24, 144: 4, 147: 1}


#: NAL types whose body is read and checked; the others are picture data and only their header matters.
_NALS_WITH_CHECKED_BODY = {35, 36, 37, 38, 39, 40}


def _check_nal_at(stream: bytes, pos: int, length: int) -> None:
    """``_check_nal`` on ``stream[pos:pos+length]``, reading a coded slice's header only."""
    header = stream[pos : pos + 2]
    if len(header) == 2 and (header[0] >> 1) & 0x3F not in _NALS_WITH_CHECKED_BODY:
        _check_nal(header)  # the body of a slice or parameter set is picture data
    else:
        _check_nal(stream[pos : pos + length])


def _check_nal(nal: bytes) -> None:
    """One HEVC NAL unit: a known type of the base layer; notes and filler hold nothing else."""
    if len(nal) < 2 or nal[0] & 0x80:
        raise UnsafeToClean("HEIF picture data is not a valid HEVC stream")
    kind = (nal[0] >> 1) & 0x3F
    layer = ((nal[0] & 1) << 5) | (nal[1] >> 3)
    if kind not in _HEVC_NALS or layer or not nal[1] & 7:
        raise UnsafeToClean(f"HEIF picture data holds a unit (type {kind}) that decoders skip; it may hide metadata")
    body = nal[2:]
    if kind == 35 and (len(body) != 1 or body[0] & 0x1F != 0x10):
        raise UnsafeToClean("HEIF picture data has an unusual access unit delimiter")
    if kind in (36, 37) and body:
        raise UnsafeToClean("HEIF picture data has an end marker that carries data")
    if kind == 38 and (body[-1:] != b"\x80" or body[:-1].strip(b"\xff")):
        raise UnsafeToClean("HEIF picture data has filler that is not blank")
    if kind in (39, 40):
        _check_sei(body)


def _check_sei(body: bytes) -> None:
    """Only number-only notes of their exact size; anything else (user text) is refused."""
    rbsp = body.replace(b"\x00\x00\x03", b"\x00\x00")
    pos = 0
    while True:
        if rbsp[pos:] == b"\x80":
            return
        kind = size = 0
        for which in (0, 1):
            value = 0
            while pos < len(rbsp) and rbsp[pos] == 0xFF:
                value, pos = value + 255, pos + 1
            if pos >= len(rbsp):
                raise UnsafeToClean("HEIF picture note (SEI) is cut off")
            value, pos = value + rbsp[pos], pos + 1
            if which == 0:
                kind = value
            else:
                size = value
        if _SEI_SIZES.get(kind) != size or pos + size > len(rbsp):
            raise UnsafeToClean(f"HEIF picture carries a note (SEI type {kind}) that may hold text")
        pos += size


def check_av1c(data: bytes, prop: Box) -> None:
    """AV1 decoder configuration: 4 bytes, then at most a sequence header."""
    p, end = prop.payload, prop.end
    if end - p < 4 or data[p] != 0x81:
        raise UnsafeToClean("AVIF picture settings ('av1C') are not understood")
    for kind, _, _ in _obus(data, p + 4, end, "AVIF picture settings ('av1C')"):
        if kind != 1:
            raise UnsafeToClean("AVIF picture settings ('av1C') hold something other than a sequence header")


#: AV1 OBU types allowed in picture data: sequence header, temporal delimiter, frame header,
#: tile group, frame, redundant frame header.  Metadata is checked; padding and others refused.
_AV1_OBUS = {1, 2, 3, 4, 6, 7}
#: Metadata OBUs made only of numbers (content light level, mastering display) with their sizes.
_AV1_METADATA_SIZES = {1: 4 + 1, 2: 24 + 1}


def _obus(stream: bytes, pos: int, end: int, what: str) -> list[tuple[int, int, int]]:
    """(type, payload start, payload end) of each AV1 OBU, which must carry its own size
    and fill ``stream[pos:end]`` exactly."""
    out = []
    while pos < end:
        head = stream[pos]
        if head & 0x81 or not head & 0x02:
            raise UnsafeToClean(f"{what} are not a plain AV1 stream")
        kind = (head >> 3) & 0xF
        pos += 2 if head & 0x04 else 1
        size, shift = 0, 0
        for _ in range(8):
            if pos >= end:
                raise UnsafeToClean(f"{what} are cut off")
            byte, pos = stream[pos], pos + 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        else:
            raise UnsafeToClean(f"{what} are not a plain AV1 stream")
        if pos + size > end:
            raise UnsafeToClean(f"{what} are cut off")
        out.append((kind, pos, pos + size))
        pos += size
    return out


def check_coded_data(data: bytes, heif: Heif, keep: set[int]) -> None:
    """Walk the units of every kept HEVC and AV1 picture: nothing a decoder skips may ride along."""
    for i in keep:
        item = heif.items[i]
        if item.type == b"hvc1":
            config = heif.prop(i, b"hvcC")
            if config is None:
                raise UnsafeToClean(f"HEIF picture {i} has no HEVC settings")
            width = hvcc_length_size(data, config)
            stream, pos, end = item_stream(data, heif, item)
            while pos < end:
                if pos + width > end:
                    raise UnsafeToClean("HEIF picture data ends in the middle of a unit")
                n = int.from_bytes(stream[pos : pos + width], "big")
                pos += width
                if n < 2 or pos + n > end:
                    raise UnsafeToClean("HEIF picture data is not a valid HEVC stream")
                _check_nal_at(stream, pos, n)
                pos += n
        elif item.type == b"av01":
            stream, start, end = item_stream(data, heif, item)
            for kind, payload_start, payload_end in _obus(stream, start, end, "AVIF picture data"):
                if kind == 5:
                    size = payload_end - payload_start
                    meta_type = stream[payload_start] if size else -1
                    if _AV1_METADATA_SIZES.get(meta_type) != size - 1 or stream[payload_end - 1] != 0x80:
                        raise UnsafeToClean(f"AVIF picture carries a note (metadata type {meta_type}) "
                                            "that may hold text")
                elif kind not in _AV1_OBUS:
                    raise UnsafeToClean(f"AVIF picture data holds a unit (type {kind}) that decoders skip; "
                                        "it may hide metadata")
        elif item.type in CODED_TYPES:
            raise UnsafeToClean(f"HEIF pictures coded as '{item.label}' cannot be checked by geoscrub yet")
