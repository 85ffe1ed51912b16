"""The one exception hierarchy: every refusal geoscrub makes is a GeoscrubError.

Callers (CLI, watch service) catch ``GeoscrubError`` and report ``str(err)``,
a one-line reason a person can read.  Anything else escaping is a bug.
"""
from __future__ import annotations


class GeoscrubError(Exception):
    """Base class: the file was not scanned or cleaned, the original is untouched."""

    reason = "could not be processed"
    #: (format name, ScanResult) of what could be read before the problem, when
    #: ``api.scan_file`` found something there; ``check`` reports it with the error.
    readable: tuple[str, object] | None = None


class UnsupportedFormat(GeoscrubError):
    """The bytes are not a container geoscrub can clean (never passed through)."""

    reason = "unsupported format"


class EmptyFile(UnsupportedFormat):
    """The file holds no bytes at all: nothing arrived, so there is no photo to clean."""

    reason = "the file is empty"

    def __init__(self, message: str = "the file is empty (0 bytes), so there is no photo or video in it") -> None:
        super().__init__(message)


class MalformedFile(GeoscrubError):
    """A length, offset, checksum or structure in the container is wrong."""

    reason = "damaged or malformed file"

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message if offset is None else f"{message} (at byte {offset})")
        self.message = message
        self.offset = offset

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # picklable, so reports can cross process boundaries in batch mode
        return (type(self), (self.message, self.offset))


class TruncatedFile(MalformedFile):
    """The file ends before a structure it declares."""

    reason = "file is cut short"


class LimitExceeded(GeoscrubError):
    """A named safety limit (see ``geoscrub.limits``) was exceeded."""

    reason = "safety limit exceeded"

    def __init__(self, limit: str, value: int, maximum: int) -> None:
        super().__init__(f"{limit} exceeded: {value} > {maximum}")
        self.limit = limit
        self.value = value
        self.maximum = maximum

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.limit, self.value, self.maximum))


class UnsafeToClean(GeoscrubError):
    """Recognised, but it cannot be cleaned losslessly and safely."""

    reason = "cannot be cleaned safely"


class VerificationFailed(GeoscrubError):
    """The cleaned bytes failed the re-scan: residue, or changed image data."""

    reason = "cleaning could not be verified"


class CannotRebuild(GeoscrubError):
    """``--rebuild`` was asked for, but no picture could be decoded and saved again."""

    reason = "the picture could not be rebuilt"


class NotARegularFile(GeoscrubError):
    """A symlink, FIFO, device, socket or folder where a photo was expected."""

    reason = "not a regular file"


class WriteFailed(GeoscrubError):
    """The cleaned copy could not be written (disk full, permissions...)."""

    reason = "could not write the cleaned copy"


class InternalError(GeoscrubError):
    """A bug in geoscrub met this file: it is refused (fail closed), the others go on."""

    reason = "geoscrub hit a problem it did not expect"

    @classmethod
    def from_exception(cls, err: BaseException) -> InternalError:
        return cls(f"unexpected {type(err).__name__}: {str(err)[:200]} (please report this)")
