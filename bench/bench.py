"""Benchmark: geoscrub clean/check against cp -r and ExifTool on phone-size JPEGs.

Not a test.  Run:  python bench/bench.py [--count 200] [--rounds 5] [--folder DIR] [--big-mb 120]

It generates (once, cached) a folder of 4032x3024 JPEGs with camera-like noise
and a full phone metadata set (EXIF with GPS, owner, serials, MakerNote and an
IFD1 thumbnail, XMP, IPTC, COM), or takes any --folder.  Each round runs every
tool once, in alternating order: geoscrub clean as installed (the compiled
marker search when it was built), on the pure-Python search
(GEOSCRUB_PURE_PYTHON=1), on one worker and on two (GEOSCRUB_WORKERS); cp -r
and exiftool -all=, each also followed by ``sync`` (geoscrub makes every copy
durable before it reports it; they do not); geoscrub check against exiftool
-json; geoscrub --help.  The report gives medians, ratios, peak memory (max
RSS of the process and its children), the machine's load average before and
after each round (the machine may be shared), the targets, and checks every
geoscrub output (re-scanned clean).  On generated photos it also times
bench/floor.py: the least work any durable Python cleaner must do, as a reference.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_photo(seed: int) -> bytes:
    """A 12 MP JPEG that compresses like a photo, with a full phone metadata set."""
    from PIL import Image, ImageFilter

    from tests.builders import core

    w, h = 4032, 3024
    noise = Image.effect_noise((w // 4, h // 4), 55 + seed % 7).resize((w, h), Image.BICUBIC)
    base = Image.merge("RGB", [
        Image.linear_gradient("L").resize((w, h)).filter(ImageFilter.GaussianBlur(3)),
        noise,
        Image.radial_gradient("L").resize((w, h)),
    ])
    base = Image.blend(base, Image.effect_noise((w, h), 10).convert("RGB"), 0.2)
    jpeg = core.encode(base, "JPEG", quality=83)
    thumb = core.encode(base.resize((160, 120)), "JPEG", quality=70)
    tiff = core.exif_tiff(orientation=6, thumbnail=thumb, h_error=4.7)
    makernote_tiff = _with_makernote(tiff)
    return core.jpeg([
        core.app1_exif(makernote_tiff),
        core.app1_xmp(core.xmp_packet()),
        core.app2_icc(core.icc_profile()),
        core.app13_iptc(),
        core.comment("Family day out"),
    ], base=jpeg)


def _with_makernote(tiff: bytes) -> bytes:
    import piexif
    data = piexif.load(b"Exif\x00\x00" + tiff)
    data["Exif"][piexif.ExifIFD.MakerNote] = b"Apple iOS\x00" + os.urandom(1500)
    return piexif.dump(data)[6:]


def ensure_corpus(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(folder.glob("IMG_*.jpg"))
    if len(existing) >= count:
        return folder
    if "PIL" not in sys.modules:  # generate in a child process, so this one stays small (see bench_big_file)
        subprocess.run([sys.executable, __file__, "--count", str(count), "--cache", str(folder.parent),
                         "--generate-only"], check=True)
        return folder
    print(f"generating {count} phone-size photos in {folder} (once) ...", file=sys.stderr)
    template = [make_photo(i) for i in range(4)]
    for i in range(len(existing), count):
        # vary the bytes so no file is a copy of another (comment differs)
        data = template[i % 4].replace(b"Family day out", f"Family day {i:04d}".encode()[:14])
        (folder / f"IMG_{20250614 + i:08d}.jpg").write_bytes(data)
    return folder


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int, float]:
    """(seconds, peak RSS in MB, exit code, CPU seconds) of one command.

    posix_spawn (not fork) so the child's peak RSS is its own, not this
    process's memory copied at fork time.  The peak covers the command's
    children too (``sh -c "cp ... && sync"``), and so does the CPU time
    (user and system), which a busy shared machine stretches less than the
    wall-clock time.
    """
    exe = shutil.which(cmd[0]) or cmd[0]
    devnull = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    start = time.perf_counter()
    pid = os.posix_spawn(exe, cmd, {**os.environ, **(env or {})}, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    os.close(devnull)
    return elapsed, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime


def then_sync(cmd: list[str]) -> list[str]:
    """``cmd && sync``: the same command, its output flushed to disk as geoscrub's is."""
    return ["sh", "-c", '"$@" && sync', "sh", *cmd]


