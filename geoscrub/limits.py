"""Named safety limits.  Exceeding one raises ``LimitExceeded`` naming it.

Values follow ../shared/reference/threats.md section (c); each is a judgement
that keeps a hostile file from costing more than a real photo would.
"""
from __future__ import annotations

from .errors import LimitExceeded

#: Largest input file read at all (motion photos append whole MP4s).  Files
#: over ``api.IN_MEMORY_MAX`` are read a window at a time, so this bounds the
#: work and the disk a hostile file costs, not memory.
MAX_FILE_BYTES = 128 * 1024 * 1024
#: Largest video read.  Videos are walked box by box and their film is copied
#: by range, so their cost is bounded by MAX_MOVIE_BOX_BYTES and
#: MAX_VIDEO_CHUNKS, not by their size: this only keeps out absurd files.
MAX_VIDEO_FILE_BYTES = 1 << 40
#: Bytes of a video's movie box ('moov': the tables), read whole into memory.
#: An hour of 4K phone video needs about 5 MB.
MAX_MOVIE_BOX_BYTES = 64 * 1024 * 1024
#: Chunks (runs of film or sound samples) in one video, all tracks together.
MAX_VIDEO_CHUNKS = 4_000_000
#: Pixels one frame or item may declare (Pillow refuses to decode above this).
MAX_PIXELS = 178_956_970
#: JPEG/PNG/WebP/GIF segments, chunks or blocks in one file.
MAX_SEGMENTS = 100_000
#: Metadata segments (APPn, COM, text chunks...) in one file.
MAX_METADATA_SEGMENTS = 4096
#: Bytes of metadata one file may carry (all APPn/COM segments, text, EXIF, XMP and
#: unknown chunks together), which is also the most kept in memory for reporting.
MAX_METADATA_BYTES = 16 * 1024 * 1024
#: EXIF and XMP bytes parsed for the report in one file; further blocks are
#: reported unread (they are removed regardless).  Keeps 4096 APP1 segments cheap.
MAX_PARSED_METADATA_BYTES = 2 * 1024 * 1024
#: Image file directories visited in one TIFF/EXIF structure.
MAX_IFDS = 64
#: Entries in a single IFD.
MAX_IFD_ENTRIES = 4096
#: Nesting depth of sub-IFDs (Exif -> Interop, SubIFDs...).
MAX_IFD_DEPTH = 8
#: Bytes one compressed PNG text chunk may inflate to.
MAX_TEXT_INFLATE = 1024 * 1024
#: Bytes all compressed PNG text chunks of one file may inflate to together (Pillow MAX_TEXT_MEMORY).
MAX_TEXT_INFLATE_TOTAL = 64 * 1024 * 1024
#: Bytes an ICC colour profile may have (real ones are well under 1 MiB; LUT profiles a few MiB).
MAX_ICC_BYTES = 16 * 1024 * 1024
#: Bytes an XMP packet may have to be parsed for the report (it is dropped regardless).
MAX_XMP_PARSE_BYTES = 2 * 1024 * 1024
#: Element nesting in XMP.
MAX_XML_DEPTH = 64
#: Frames, pages or items in one file (GIF, TIFF pages, HEIF items).
MAX_FRAMES = 4096
#: Boxes walked in one ISO-BMFF file, and their nesting.
MAX_BOXES = 10_000
MAX_BOX_DEPTH = 16
#: Embedded images (MPF, trailers) looked into when reporting.
MAX_EMBEDDED_DEPTH = 2


def largest_file() -> tuple[str, int]:
    """(name, value) of the size limit of the format that takes the biggest files.

    Checked when a file is opened, before its format is known; each format's
    own limit is checked once it is (``file_limit_of``).
    """
    return max((("MAX_FILE_BYTES", MAX_FILE_BYTES), ("MAX_VIDEO_FILE_BYTES", MAX_VIDEO_FILE_BYTES)),
               key=lambda named: named[1])


def file_limit_of(fmt: object) -> tuple[str, int]:
    """(name, value) of the size limit for files of format ``fmt`` (its ``file_limit``, else MAX_FILE_BYTES)."""
    name = getattr(fmt, "file_limit", "MAX_FILE_BYTES")
    return name, globals()[name]


def enforce(limit: str, value: int, maximum: int) -> None:
    """Raise ``LimitExceeded`` when ``value`` is over ``maximum``."""
    if value > maximum:
        raise LimitExceeded(limit, value, maximum)
