"""MP4, MOV (QuickTime), 3GP and M4V videos: keep the film and its sound, drop the rest.

Cleaning writes the file's own top-level boxes in their own order, keeping
only ``ftyp``, a rebuilt ``moov`` and the media data (``mdat``).  The new
``moov`` holds the video and sound tracks with exactly what plays them
(sample tables, sample descriptions with their codec configuration, edit
lists, the track matrix that says which way up the film is shown) and the
header dates set to zero.  User data, ``meta`` key lists, XMP, vendor boxes
and every other track (GPS and sensor tracks, timecode, text, hints) are left
out.  The media data is rebuilt from the chunks of the kept tracks only,
copied by range, so the samples of a dropped track are not in the output at
all; every chunk offset is rewritten to match.

Fragmented MP4, encrypted video, film stored in another file and anything
else not understood is refused with a reason.
"""
from __future__ import annotations

import bisect
import itertools
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .. import limits
from .._binary import type_name, u32
from ..errors import GeoscrubError, MalformedFile, TruncatedFile, UnsafeToClean, UnsupportedFormat
from ..fileview import is_zero_padding
from ..model import Category, Finding, Location, Policy, ScanResult, better_location
from . import video_tags
from .base import Plan, join_plan, remember_last_parses
from .heif_items import BRANDS as HEIF_BRANDS
from .isobmff import Box, Budget, ascii4, labelled_views, prefix_brands, read_header, same_labelled_spans
from .movie import Movie, read_movie
from .video_rebuild import decoding_spans, rebuild_movie

T = TypeVar("T")

#: First boxes of a QuickTime movie written before 'ftyp' existed.
OLD_QUICKTIME_STARTS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
#: ISO media that is not a film: Canon raw photos, and HEIF (handled by formats/heif.py).
NOT_VIDEO_BRANDS = HEIF_BRANDS | {b"crx ", b"heis", b"heim", b"hevx", b"jp2 ", b"jpx ", b"jpm "}
#: Top-level boxes of a fragmented or segmented file.
FRAGMENT_BOXES = {b"moof", b"mfra", b"sidx", b"ssix", b"styp", b"emsg", b"prft"}
#: Top-level boxes that only take up room.
FILLER = {b"free", b"skip", b"wide"}


def video_kind(prefix: bytes) -> str | None:
    """'MP4', 'MOV', '3GP', 'M4V' or None, from the first bytes."""
    if len(prefix) < 12:
        return None
    if prefix[4:8] == b"ftyp":
        brands = prefix_brands(prefix)
        major = bytes(prefix[8:12])
        if not ascii4(major) or brands & NOT_VIDEO_BRANDS:
            return None
        if major == b"qt  ":
            return "MOV"
        if major[:3] in (b"3gp", b"3g2", b"3ge", b"3gs"):
            return "3GP"
        if major[:3] == b"M4V":
            return "M4V"
        return "MP4"
    if bytes(prefix[4:8]) in OLD_QUICKTIME_STARTS:
        size = u32(prefix, 0)
        return "MOV" if size in (0, 1) or size >= 8 else None
    return None


@dataclass
class Video:
    """What was read from one file."""

    top: list[Box]
    tail_start: int
    moov: Box
    m: bytes  # the movie box's bytes
    movie: Movie
    mdats: list[Box]
    #: Byte ranges of the file holding kept film and sound, sorted, touching ones merged.
    kept: list[tuple[int, int]]
    #: Byte ranges of every track's chunks (kept or not), sorted and merged: what the media data accounts for.
    used: list[tuple[int, int]]


@remember_last_parses
def parse(data: bytes) -> Video:
    """Read the top-level boxes and the movie box; raise a GeoscrubError on anything odd."""
    return _typed(_parse, data)


def _typed(func: Callable[..., T], *args: object) -> T:
    """Run ``func``; a slip on hostile bytes becomes MalformedFile, never a traceback."""
    try:
        return func(*args)
    except GeoscrubError:
        raise
    except (IndexError, KeyError, ValueError, OverflowError, struct.error, UnicodeError, MemoryError) as err:
        raise MalformedFile(f"video structure could not be read ({type(err).__name__})") from None


