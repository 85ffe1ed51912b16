"""Named safety limits.  Exceeding one raises ``LimitExceeded`` naming it.

Values follow ../shared/reference/threats.md section (c); each is a judgement
that keeps a hostile file from costing more than a real photo would.
"""
from __future__ import annotations

from .errors import LimitExceeded

#: Largest input file read at all.  Every format is walked a window at a time
#: (files over ``api.IN_MEMORY_MAX``), so memory stays flat whatever the size;
#: the work is one pass over the bytes plus a kernel copy, and cleaning needs as
#: much free disk as the file.  1 TiB lets through any real photo, panorama,
#: TIFF scan or raw, and long camera videos; it only stops an endless file.
MAX_FILE_BYTES = 1 << 40
#: Most bytes of one file held in memory at once.  A file is read whole only
#: when small (``api.IN_MEMORY_MAX``) or its format cannot be walked a window at
#: a time; one that keeps growing while it is read stops here.
MAX_IN_MEMORY_BYTES = 128 * 1024 * 1024
#: Pixels one PNG or APNG frame may declare.  Only where geoscrub inflates the
#: picture data to check it (PNG) is the pixel count work; JPEG, WebP, HEIF,
#: TIFF and GIF pictures are copied without being decoded, whatever their size.
MAX_PIXELS = 178_956_970
#: Pixels a photo may have to be rebuilt (``--rebuild`` decodes every one into memory, about
#: 270 MB at this size): Pillow's own MAX_IMAGE_PIXELS.
MAX_REBUILD_PIXELS = 89_478_485
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
#: Bytes of a video's movie box ('moov': its tables), read whole into memory.
#: An hour of 4K phone video needs about 5 MB.
MAX_MOVIE_BOX_BYTES = 64 * 1024 * 1024
#: Chunks (runs of film or sound samples) in one video, all tracks together;
#: a video's work is bounded by these two, not by its size.
MAX_VIDEO_CHUNKS = 4_000_000
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


def enforce(limit: str, value: int, maximum: int) -> None:
    """Raise ``LimitExceeded`` when ``value`` is over ``maximum``."""
    if value > maximum:
        raise LimitExceeded(limit, value, maximum)
