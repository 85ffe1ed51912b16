"""Writing a cleaned HEIF file: new ``ftyp``, ``meta`` and ``mdat``, kept coded data copied by range."""
from __future__ import annotations

import bisect
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import MalformedFile, UnsafeToClean
from ..metadata import icc
from ..model import Policy
from .base import Plan
from .heif_items import Heif
from .heif_kept import ORIENTATION_PROPERTIES, icc_span, judged
from .isobmff import box, full_box

# ------------------------------------------------------------------ writing --


def _pack_id(value: int, wide: bool) -> bytes:
    return struct.pack(">I" if wide else ">H", value)


class Layout:
    """Where the kept extents go in a new data area, duplicates and overlaps shared."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, stop in sorted(set(spans)):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], stop)
            else:
                merged.append([start, stop])
        self.ranges = merged
        self.new_start: list[int] = []
        pos = 0
        for start, stop in merged:
            self.new_start.append(pos)
            pos += stop - start
        self.size = pos
        self.starts = [start for start, _ in merged]

    def where(self, offset: int) -> int:
        at = bisect.bisect_right(self.starts, offset) - 1
        if at < 0 or offset >= self.ranges[at][1]:
            raise MalformedFile("HEIF item data could not be placed")  # unreachable for checked extents
        return self.new_start[at] + offset - self.ranges[at][0]

    def copies(self, base: int = 0) -> list[range]:
        """The ranges of the file that fill the new data area, in order."""
        return [range(base + start, base + stop) for start, stop in self.ranges]


@dataclass
class _Plan:
    keep: set[int]
    props: list[int]  # original property indices kept, in order
    rewritten_props: dict[int, bytes]
    links: dict[int, set[int]]  # item -> the original property indices it keeps


def _plan(data: bytes, heif: Heif, policy: Policy) -> _Plan:
    kept = judged(data, heif)
    links: dict[int, set[int]] = {}
    rewritten: dict[int, bytes] = {}
    for item_id, item_props in kept.props.items():
        for index, prop, _ in item_props:
            if prop.type in ORIENTATION_PROPERTIES and not policy.keep_orientation:
                continue
            if prop.type == b"colr":
                span = icc_span(data, prop)
                if span is not None:
                    if not policy.keep_color_profile:
                        continue
                    profile = data[span[0] : span[1]]
                    if icc.is_stamped(profile):
                        rewritten[index] = box(b"colr", data[prop.payload : span[0]], icc.without_stamp(profile))
            links.setdefault(item_id, set()).add(index)
    return _Plan(kept.keep, sorted(set().union(*links.values())), rewritten, links)


def rebuild_plan(data: bytes, heif: Heif, policy: Policy) -> Plan:
    """The cleaned file: new ``ftyp``, ``meta`` and ``mdat`` header, then the kept coded data copied as it is."""
    plan = _plan(data, heif, policy)
    order = [i for i in heif.items if i in plan.keep]  # iinf order
    wide = max(order) > 0xFFFF
    mdat_layout = Layout((off, off + n) for i in order if heif.items[i].method == 0
                          for off, n in heif.items[i].extents)
    idat_layout = Layout((off, off + n) for i in order if heif.items[i].method == 1
                          for off, n in heif.items[i].extents)
    if mdat_layout.size + len(data) > 0xFFFFFFFF:  # item offsets are written with 32 bits
        raise UnsafeToClean("this HEIF is over 4 GB, more than its rebuilt item offsets can address")

    # -- parts of meta that do not depend on where mdat lands
    hdlr = full_box(b"hdlr", 0, 0, bytes(4), b"pict", bytes(12), b"\x00")
    dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1))) \
        if heif.has_dinf else b""
    pitm = full_box(b"pitm", 1 if wide else 0, 0, _pack_id(heif.primary, wide))
    infes = [full_box(b"infe", 3 if wide else 2, 1 if heif.items[i].hidden else 0,
                      _pack_id(i, wide), b"\x00\x00", heif.items[i].type, b"\x00") for i in order]
    iinf = full_box(b"iinf", 0 if len(infes) <= 0xFFFF else 1, 0,
                    struct.pack(">H" if len(infes) <= 0xFFFF else ">I", len(infes)), *infes)
    refs = []
    for r in heif.refs:
        if r.from_id not in plan.keep:
            continue
        targets = tuple(t for t in r.to_ids if t in plan.keep)
        if not targets:
            continue
        refs.append(box(r.type, _pack_id(r.from_id, wide), struct.pack(">H", len(targets)),
                        *(_pack_id(t, wide) for t in targets)))
    iref = full_box(b"iref", 1 if wide else 0, 0, *refs) if refs else b""
    new_index = {old: new for new, old in enumerate(plan.props, start=1)}
    ipco = box(b"ipco", *(plan.rewritten_props.get(i) or bytes(data[heif.props[i - 1].start : heif.props[i - 1].end])
                          for i in plan.props))
    big_index = len(plan.props) > 127
    entries = []
    for item_id in heif.assoc_order:
        if item_id not in plan.keep:
            continue
        links = [(new_index[i], ess) for i, ess in heif.assoc[item_id] if i in plan.links.get(item_id, ())]
        if not links:
            continue
        packed = b"".join(struct.pack(">H", n | (0x8000 if e else 0)) if big_index
                          else struct.pack(">B", n | (0x80 if e else 0)) for n, e in links)
        entries.append(_pack_id(item_id, wide) + struct.pack(">B", len(links)) + packed)
    ipma = full_box(b"ipma", 1 if wide else 0, 1 if big_index else 0, struct.pack(">I", len(entries)), *entries)
    iprp = box(b"iprp", ipco, ipma)
    idat = box(b"idat", *(bytes(data[r.start : r.stop]) for r in idat_layout.copies(heif.idat.payload))) \
        if idat_layout.ranges and heif.idat else b""
    grpl = b""
    groups = [(t, gid, tuple(i for i in ids if i in plan.keep)) for t, gid, ids in heif.groups]
    groups = [g for g in groups if len(g[2]) >= (2 if g[0] == b"altr" else 1)]
    if groups:
        grpl = box(b"grpl", *(full_box(t, 0, 0, struct.pack(">II", gid, len(ids)),
                                       *(struct.pack(">I", i) for i in ids)) for t, gid, ids in groups))

    located = [i for i in order if heif.items[i].located]
    use_method = any(heif.items[i].method == 1 for i in located)
    iloc_version = 2 if wide else (1 if use_method else 0)

    def iloc(mdat_payload: int) -> bytes:
        rows = []
        for i in located:
            item = heif.items[i]
            layout, base = (idat_layout, 0) if item.method == 1 else (mdat_layout, mdat_payload)
            row = [_pack_id(i, iloc_version == 2)]
            if iloc_version:
                row.append(struct.pack(">H", item.method))
            row.append(struct.pack(">HH", 0, len(item.extents)))
            for off, n in item.extents:
                row.append(struct.pack(">II", base + layout.where(off), n))
            rows.append(b"".join(row))
        count = struct.pack(">I" if iloc_version == 2 else ">H", len(rows))
        return full_box(b"iloc", iloc_version, 0, b"\x44\x00", count, *rows)

    def meta(mdat_payload: int) -> bytes:
        return full_box(b"meta", 0, 0, hdlr, dinf, pitm, iloc(mdat_payload), iinf, iref, iprp, idat, grpl)

    ftyp = bytes(data[heif.ftyp.start : heif.ftyp.end])
    meta_len = len(meta(0))
    mdat_payload = len(ftyp) + meta_len + 8
    new_meta = meta(mdat_payload)
    if len(new_meta) != meta_len:
        raise MalformedFile("HEIF layout did not settle")  # cannot happen: fixed-size fields
    mdat_header = struct.pack(">I", 8 + mdat_layout.size) + b"mdat"
    return [ftyp + new_meta + mdat_header, *mdat_layout.copies()]
