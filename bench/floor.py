"""The least a durable Python cleaner must do: a reference for the benchmark, not a cleaner.

Usage:  python bench/floor.py OUT_DIR PHOTO_DIR

geoscrub's own way of writing, with every check taken out.  For each JPEG
in PHOTO_DIR: read it, walk its coded data to the end marker with the same
search geoscrub uses, and write the scan and its coded data to a temp file,
committed (flushed a group at a time, renamed, the renames flushed) exactly
as ``geoscrub clean`` commits, in the same chunks on the same worker
processes.  It parses no header, plans, checks and verifies nothing, and its
output is not even a usable photo.  So its time is what reading, writing
and flushing as-you-go cost on this machine, which no cleaner that reports a
photo only once it is on disk can skip; ``geoscrub clean`` minus this is the
cost of understanding and verifying every photo.
"""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from geoscrub import batch, cli  # the installed geoscrub, as the benchmark runs it
from geoscrub.formats.markerscan import find_marker_in_scan
from geoscrub.fsio import GroupCommit, open_regular_file, read_all, start_write

SOI, SOS = b"\xff\xd8", b"\xff\xda"


def picture_only(data: bytes) -> bytes:
    sos = data.rfind(SOS)  # the last one: nothing but coded data follows it in these photos
    start = sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")
    end = find_marker_in_scan(data, start)
    if sos < 0 or end is None:
        raise SystemExit("not a plain baseline JPEG")
    return SOI + data[sos : end + 2]


def copy_chunk(jobs: list[tuple[Path, Path]]) -> list[Path]:
    """Like ``jobs.clean_files``: commits overlap the next file's work, a few files per flush."""
    group = GroupCommit(group_size=cli.COMMIT_GROUP)
    committer = cli.Committer(on_inline=group.close)
    commits = []
    try:
        for src, out in jobs:
            fd, _ = open_regular_file(src)
            try:
                data = read_all(fd)
            finally:
                os.close(fd)
            pending = start_write(out, picture_only(data), overwrite=False)
            commits.append(committer.submit(functools.partial(group.commit, pending, group.written(pending))))
        group.close()
        for commit in commits:
            commit.result()
        committer.submit(group.finish).result()
    finally:
        committer.close()
    return [out for _, out in jobs]


def main() -> None:
    out, photos = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(p, out / p.name) for p in sorted(photos.glob("*.jpg"))]
    for _ in batch.map_chunks(copy_chunk, jobs):
        pass


if __name__ == "__main__":
    main()
