"""The data model shared by the library, the CLI and the watch service."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from .errors import GeoscrubError

#: Longest value shown in a finding; the rest is cut with an ellipsis.
MAX_VALUE_CHARS = 80


class Category(str, enum.Enum):
    """What a piece of metadata gives away, listed worst first."""

    PLACE = "place"
    PERSON = "person"
    HIDDEN_IMAGE = "hidden_image"
    DEVICE = "device"
    TIME = "time"
    OTHER = "other"

    @property
    def severity(self) -> int:
        """0 is worst; used to order findings and files."""
        return _SEVERITY[self]


_SEVERITY = {category: rank for rank, category in enumerate(Category)}


def shorten(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """A printable one-line preview: control characters escaped, long text cut."""
    # only the start is ever shown: looking at more would let a 1 MB value cost seconds
    if isinstance(value, (bytes, bytearray, memoryview)):
        size = len(value)
        raw = bytes(value[: 4 * limit + 64])
        text = raw.decode("utf-8", "replace") if raw else ""
        if raw and not text.isprintable() and sum(1 for ch in text if not ch.isprintable()) > len(text) // 4:
            return f"<{size} bytes>"
    else:
        text = str(value)[: 4 * limit + 64]
    text = text.strip("\x00 \t\r\n")
    if text.isprintable():  # the common case: nothing to escape
        return text if len(text) <= limit else text[: limit - 1] + "…"
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    escaped = "".join(out)
    if len(escaped) > limit:
        escaped = escaped[: limit - 1] + "…"
    return escaped


@dataclass(frozen=True)
class Finding:
    """One identifying item: what it is, where it sits, and why it matters."""

    category: Category
    key: str  # e.g. "GPSLatitude", "dc:creator", "COM"
    value: str  # shortened, control characters escaped
    explanation: str  # plain words
    source: str = ""  # container part: "EXIF", "XMP", "IPTC", "trailer"...

    @classmethod
    def make(
        cls, category: Category, key: str, value: object, explanation: str, source: str = ""
    ) -> Finding:
        return cls(category, key, shorten(value), explanation, source)

    def to_dict(self) -> dict[str, str]:
        return {
            "category": self.category.value,
            "key": self.key,
            "value": self.value,
            "explanation": self.explanation,
            "source": self.source,
        }


@dataclass(frozen=True)
class Location:
    """A GPS position decoded to decimal degrees, with how precise it is."""

    latitude: float
    longitude: float
    accuracy_m: float | None = None
    place: str | None = None  # filled in by the offline place lookup


def better_location(current: Location | None, candidate: Location | None) -> Location | None:
    """Keep the most useful position: one with a known accuracy (EXIF) beats one without (XMP)."""
    if current is None:
        return candidate
    if candidate is not None and current.accuracy_m is None and candidate.accuracy_m is not None:
        return candidate
    return current


@dataclass(frozen=True)
class Policy:
    """What cleaning keeps.  Both default on so the photo looks the same."""

    keep_orientation: bool = True
    keep_color_profile: bool = True


@dataclass(frozen=True)
class ScanResult:
    """What a format module found in a file's bytes."""

    findings: tuple[Finding, ...] = ()
    location: Location | None = None


@dataclass
class Report:
    """Everything known about one file after ``scan`` or ``clean``."""

    path: Path
    format: str | None = None
    findings: list[Finding] = field(default_factory=list)
    location: Location | None = None
    error: GeoscrubError | None = None
    cleaned_to: Path | None = None  # set by clean() when a copy was written
    #: What the picture may show (a geoscrub.look.seen.Sight), only when --look asked for it.
    sight: object | None = None

    def fill(self, format_name: str, found: ScanResult) -> None:
        """Record what a scan of this file found."""
        self.format = format_name
        self.findings = list(found.findings)
        self.location = found.location

    def fill_readable(self, err: GeoscrubError) -> None:
        """Record what the parts read before ``err`` give away, when a scan found something there."""
        if err.readable is not None:
            format_name, found = err.readable
            if isinstance(found, ScanResult):
                self.fill(format_name, found)

    @property
    def status(self) -> str:
        """``clean``, ``identifying``, ``error``, or ``identifying_unreadable``: something
        identifying was read before a problem that stops the file being read whole (or cleaned)."""
        if self.error is not None:
            return "identifying_unreadable" if self.findings else "error"
        return "identifying" if self.findings else "clean"

    @property
    def worst(self) -> int:
        """Severity of the worst finding (lower is worse); errors first of all."""
        if self.error is not None:
            return -1
        return min((f.category.severity for f in self.findings), default=len(Category))

    def categories(self) -> set[Category]:
        return {f.category for f in self.findings}
