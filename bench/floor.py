"""The least any Python cleaner must do: a reference for the benchmark, not a cleaner.

Usage:  python bench/floor.py OUT_DIR PHOTO_DIR

For each JPEG in PHOTO_DIR: read it, walk its coded data to the end marker
with the same search geoscrub uses (``jpeg.find_marker_in_scan``), and write
the scan and its coded data to OUT_DIR through a temp file and a rename, on
two processes.  It parses no header, checks nothing, verifies nothing and
never flushes to disk (its output is not even a usable photo), so it does
less than ``geoscrub clean`` would ever be allowed to: its time is out of
reach for geoscrub on the same machine.
"""
from __future__ import annotations

import os
import sys
from multiprocessing import Pool
from pathlib import Path

from geoscrub.formats.jpeg import find_marker_in_scan  # the installed geoscrub, as the benchmark runs it

SOI, SOS = b"\xff\xd8", b"\xff\xda"


def copy_picture(job: tuple[Path, Path]) -> None:
    src, out = job
    data = src.read_bytes()
    sos = data.rfind(SOS)  # the last one: nothing but coded data follows it in these photos
    start = sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")
    end = find_marker_in_scan(data, start)
    if sos < 0 or end is None:
        raise SystemExit(f"{src}: not a plain baseline JPEG")
    tmp = out.with_name(f".{out.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        os.writev(fd, [SOI, view[sos : end + 2]])
    finally:
        os.close(fd)
    os.rename(tmp, out)


def main() -> None:
    out, photos = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(p, out / p.name) for p in sorted(photos.glob("*.jpg"))]
    with Pool(2) as pool:
        for _ in pool.imap_unordered(copy_picture, jobs, chunksize=8):
            pass


if __name__ == "__main__":
    main()