def _top_boxes(data: bytes, budget: Budget) -> tuple[list[Box], int]:
    top: list[Box] = []
    pos, end = 0, len(data)
    while pos < end:
        btype = bytes(data[pos + 4 : pos + 8])
        if end - pos < 8 or not ascii4(btype):
            break
        try:
            b = read_header(data, pos, end)
        except TruncatedFile:
            if btype in (b"moov", b"mdat", b"ftyp"):
                raise TruncatedFile(f"the video is cut short: its '{type_name(btype)}' box runs past the end", pos) \
                    from None
            break  # bytes after the last box that merely look like a box header
        budget.spend()
        top.append(b)
        pos = b.end
    return top, pos


def _parse(data: bytes) -> Video:
    if video_kind(data[:64]) is None:
        raise UnsupportedFormat("not an MP4/MOV video")
    budget = Budget()
    top, tail_start = _top_boxes(data, budget)
    types = [b.type for b in top]
    if set(types) & FRAGMENT_BOXES:
        raise UnsafeToClean("fragmented MP4 (a video streamed in pieces) cannot be cleaned yet")
    if b"ftyp" in types and (types.index(b"ftyp") != 0 or types.count(b"ftyp") != 1):
        raise MalformedFile("the video's 'ftyp' box is not the first box, or there are two")
    if b"ftyp" in types:
        _check_brands(data, top[0])
    moovs = [b for b in top if b.type == b"moov"]
    if len(moovs) != 1:
        raise MalformedFile("the video has no movie box ('moov')" if not moovs else "the video has two movie boxes")
    moov = moovs[0]
    limits.enforce("MAX_MOVIE_BOX_BYTES", moov.size, limits.MAX_MOVIE_BOX_BYTES)
    m = bytes(data[moov.start : moov.end])
    movie = read_movie(m, budget)
    if not any(t.kept for t in movie.tracks):
        raise UnsafeToClean("the video has no film or sound track to keep")
    mdats = [b for b in top if b.type == b"mdat"]
    kept, used = _check_chunks(data, movie, mdats)
    return Video(top, tail_start, moov, m, movie, mdats, kept, used)


def _check_brands(data: bytes, ftyp: Box) -> None:
    if ftyp.size < 16 or (ftyp.end - ftyp.payload) % 4 or ftyp.size > 1024:
        raise MalformedFile("the video's 'ftyp' box is not a plain list of brands", ftyp.start)
    for p in range(ftyp.payload, ftyp.end, 4):
        if p != ftyp.payload + 4 and not ascii4(bytes(data[p : p + 4])) and bytes(data[p : p + 4]) != bytes(4):
            raise MalformedFile("the video's 'ftyp' box holds something other than brands", p)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, stop in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], stop))
        else:
            out.append((start, stop))
    return out


