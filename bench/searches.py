"""The coded-data marker search three ways, on real photos: which pure-Python search is fastest.

Not a test.  Run:  python bench/searches.py [PHOTO_OR_FOLDER...]
(default: the benchmark's generated photos and ../shared/corpus when present)

For each JPEG it times, best of 5, the search from the first scan's coded data
to the marker that ends it: the compiled search (geoscrub._markerscan, when
built), the pure-Python regular expression geoscrub uses, and a loop jumping
from one 0xFF byte to the next with ``bytes.find``.  All three must agree.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoscrub.errors import GeoscrubError
from geoscrub.formats import jpeg, markerscan


def find_marker_loop(data: bytes, pos: int) -> int | None:
    """The search as a loop over 0xFF bytes (geoscrub's search before the regular expression)."""
    find, size = data.find, len(data)
    while True:
        pos = find(b"\xff", pos)
        if pos < 0 or pos + 1 >= size:
            return None
        code = data[pos + 1]
        if code == 0:
            pos += 2
        elif 0xC0 <= code <= 0xCF or 0xD8 <= code <= 0xFE:
            return pos
        else:
            pos += 1


def best_of(search, data: bytes, start: int, rounds: int = 5) -> tuple[float, int | None]:
    best, answer = float("inf"), None
    for _ in range(rounds):
        began = time.perf_counter()
        answer = search(data, start)
        best = min(best, time.perf_counter() - began)
    return best, answer


def main() -> int:
    args = [Path(a) for a in sys.argv[1:]] or [Path(tempfile.gettempdir()) / "geoscrub-bench" / "photos",
                                               ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus"]
    photos = [p for a in args if a.exists() for p in ([a] if a.is_file() else sorted(a.rglob("*")))
              if p.suffix.lower() in (".jpg", ".jpeg")]
    searches = {"compiled": markerscan.find_marker_compiled, "regex": markerscan.find_marker_python,
                "loop": find_marker_loop}
    searches = {name: fn for name, fn in searches.items() if fn is not None}
    totals = dict.fromkeys(searches, 0.0)
    print(f"{'photo':32} {'MB':>5} {'0xFF/KB':>7} " + " ".join(f"{n + ' ms':>11}" for n in searches))
    disagree = 0
    for photo in photos:
        data = photo.read_bytes()
        try:
            start = jpeg.parse(data, headers_only=True).segments[-1].end
        except GeoscrubError:
            continue
        times, answers = [], set()
        for name, search in searches.items():
            seconds, answer = best_of(search, data, start)
            totals[name] += seconds
            times.append(seconds)
            answers.add(answer)
        disagree += len(answers) > 1
        if len(data) > 1_000_000 or len(photos) <= 20:
            density = data.count(b"\xff", start) / max(len(data) - start, 1) * 1000
            print(f"{photo.name[:32]:32} {len(data) / 1e6:5.1f} {density:7.1f} "
                  + " ".join(f"{t * 1e3:11.2f}" for t in times))
    print(f"{'all ' + str(len(photos)) + ' photos':32} {'':5} {'':7} " + " ".join(f"{t * 1e3:11.1f}" for t in totals.values()))
    print("all searches agree" if not disagree else f"{disagree} photos where the searches disagree")
    return 1 if disagree else 0


if __name__ == "__main__":
    raise SystemExit(main())
