"""ICC colour profiles: kept by default, but only when they are what they claim to be.

Spec: ICC.1:2022 section 7 (header, tag table).  A profile is accepted when
its size field matches, it carries the 'acsp' signature, every tag lies inside
it, and every byte outside the header, the tag table and the tags is zero (but
for alignment padding), so nothing can ride along in the gaps or after the end.
Text inside the profile's own tags (description, copyright) belongs to the
profile maker and is kept with it.
"""
from __future__ import annotations

import struct

HEADER_BYTES = 128
STAMP_EXPLANATION = "Tells when the picture was exported: its colour profile was made and dated then"
MAX_TAGS = 1024


def is_valid_profile(data: bytes) -> bool:
    """True for a structurally sound ICC profile with no stray bytes."""
    if len(data) < HEADER_BYTES + 4 or data[36:40] != b"acsp":
        return False
    size, = struct.unpack_from(">I", data, 0)
    if size != len(data):
        return False
    count, = struct.unpack_from(">I", data, HEADER_BYTES)
    table_end = HEADER_BYTES + 4 + 12 * count
    if count > MAX_TAGS or table_end > size:
        return False
    covered = bytearray(size)  # 1 where a byte belongs to a known structure
    covered[:table_end] = b"\x01" * table_end
    for i in range(count):
        _sig, offset, length = struct.unpack_from(">4sII", data, HEADER_BYTES + 4 + 12 * i)
        if offset < table_end or offset + length > size:
            return False
        covered[offset : offset + length] = b"\x01" * length
    return not _stray_bytes(covered, data)


def _stray_bytes(covered: bytearray, data: bytes) -> bool:
    """Non-zero bytes outside every structure, beyond up-to-3-byte alignment padding.

    Real writers pad tags to 4 bytes with junk (a newline, say); longer
    uncovered runs may only hold zeros.
    """
    pos, size = 0, len(data)
    while pos < size:
        if covered[pos]:
            pos += 1
            continue
        end = pos
        while end < size and not covered[end]:
            end += 1
        padding = end - pos <= 3 and (end % 4 == 0 or end == size)
        if not padding and data[pos:end].strip(b"\x00"):
            return True
        pos = end
    return False


def is_stamped(profile: bytes) -> bool:
    """True when a profile was generated on the fly (lcms, e.g. by GIMP) and dated then.

    Vendor profiles (Apple Display P3, sRGB) carry a fixed date of their own
    design, which says nothing about the photo.  A profile made by lcms is dated
    when the picture was exported, so that date tells when the photo was edited.
    """
    if len(profile) < HEADER_BYTES:
        return False
    made_by_lcms = profile[4:8] == b"lcms" or profile[80:84] == b"lcms"
    return made_by_lcms and any(profile[24:36])


def stamp_date(profile: bytes) -> str:
    """The profile's creation date as text."""
    y, mo, d, h, mi, s = struct.unpack(">6H", profile[24:36])
    return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"


def without_stamp(profile: bytes) -> bytes:
    """The same profile with its creation date and ID (a checksum over the date) zeroed.

    Neither changes how colours look; an all-zero ID means "not computed".
    """
    clean = bytearray(profile)
    clean[24:36] = bytes(12)
    clean[84:100] = bytes(16)
    return bytes(clean)