CLEAN = "geoscrub clean --output"
PURE = CLEAN + " (pure Python)"
ONE, TWO = CLEAN + " (1 worker)", CLEAN + " (2 workers)"
CHECK = "geoscrub check --json"
CP, CP_SYNC = "cp -r", "cp -r && sync"
EXIF, EXIF_SYNC = "exiftool -all=", "exiftool -all= && sync"
EXIF_JSON = "exiftool -json"
HELP = "geoscrub --help"
FLOOR = "python floor (floor.py, durable)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--folder", type=Path, help="benchmark this folder instead of generated photos")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "geoscrub-bench")
    ap.add_argument("--big-mb", type=int, default=0, metavar="MB",
                    help="also clean and check one JPEG of about MB megabytes and report its peak memory")
    ap.add_argument("--make-big", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_big:  # run in a child process, see ``bench_big_file``
        make_big_photo(args.make_big, args.big_mb)
        return 0
    if args.generate_only:
        import PIL  # noqa: F401 - marks this as the generating process
        ensure_corpus(args.cache / "photos", args.count)
        return 0

    src = args.folder or ensure_corpus(args.cache / "photos", args.count)
    files = [p for p in src.rglob("*") if p.is_file()]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    geoscrub = shutil.which("geoscrub") or str(Path(sys.executable).with_name("geoscrub"))
    exiftool = shutil.which("exiftool")
    work = Path(tempfile.mkdtemp(prefix="gsbench-"))
    out = str(work / "out")

    clean_cmd = [geoscrub, "clean", "--output", out, str(src)]
    tools: dict[str, tuple[list[str], dict[str, str]]] = {
        CP: (["cp", "-r", str(src), out], {}),
        CP_SYNC: (then_sync(["cp", "-r", str(src), out]), {}),
        CLEAN: (clean_cmd, {}),
        PURE: (clean_cmd, {"GEOSCRUB_PURE_PYTHON": "1"}),
        ONE: (clean_cmd, {"GEOSCRUB_WORKERS": "1"}),
        TWO: (clean_cmd, {"GEOSCRUB_WORKERS": "2"}),
        CHECK: ([geoscrub, "check", "--json", str(src)], {}),
        HELP: ([geoscrub, "--help"], {}),
    }
    if not args.folder:  # the generated photos are plain baseline JPEGs, which is all floor.py handles
        tools[FLOOR] = ([sys.executable, str(ROOT / "bench" / "floor.py"), out, str(src)], {})
    if exiftool:
        tools[EXIF] = ([exiftool, "-q", "-all=", "-o", out + "/", str(src)], {})
        tools[EXIF_SYNC] = (then_sync([exiftool, "-q", "-all=", "-o", out + "/", str(src)]), {})
        tools[EXIF_JSON] = ([exiftool, "-q", "-json", str(src)], {})
    times: dict[str, list[float]] = {name: [] for name in tools}
    rss: dict[str, int] = {name: 0 for name in tools}
    codes: dict[str, set[int]] = {name: set() for name in tools}
    cpu: dict[str, list[float]] = {name: [] for name in tools}
    loads: list[tuple[float, float]] = []
    subprocess.run(["cat", *map(str, files)], check=False, stdout=subprocess.DEVNULL)  # warm the page cache
    for r in range(args.rounds):
        order = list(tools) if r % 2 == 0 else list(reversed(tools))
        load_before = os.getloadavg()[0]
        for name in order:
            shutil.rmtree(out, ignore_errors=True)
            os.sync()  # start each run with no dirty pages left by the one before
            cmd, env = tools[name]
            seconds, peak, code, cpu_seconds = run(cmd, env)
            times[name].append(seconds)
            cpu[name].append(cpu_seconds)
            rss[name] = max(rss[name], peak)
            codes[name].add(code)
        loads.append((load_before, os.getloadavg()[0]))

    # every geoscrub output must re-scan clean, on both searches
    from geoscrub import scan

    verified: dict[str, tuple[int, int]] = {}
    for name in (CLEAN, PURE):
        shutil.rmtree(out, ignore_errors=True)
        run(*tools[name])
        outputs = [p for p in (work / "out").rglob("*") if p.is_file()]
        verified[name] = (sum(scan(p).status == "clean" for p in outputs), len(outputs))
    shutil.rmtree(work, ignore_errors=True)

    med = {name: statistics.median(v) for name, v in times.items()}
    print(f"{len(files)} files, {size_mb:.0f} MB, {args.rounds} rounds in alternating order (medians), "
          f"{os.cpu_count()} cores")
    print("load average (1 min) before -> after each round: "
          + ", ".join(f"{a:.1f}->{b:.1f}" for a, b in loads))
    print(f"{'tool':36} {'median s':>9} {'min-max':>11} {'x cp&&sync':>10} {'x exif&&sync':>12} {'peak MB':>8} "
          f"{'CPU s':>6}  exit")
    for name in tools:
        ref = EXIF_JSON if name in (CHECK, EXIF_JSON) else EXIF_SYNC
        vs_exif = f"{med[name] / med[ref]:.2f}" if ref in med and name != HELP else "-"
        vs_cp = f"{med[name] / med[CP_SYNC]:.2f}" if name != HELP else "-"
        spread = f"{min(times[name]):.2f}-{max(times[name]):.2f}"
        print(f"{name:36} {med[name]:9.3f} {spread:>11} {vs_cp:>10} {vs_exif:>12} {rss[name]:8d} "
              f"{statistics.median(cpu[name]):6.2f}  "
              f"{','.join(map(str, sorted(codes[name])))}")
    print("targets:")
    peak = max(rss[n] for n in (CLEAN, PURE, ONE, TWO, CHECK))
    targets = [
        (f"clean <= 1.5 x cp -r && sync: {med[CLEAN] / med[CP_SYNC]:.2f}", med[CLEAN] <= 1.5 * med[CP_SYNC]),
        (f"peak memory < 150 MB: {peak} MB", peak < 150),
        (f"--help < 150 ms: {med[HELP] * 1e3:.0f} ms", med[HELP] < 0.150),
        (f"pure Python within 1.5 x compiled: {med[PURE] / med[CLEAN]:.2f}", med[PURE] <= 1.5 * med[CLEAN]),
    ]
    if exiftool:
        targets[:0] = [(f"clean <= 0.8 x exiftool -all= && sync: {med[CLEAN] / med[EXIF_SYNC]:.2f}",
                        med[CLEAN] <= 0.8 * med[EXIF_SYNC])]
        targets.append((f"check >= 4 x as fast as exiftool -json: {med[EXIF_JSON] / med[CHECK]:.1f}",
                        med[EXIF_JSON] >= 4 * med[CHECK]))
    for text, met in targets:
        print(f"  {'met ' if met else 'MISS'} {text}")
    print("verified outputs: " + ", ".join(f"{name}: {ok}/{len(files)} clean" for name, (ok, _) in verified.items()))
    big_ok = bench_big_file(args.cache, args.big_mb, geoscrub) if args.big_mb else True
    all_clean = all(ok == total == len(files) for ok, total in verified.values())
    return 0 if all_clean and big_ok else 1


def make_big_photo(path: Path, megabytes: int) -> None:
    """One JPEG of about ``megabytes`` MB (noise at high quality), with phone metadata."""
    from PIL import Image

    from tests.builders import core

    side = int((megabytes * 1e6 / 1.2) ** 0.5)  # noise at quality 97 codes to about 1.2 bytes a pixel
    jpeg = core.encode(Image.effect_noise((side * 4 // 3, side * 3 // 4), 90).convert("RGB"), "JPEG", quality=97)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(core.jpeg([core.app1_exif(core.exif_tiff(orientation=6)), core.app1_xmp(core.xmp_packet()),
                                core.app2_icc(core.icc_profile())], base=jpeg))


def bench_big_file(cache: Path, megabytes: int, geoscrub: str) -> bool:
    folder = cache / f"big-{megabytes}"
    photo = folder / "big.jpg"
    if not photo.exists():
        # in a child process: a peak memory reading includes the memory of the process that
        # started the command (Linux counts it at exec), so this process must stay small
        print(f"generating one {megabytes} MB photo in {folder} (once) ...", file=sys.stderr)
        subprocess.run([sys.executable, __file__, "--make-big", str(photo), "--big-mb", str(megabytes)], check=True)
    work = Path(tempfile.mkdtemp(prefix="gsbench-big-"))
    try:
        os.sync()
        clean_s, clean_mb, clean_code, _ = run([geoscrub, "clean", "--output", str(work / "out"), str(folder)])
        check_s, check_mb, _, _ = run([geoscrub, "check", "--json", str(folder)])
        from geoscrub import scan

        verified = scan(work / "out" / "big.jpg").status == "clean"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = photo.stat().st_size / 1e6
    print(f"one {size:.0f} MB photo: clean {clean_s:.2f} s, peak {clean_mb} MB; "
          f"check {check_s:.2f} s, peak {check_mb} MB; output {'clean' if verified else 'NOT CLEAN'}")
    return clean_code == 0 and verified


if __name__ == "__main__":
    raise SystemExit(main())
