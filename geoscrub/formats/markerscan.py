"""Finding the marker that ends a JPEG's entropy-coded data: compiled when built, else pure Python.

This search is most of the time geoscrub spends on a photo.  The compiled
search (``geoscrub._markerscan``, an optional C extension) is used when it
was built; the pure-Python one is the reference, is what the web page runs,
and is chosen with the environment variable GEOSCRUB_PURE_PYTHON=1 or
``use_pure_python()``.  Both give the same answer (see
tests/test_markerscan_differential.py).
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable

#: Set to 1 to run the pure-Python search even where the compiled one was built.
PURE_PYTHON_ENV = "GEOSCRUB_PURE_PYTHON"

# a marker that ends entropy-coded data: 0xFF then a real marker code.  Stuffing
# (FF00), RSTn, fill and invalid codes (damaged data) stay part of the scan.
MARKER_IN_SCAN = re.compile(rb"\xff[\xc0-\xcf\xd8-\xfe]")

try:
    from .._markerscan import find_marker_in_scan as find_marker_compiled
except ImportError:  # built without a C compiler, or a platform (the web page) that ships no .so files
    find_marker_compiled = None

Search = Callable[[bytes, int], "int | None"]


def find_marker_python(data: bytes, pos: int) -> int | None:
    """The pure-Python reference: one compiled regular expression, searched from ``pos`` (0 or more).

    Measured against a loop jumping from one 0xFF to the next with
    ``bytes.find`` (bench/searches.py): on real 2-4 MB phone photos it takes
    1.0-1.5 ms against the loop's 1.6-3.6 ms; the loop wins by 0.2 ms only on
    photos with half as many 0xFF bytes; on a damaged photo full of 0xFF it
    takes 1 ms against 10-18 ms, as the loop pays one Python step per 0xFF.
    """
    found = MARKER_IN_SCAN.search(data, pos)
    return None if found is None else found.start()


_active: Search = find_marker_python


def find_marker_in_scan(data: bytes, pos: int) -> int | None:
    """Offset of the first marker at or after ``pos`` (0 or more) that ends entropy-coded data, or None."""
    return _active(data, pos)


def use_pure_python(pure: bool = True) -> None:
    """Search with the pure-Python reference (True) or the compiled search when it was built (False)."""
    global _active
    _active = find_marker_python if pure or find_marker_compiled is None else find_marker_compiled


def active_search() -> str:
    """"compiled" or "python": which search this process uses."""
    return "compiled" if _active is find_marker_compiled else "python"


use_pure_python(os.environ.get(PURE_PYTHON_ENV, "") not in ("", "0"))
