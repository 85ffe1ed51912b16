"""Benchmark: cleaning one big video against ``cp``, with peak memory.

Not a test.  Run:  python bench/video_bench.py [--mb 1024] [--rounds 3] [--faststart] [--keep]

It writes (once, cached in the temp folder) a clip of about ``--mb`` MB with
the container of a GoPro or phone video: a film track of 512 KiB samples, a
sound track and a timed GPS track interleaved chunk by chunk, a location in
user data and header dates (no real codec: the container is what geoscrub
reads).  Each round runs ``cp``, ``cp`` then ``sync`` (durable, as geoscrub's
copies are) and ``geoscrub clean`` once, in alternating
order, each in its own process, and reports the median time, the ratio to
``cp`` and the peak memory (max RSS) of each, then checks the output: every
film and sound sample identical, the GPS samples gone.
"""
from __future__ import annotations

import argparse
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILM_SAMPLE = 512 * 1024
SOUND_SAMPLE = 4096


class _Sized:
    """A sample known only by its size (the builder's tables need no more)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size


def make_clip(path: Path, megabytes: int, faststart: bool) -> None:
    """Write the clip a chunk at a time, so generating it needs little memory."""
    from tests.builders import video as vb

    chunks = max(1, megabytes * 1024 * 1024 // (FILM_SAMPLE + SOUND_SAMPLE))
    block = os.urandom(FILM_SAMPLE + SOUND_SAMPLE + 64)
    gps = vb.gps_samples(1)[0][0]
    tracks = [vb.Track(b"vide", vb.visual_entry(), [[_Sized(FILM_SAMPLE)] for _ in range(chunks)], track_id=1),
              vb.Track(b"soun", vb.audio_entry(), [[_Sized(SOUND_SAMPLE)] for _ in range(chunks)], track_id=2),
              vb.Track(b"meta", vb.meta_entry(b"gpmd"), [[gps] for _ in range(chunks)], track_id=3)]
    per_chunk = FILM_SAMPLE + SOUND_SAMPLE + len(gps)
    payload = chunks * per_chunk
    ftyp = vb.box(b"ftyp", b"mp42", bytes(4), b"mp42", b"isom")

    def moov(base: int) -> bytes:
        offsets = [[base + n * per_chunk + skip for n in range(chunks)]
                   for skip in (0, FILM_SAMPLE, FILM_SAMPLE + SOUND_SAMPLE)]
        traks = [vb._trak(t, offsets[i], vb.DATE, 0, payload > 0xFFFFFFF0) for i, t in enumerate(tracks)]
        return vb.box(b"moov", vb._mvhd(vb.DATE, 0), vb.udta_location(), vb.mdta_keys(), *traks)

    header = struct.pack(">I4sQ", 1, b"mdat", payload + 16)
    first = len(ftyp) + (len(moov(0)) if faststart else 0) + len(header)
    with open(path, "wb") as out:
        out.write(ftyp)
        if faststart:
            out.write(moov(first))
        out.write(header)
        for n in range(chunks):
            at = n % 64
            out.write(block[at : at + FILM_SAMPLE] + block[at + 1 : at + 1 + SOUND_SAMPLE] + gps)
        if not faststart:
            out.write(moov(first))


def timed(cmd: list[str]) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of one command in its own process."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
               "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], check=True, capture_output=True, text=True).stdout
    seconds, peak = out.split()
    return float(seconds), int(peak)


def check_output(src: Path, dest: Path) -> str:
    """Film and sound samples identical, GPS gone: read back through the tables, a sample at a time."""
    from geoscrub import api
    from geoscrub.fileview import FileView, same_range
    from geoscrub.formats import video

    with open(src, "rb") as a, open(dest, "rb") as b:
        va, vb_ = FileView(a.fileno(), os.fstat(a.fileno()).st_size), FileView(b.fileno(), os.fstat(b.fileno()).st_size)
        pa, pb = video._film_parts(va), video._film_parts(vb_)
        same = len(pa) == len(pb) and all(
            len(sa) == len(sb) and all(same_range(va, x0, vb_, y0, x1 - x0) for (x0, x1), (y0, _) in zip(sa, sb))
            for (_, sa), (_, sb) in zip(pa, pb))
        gps_left = vb_.find(b"GPS5") >= 0
        found = api.scan_photo(video.FORMAT, vb_).findings
    return f"film and sound identical: {same}; GPS samples left: {gps_left}; findings in output: {len(found)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--faststart", action="store_true", help="moov before mdat (offsets rewritten)")
    parser.add_argument("--keep", action="store_true", help="keep the generated clip for next time")
    args = parser.parse_args()
    work = Path(tempfile.gettempdir()) / "geoscrub-video-bench"
    work.mkdir(exist_ok=True)
    src = work / f"clip-{args.mb}mb{'-faststart' if args.faststart else ''}.mp4"
    if not src.exists():
        t = time.perf_counter()
        make_clip(src, args.mb, args.faststart)
        print(f"generated {src} ({src.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
    geoscrub = [sys.executable, "-m", "geoscrub"]
    results: dict[str, list[tuple[float, int]]] = {"cp": [], "cp + sync": [], "geoscrub clean": []}
    for r in range(args.rounds):
        order = list(results) if r % 2 == 0 else list(reversed(results))
        for name in order:
            dest = work / "copy.mp4"
            dest.unlink(missing_ok=True)
            cmd = ["cp", str(src), str(dest)]
            if name == "cp + sync":  # geoscrub makes its copy durable before it reports it; cp does not
                cmd = ["sh", "-c", 'cp "$0" "$1" && sync "$1"', str(src), str(dest)]
            elif name != "cp":
                for old in (work / "out").glob("*"):
                    old.unlink()
                cmd = [*geoscrub, "clean", "--output", str(work / "out"), str(src)]
            os.sync()  # start each run with no dirty pages left by the one before
            results[name].append(timed(cmd))
    cp_time = statistics.median(t for t, _ in results["cp"])
    print(f"{'tool':<16} {'median s':>9} {'x cp':>6} {'peak MB':>8}")
    for name, runs in results.items():
        seconds = statistics.median(t for t, _ in runs)
        peak = max(p for _, p in runs)
        print(f"{name:<16} {seconds:9.2f} {seconds / cp_time:6.2f} {peak / 1e6:8.0f}")
    print(check_output(src, work / "out" / src.name))
    (work / "copy.mp4").unlink(missing_ok=True)
    if not args.keep:
        src.unlink()
        for old in (work / "out").glob("*"):
            old.unlink()


if __name__ == "__main__":
    main()