def _check_chunks(data: bytes, movie: Movie, mdats: list[Box]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Kept chunks must lie inside the media data, each byte in one chunk, none shared with a dropped track."""
    starts = [b.payload for b in mdats]
    kept: list[tuple[int, int]] = []
    for track in movie.tracks:
        if not track.kept:
            continue
        for off, length in track.chunks:
            if not length:
                continue
            if off + length > len(data):
                raise TruncatedFile("the video's film or sound is missing: the file was cut short "
                                    "or its media data was cut away")
            at = bisect.bisect_right(starts, off) - 1
            if at < 0 or off + length > mdats[at].end:
                raise MalformedFile("a piece of the film or sound lies outside the media data", off)
            kept.append((off, off + length))
    limits.enforce("MAX_VIDEO_CHUNKS", len(kept), limits.MAX_VIDEO_CHUNKS)
    kept.sort()
    for (_, stop), (start, _) in itertools.pairwise(kept):
        if start < stop:
            raise MalformedFile("two pieces of the film or sound claim the same bytes", start)
    kept_starts = [s for s, _ in kept]
    dropped: list[tuple[int, int]] = []
    for track in movie.tracks:
        if track.kept or track.external:
            continue
        for off, length in track.chunks:
            if not length:
                continue
            at = bisect.bisect_right(kept_starts, off + length - 1) - 1
            if at >= 0 and kept[at][1] > off:
                raise UnsafeToClean("a track that is removed shares bytes with the film or sound", off)
            dropped.append((off, off + length))
    return _merged(kept), _merged(kept + dropped)


# ------------------------------------------------------------------ findings --


def _findings(data: bytes, video: Video) -> ScanResult:
    findings, location = video_tags.movie_findings(video.m, video.movie, Budget())
    for b in video.top:
        if b.type in (b"ftyp", b"moov", b"mdat"):
            continue
        found, where = _top_box_findings(data, b)
        findings += found
        location = better_location(location, where)
    if video.tail_start < len(data) and not is_zero_padding(data, video.tail_start):
        findings.append(Finding.make(Category.OTHER, "TrailingData", f"{len(data) - video.tail_start} bytes",
                                     video_tags.words("trailer"), video_tags.SOURCE))
    loose = _unused_bytes(data, video)
    if loose:
        findings.append(Finding.make(Category.OTHER, "UnusedMediaData", f"{loose} bytes",
                                     video_tags.words("unused"), video_tags.SOURCE))
    return ScanResult(tuple(findings), location)


def _readable_findings(data: bytes) -> ScanResult:
    budget = Budget()
    top, _ = _top_boxes(data, budget)
    findings: list[Finding] = []
    location: Location | None = None
    for b in top:
        if b.type in (b"ftyp", b"mdat"):
            continue
        if b.type == b"moov" and b.size <= limits.MAX_MOVIE_BOX_BYTES:
            m = bytes(data[b.start : b.end])
            found, where = video_tags.loose_movie_findings(m, budget)
        else:
            found, where = _top_box_findings(data, b)
        findings += found
        location = better_location(location, where)
    return ScanResult(tuple(findings), location)


def _top_box_findings(data: bytes, b: Box) -> tuple[list[Finding], Location | None]:
    """A top-level box cleaning leaves out (free space, XMP, a stray 'meta' or vendor box)."""
    if b.type in FILLER and is_zero_padding(data, b.payload, b.end):
        return [], None
    limit = min(b.end, b.start + limits.MAX_METADATA_BYTES)
    if b.type in FILLER or b.end > limit:
        key = "FreeSpace" if b.type in FILLER else f"'{b.name}' box"
        word = "free" if b.type in FILLER else "box"
        return [Finding.make(Category.OTHER, key, f"{b.size} bytes", video_tags.words(word), video_tags.SOURCE)], None
    piece = bytes(data[b.start : b.end])
    return video_tags.box_findings(piece, Box(b.type, 0, b.payload - b.start, b.size))


def _unused_bytes(data: bytes, video: Video) -> int:
    """Non-zero bytes in the media data that no track uses: they are dropped, so say so."""
    loose = 0
    starts = [s for s, _ in video.used]
    for m in video.mdats:
        pos = m.payload
        first = max(0, bisect.bisect_right(starts, m.payload) - 1)
        for start, stop in video.used[first:]:
            if start >= m.end:
                break
            if stop <= pos:
                continue
            if start > pos and not is_zero_padding(data, pos, start):
                loose += start - pos
            pos = max(pos, stop)
        if pos < m.end and not is_zero_padding(data, pos, m.end):
            loose += m.end - pos
    return loose


# ------------------------------------------------------------------- writing --


def _mdat_header(size: int) -> bytes:
    if size + 8 <= 0xFFFFFFFF:
        return struct.pack(">I", size + 8) + b"mdat"
    return struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", size + 16)


def _rebuild_plan(data: bytes, video: Video, policy: Policy) -> Plan:
    """ftyp, the new moov and the new media data, in the file's own order; kept chunks copied by range."""
    starts = [s for s, _ in video.kept]
    spans_in: dict[int, list[tuple[int, int]]] = {}  # mdat start -> the kept spans inside it
    for m in video.mdats:
        first, last = bisect.bisect_left(starts, m.payload), bisect.bisect_left(starts, m.end)
        spans_in[m.start] = video.kept[first:last]
    moov_size = len(rebuild_movie(video.m, video.movie, lambda off: 0, policy))
    new_start: dict[int, int] = {}  # kept span start -> where it lands in the new file
    pos = 0
    for b in video.top:
        if b.type == b"ftyp":
            pos += b.size
        elif b.type == b"moov":
            pos += moov_size
        elif b.type == b"mdat" and spans_in[b.start]:
            pos += len(_mdat_header(sum(e - s for s, e in spans_in[b.start])))
            for s, e in spans_in[b.start]:
                new_start[s] = pos
                pos += e - s
    where = [new_start[s] for s in starts]

    def moved(off: int) -> int:
        at = bisect.bisect_right(starts, off) - 1
        if at < 0:
            return off  # an empty chunk before any data: nothing is read there
        return where[at] + off - starts[at]

    moov = rebuild_movie(video.m, video.movie, moved, policy)
    if len(moov) != moov_size:
        raise MalformedFile("the video's layout did not settle")  # cannot happen: fixed-size fields
    plan: Plan = []
    for b in video.top:
        if b.type == b"ftyp":
            plan.append(bytes(data[b.start : b.end]))
        elif b.type == b"moov":
            plan.append(moov)
        elif b.type == b"mdat" and spans_in[b.start]:
            spans = spans_in[b.start]
            plan.append(_mdat_header(sum(e - s for s, e in spans)))
            plan.extend(range(s, e) for s, e in spans)
    return plan


# ------------------------------------------------------------------- format --


class VideoFormat:
    """MP4, MOV, 3GP and M4V: one reader, four names (told apart by the 'ftyp' brand)."""

    #: Big files are read on demand: only the boxes and the movie box are read; media data is copied by range.
    reads_views = True

    def __init__(self, name: str, extension: str) -> None:
        self.name, self.extension = name, extension

    def accept(self, prefix: bytes) -> bool:
        return video_kind(prefix) == self.name

    def scan(self, data: bytes) -> ScanResult:
        return _typed(_findings, data, parse(data))

    def scan_readable(self, data: bytes) -> ScanResult:
        """What the movie box says (user data, key lists, dates), for a video that cannot be cleaned.

        ``check`` reports it with the problem (a clip whose media data is
        missing still names its maker and place); cleaning refuses the file regardless.
        """
        return _typed(_readable_findings, data)

    def strip(self, data: bytes, policy: Policy) -> bytes:
        return join_plan(self.strip_plan(data, policy), data)

    def strip_plan(self, data: bytes, policy: Policy) -> Plan:
        return _typed(_rebuild_plan, data, parse(data), policy)

    def image_data(self, data: bytes) -> Sequence[bytes | memoryview]:
        """Every kept track's playing instructions and its samples, in order."""
        return labelled_views(data, _typed(_film_parts, data))

    def same_picture(self, original: bytes, cleaned: bytes) -> bool:
        """The kept tracks play the same: same tables and codec settings, same sample bytes (in windows)."""
        return same_labelled_spans(original, _typed(_film_parts, original), cleaned, _typed(_film_parts, cleaned))


def _film_parts(data: bytes) -> list[tuple[bytes, list[tuple[int, int]]]]:
    """For the movie and each kept track: a label, and the file spans that decide how it plays."""
    video = parse(data)
    base = video.moov.start
    parts = []
    for label, spans in decoding_spans(video.m, video.movie):
        parts.append((label, [(base + s, base + e) for s, e in spans]))
    for track in video.movie.tracks:
        if track.kept:
            parts.append((b"samples" + struct.pack(">I", track.track_id),
                          [(off, off + n) for off, n in track.chunks if n]))
    return parts


FORMAT = VideoFormat("MP4", ".mp4")
MOV_FORMAT = VideoFormat("MOV", ".mov")
THREE_GP_FORMAT = VideoFormat("3GP", ".3gp")
M4V_FORMAT = VideoFormat("M4V", ".m4v")
FORMATS = (FORMAT, MOV_FORMAT, THREE_GP_FORMAT, M4V_FORMAT)
