"""JPEGs with quantisation (DQT) and Huffman (DHT) tables the picture never uses.

Older Nikon Coolpix, Fujifilm, Olympus, Sanyo, Leica and Minolta cameras
write four quantisation tables and use two.  A spare table is 64 or 128
numbers anyone can choose, so these builders fill them with readable text.
"""
from __future__ import annotations

import struct

from tests.builders import core

#: 64 bytes an attacker chose, as a spare 8-bit quantisation table would carry them.
SECRET = b"Alex Example, 14 Elm Road, London; 51.5007N 0.1246W".ljust(64, b".")


def _segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each header segment up to the first scan."""
    out, pos = [], 2
    while data[pos + 1] != 0xDA:
        end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        out.append((data[pos + 1], pos, end))
        pos = end
    return out


def _dqt(table: int, numbers: bytes = SECRET, precision: int = 0) -> bytes:
    return bytes([precision << 4 | table]) + numbers


def _dht(table_class: int, table: int, symbols: bytes = SECRET[:12]) -> bytes:
    counts = bytes([0, 0, 0, len(symbols)]) + bytes(12)  # a valid code: every symbol four bits long
    return bytes([table_class << 4 | table]) + counts + symbols


def spare_dqt_segment(*, progressive: bool = False) -> bytes:
    """A picture with an extra DQT segment defining table 3 before its used tables."""
    base = core.encode(core.picture(), "JPEG", quality=90, progressive=progressive)
    return base[:2] + core.segment(0xDB, _dqt(3)) + base[2:]


def spare_dqt_in_a_shared_segment() -> bytes:
    """The used tables' DQT segment also defines table 2, which no component uses."""
    base = core.encode(core.picture(), "JPEG", quality=90)
    _, start, end = next(s for s in _segments(base) if s[0] == 0xDB)
    payload = base[start + 4 : end]
    grown = payload[:65] + _dqt(2) + payload[65:]
    return base[:start] + core.segment(0xDB, grown) + base[end:]


def spare_tables_of_both_kinds() -> bytes:
    """A 16-bit spare DQT table 3 and a spare AC Huffman table 3, each in its own segment."""
    base = core.encode(core.picture(), "JPEG", quality=90)
    spare_q = core.segment(0xDB, _dqt(3, SECRET + SECRET, precision=1))
    spare_h = core.segment(0xC4, _dht(1, 3))
    return base[:2] + spare_q + spare_h + base[2:]


def overwritten_dqt() -> bytes:
    """Table 0 defined twice before the frame: the first definition is never read by anyone."""
    base = core.encode(core.picture(), "JPEG", quality=90)
    return base[:2] + core.segment(0xDB, _dqt(0)) + base[2:]


def used_table_redefined_between_scans() -> bytes:
    """A progressive picture whose Huffman tables are redefined between scans (all of them used)."""
    return core.encode(core.picture(), "JPEG", quality=90, progressive=True)
