"""A big photo read on demand, so memory stays flat however big the file.

``FileView`` looks like ``bytes`` to the code that walks a container: it has
a length, gives an int for an index and ``bytes`` for a slice, and can
``find`` and ``startswith``.  Reads go through ``pread`` and one window of
the file is kept, so a walk that moves forward reads every byte once.  Format
modules opt in with ``reads_views = True`` and must then use only those
operations (no memoryview, no struct on the view itself).
"""
from __future__ import annotations

from collections.abc import Iterator

from .errors import TruncatedFile
from .fsio import read_at

#: Bytes kept in memory per view.
WINDOW = 4 * 1024 * 1024


class FileView:
    """Read-only, bytes-like access to ``size`` bytes of the open file ``fd`` (not closed here)."""

    is_file_view = True

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self._start = 0
        self._window = b""

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: int | slice) -> int | bytes:
        if isinstance(key, slice):
            start, stop, step = key.indices(self.size)
            if step != 1:
                raise ValueError("FileView slices take every byte")
            return self._read(start, stop)
        index = key + self.size if key < 0 else key
        if not 0 <= index < self.size:
            raise IndexError("FileView index out of range")
        return self._read(index, index + 1)[0]

    def _read(self, start: int, stop: int) -> bytes:
        if stop <= start:
            return b""
        end = self._start + len(self._window)
        if self._start <= start and stop <= end:
            return self._window[start - self._start : stop - self._start]
        if stop - start > WINDOW:
            return self._checked(start, read_at(self.fd, start, stop - start), stop - start)  # keep the window
        self._start = start
        self._window = self._checked(start, read_at(self.fd, start, min(WINDOW, self.size - start)),
                                     min(WINDOW, self.size - start))
        return self._window[: stop - start]

    @staticmethod
    def _checked(start: int, got: bytes, wanted: int) -> bytes:
        if len(got) < wanted:
            raise TruncatedFile("the file got shorter while geoscrub was reading it", start + len(got))
        return got

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """Like ``bytes.find``, one window at a time (windows overlap by ``len(sub) - 1``)."""
        end = self.size if end is None else min(end, self.size)
        start = max(start, 0)
        step = max(WINDOW - len(sub) + 1, 1)
        while start + len(sub) <= end:
            chunk = self._read(start, min(start + WINDOW, end))
            at = chunk.find(sub)
            if at >= 0:
                return start + at
            start += step
        return -1

    def startswith(self, prefix: bytes, start: int = 0) -> bool:
        return self._read(start, start + len(prefix)) == prefix if start + len(prefix) <= self.size else False


def pieces(data: bytes | FileView, start: int, end: int, size: int = 0) -> Iterator[bytes | memoryview]:
    """``data[start:end]`` in pieces of at most ``size`` bytes (WINDOW by default).

    Views into ``bytes`` (nothing copied); reads from a FileView.
    """
    size = size or WINDOW
    source = memoryview(data) if type(data) is bytes else data
    for at in range(start, end, size):
        yield source[at : min(at + size, end)]


def same_range(a: bytes | FileView, a_start: int, b: bytes | FileView, b_start: int, length: int) -> bool:
    """True when ``a[a_start:][:length]`` equals ``b[b_start:][:length]``; views are compared a window at a time."""
    if a_start + length > len(a) or b_start + length > len(b):
        return False
    if type(a) is bytes and type(b) is bytes:
        return a.startswith(memoryview(b)[b_start : b_start + length], a_start)
    return all(bytes(x) == bytes(y)  # memcmp, a window at a time
               for x, y in zip(pieces(a, a_start, a_start + length), pieces(b, b_start, b_start + length)))


def is_zero_padding(data: bytes | FileView, start: int, end: int | None = None) -> bool:
    """True when every byte from ``start`` to ``end`` (the end of ``data`` by default) is zero."""
    stop = len(data) if end is None else min(end, len(data))
    return all(not bytes(piece).strip(b"\x00") for piece in pieces(data, start, stop))
