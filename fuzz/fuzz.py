#!/usr/bin/env python3
"""Deep fuzz run: mutated sample files against geoscrub.scan_bytes / clean_bytes.

Usage (from the repository root)::

    nice -n 10 python fuzz/fuzz.py --format JPEG --inputs 100000 --seed 1
    nice -n 10 python fuzz/fuzz.py --inputs 100000          # every registered format
    python fuzz/fuzz.py --replay /tmp/geoscrub-fuzz/JPEG-1-4711.bin

Property checked for every input: ``scan_bytes`` and ``clean_bytes`` either
succeed -- and then the output re-scans with zero findings and cleaning it
again gives the same bytes -- or raise a subclass of ``GeoscrubError``.
Never another exception, never more than ``--timeout`` seconds (2 s), never
more than ``--memory-mb`` (500 MB) of address space above the worker's
baseline.  The inputs are deterministic: (format, seed, index) names one
input exactly, so any finding can be replayed.

Work happens in a child process with RLIMIT_AS set; the parent kills it if an
input takes longer than the timeout (a hang inside C code cannot escape), saves
the input and starts a fresh child at the next index.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CRASH_DIR = Path(tempfile.gettempdir()) / "geoscrub-fuzz"


# ------------------------------------------------------------------ worker --
class _Timeout(Exception):
    pass


class PixelsDiffer(Exception):
    """Pillow decodes input and output differently: worth a look, not proof of a bug.

    Pillow (libjpeg, libtiff) reads damaged coded data in ways that can depend
    on bytes outside the picture (a trailer after EOI), so these are saved as
    notes for a person to judge rather than counted as problems.
    """


def _on_alarm(signum, frame):
    raise _Timeout()


def _read_before_the_problem(data: bytes, err: Exception) -> None:
    """What ``check`` does with a file it cannot read whole; it too may raise only GeoscrubError."""
    from geoscrub import api, registry
    from geoscrub.errors import GeoscrubError

    try:
        fmt = registry.sniff(data[: registry.PREFIX_BYTES])
    except GeoscrubError:
        return
    api.scan_readable(fmt, data, err)  # type: ignore[arg-type]


def check_one(data: bytes, pixels_checked: bool = True) -> str:
    """Run the property on one input; return an outcome label or raise AssertionError."""
    from geoscrub import clean_bytes, scan_bytes
    from geoscrub.errors import GeoscrubError

    try:
        scan_bytes(data)
        scanned = "scanned"
    except GeoscrubError as err:
        scanned = type(err).__name__
        _read_before_the_problem(data, err)
    try:
        fmt, _found, out = clean_bytes(data)
    except GeoscrubError as err:
        return f"refused:{type(err).__name__}" + ("" if scanned != "scanned" else "(scan ok)")
    try:
        fmt2, again = scan_bytes(out)
    except GeoscrubError as err:
        raise AssertionError(f"cleaned output cannot be re-scanned: {err!r}") from None
    if again.findings:
        raise AssertionError(f"cleaned output still has findings: {[f.key for f in again.findings]}")
    if fmt2.name != fmt.name:
        raise AssertionError(f"cleaned output changed format {fmt.name} -> {fmt2.name}")
    if clean_bytes(out)[2] != out:
        raise AssertionError("cleaning the cleaned output changed it again")
    if pixels_checked:
        before = _pixels(data)
        if before is not None and _pixels(out) != before:
            raise PixelsDiffer("the input decodes, but the cleaned output decodes to other pixels")
    return "cleaned"


def _pixels(data: bytes) -> object:
    """Pillow's decoding of the first frame, or None when Pillow cannot decode it.

    Only the fuzzer does this (inside the rlimited child): geoscrub itself never decodes.
    """
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with Image.open(io.BytesIO(data)) as im:
                if im.size[0] * im.size[1] > 4_000_000:
                    return None  # two such decodes would not fit under the memory cap
                im.load()
                return im.mode, im.size, im.tobytes()
    except Exception:
        return None


def worker(seeds_file: str, fmt: str, base_seed: int, start: int, stop: int, timeout: float,
           memory_mb: int) -> None:
    """Child process: report progress on stdout as JSON lines."""
    import PIL.Image

    import geoscrub  # noqa: F401  (import before measuring the baseline)
    from tests.builders.hostile import mutation

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        pillow_heif.register_avif_opener()
    except Exception:
        pass
    PIL.Image.init()

    with open(seeds_file, "rb") as fh:
        seeds: list[bytes] = pickle.load(fh)
    baseline = _vm_bytes()
    cap = baseline + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGALRM, _on_alarm)
    out = sys.stdout
    for index in range(start, stop):
        si = index % len(seeds)
        data = mutation(seeds[si], si, index, base_seed)
        out.write(json.dumps({"start": index}) + "\n")
        out.flush()
        began = time.perf_counter()
        problem = None
        outcome = ""
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            outcome = check_one(data)
        except _Timeout:
            problem = f"timeout: over {timeout} s"
        except AssertionError as err:
            problem = f"property: {err}"
        except PixelsDiffer as err:
            problem = f"note: {err}"
        except MemoryError:
            problem = f"memory: over {memory_mb} MB"
        except RecursionError:
            problem = "RecursionError"
        except Exception as err:  # the bug class this harness exists to find
            problem = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=6)}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        elapsed = time.perf_counter() - began
        if problem is None and elapsed > timeout:
            problem = f"slow: {elapsed:.2f} s"
        out.write(json.dumps({"done": index, "outcome": outcome, "problem": problem, "elapsed": elapsed}) + "\n")
        out.flush()


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


# ------------------------------------------------------------------ parent --
def load_seeds() -> dict[str, list[bytes]]:
    from tests.builders.hostile import seed_files

    return seed_files()


def run_format(fmt: str, seeds: list[bytes], inputs: int, base_seed: int, timeout: float, memory_mb: int,
               crash_dir: Path, quiet: bool) -> dict:
    crash_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", suffix=".seeds", delete=False) as fh:
        pickle.dump(seeds, fh)
        seeds_file = fh.name
    outcomes: dict[str, int] = {}
    problems: list[dict] = []
    notes: list[dict] = []
    slowest = 0.0
    index = 0
    began = time.time()
    try:
        while index < inputs:
            proc = subprocess.Popen(
                [sys.executable, __file__, "--worker", seeds_file, fmt, str(base_seed), str(index), str(inputs),
                 str(timeout), str(memory_mb)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
            current = None
            last = time.monotonic()
            import selectors

            sel = selectors.DefaultSelector()
            sel.register(proc.stdout, selectors.EVENT_READ)
            while True:
                ready = sel.select(timeout=0.5)
                if ready:
                    line = proc.stdout.readline()
                    if not line:
                        break
                    msg = json.loads(line)
                    last = time.monotonic()
                    if "start" in msg:
                        current = msg["start"]
                        continue
                    index = msg["done"] + 1
                    current = None
                    slowest = max(slowest, msg["elapsed"])
                    outcomes[msg["outcome"] or "problem"] = outcomes.get(msg["outcome"] or "problem", 0) + 1
                    if msg["problem"] and msg["problem"].startswith("note:"):
                        notes.append(_save(crash_dir, fmt, base_seed, msg["done"], seeds, msg["problem"]))
                    elif msg["problem"]:
                        problems.append(_save(crash_dir, fmt, base_seed, msg["done"], seeds, msg["problem"]))
                    if not quiet and index % 10000 == 0:
                        print(f"  {fmt}: {index}/{inputs} inputs, {len(problems)} problems, "
                              f"{time.time() - began:.0f} s", flush=True)
                elif current is not None and time.monotonic() - last > timeout + 3:
                    proc.kill()  # hung in C code where the alarm cannot reach
                    problems.append(_save(crash_dir, fmt, base_seed, current, seeds, f"hang: killed after {timeout + 3} s"))
                    index = current + 1
                    outcomes["problem"] = outcomes.get("problem", 0) + 1
                    break
            proc.wait()
            sel.close()
            if current is not None and proc.returncode not in (0, None, -signal.SIGKILL):
                # the child died on this input (segfault, OOM kill...)
                err = proc.stderr.read()[-2000:]
                problems.append(_save(crash_dir, fmt, base_seed, current, seeds,
                                      f"worker died (exit {proc.returncode}): {err}"))
                outcomes["problem"] = outcomes.get("problem", 0) + 1
                index = current + 1
            elif current is None and index < inputs and proc.returncode not in (0,):
                raise SystemExit(f"worker failed to start: {proc.stderr.read()[-2000:]}")
    finally:
        os.unlink(seeds_file)
    return {"format": fmt, "seed": base_seed, "inputs": index, "seeds": len(seeds),
            "seconds": round(time.time() - began, 1), "slowest_s": round(slowest, 3),
            "outcomes": dict(sorted(outcomes.items(), key=lambda kv: -kv[1])), "problems": problems,
            "notes": notes}


def _save(crash_dir: Path, fmt: str, base_seed: int, index: int, seeds: list[bytes], problem: str) -> dict:
    from tests.builders.hostile import mutation

    si = index % len(seeds)
    safe = "".join(ch if ch.isalnum() else "_" for ch in fmt)
    path = crash_dir / f"{safe}-{base_seed}-{index}.bin"
    path.write_bytes(mutation(seeds[si], si, index, base_seed))
    print(f"  {'NOTE' if problem.startswith('note:') else 'PROBLEM'} {fmt} #{index}: {problem.splitlines()[0] if problem else ''} -> {path}", flush=True)
    return {"index": index, "file": str(path), "problem": problem}


def replay(path: str) -> int:
    data = Path(path).read_bytes()
    began = time.perf_counter()
    try:
        outcome = check_one(data)
    except (AssertionError, PixelsDiffer) as err:
        print(f"property broken: {err}")
        return 1
    print(f"{outcome} in {time.perf_counter() - began:.3f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        seeds_file, fmt, base_seed, start, stop, timeout, memory_mb = argv[1:8]
        worker(seeds_file, fmt, int(base_seed), int(start), int(stop), float(timeout), int(memory_mb))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--format", action="append", help="format name (JPEG, PNG, WebP, TIFF...); default: all")
    ap.add_argument("--inputs", type=int, default=100_000, help="mutated inputs per format")
    ap.add_argument("--seed", type=int, default=1, help="base seed (same seed, same inputs)")
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds allowed per input")
    ap.add_argument("--memory-mb", type=int, default=500, help="address space allowed above baseline")
    ap.add_argument("--crash-dir", type=Path, default=DEFAULT_CRASH_DIR)
    ap.add_argument("--json", type=Path, help="write the summary here")
    ap.add_argument("--replay", help="run the property on one saved input and print the result")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.replay:
        return replay(args.replay)
    all_seeds = load_seeds()
    wanted = args.format or sorted(all_seeds)
    missing = [f for f in wanted if f not in all_seeds]
    if missing:
        print(f"no registered format with sample builders: {', '.join(missing)}; have {sorted(all_seeds)}")
        return 2
    summaries = []
    for fmt in wanted:
        print(f"{fmt}: {len(all_seeds[fmt])} seed files, {args.inputs} inputs, seed {args.seed}", flush=True)
        summary = run_format(fmt, all_seeds[fmt], args.inputs, args.seed, args.timeout, args.memory_mb,
                             args.crash_dir, args.quiet)
        summaries.append(summary)
        print(f"{fmt}: {summary['inputs']} inputs in {summary['seconds']} s, slowest {summary['slowest_s']} s, "
              f"{len(summary['problems'])} problems, {len(summary['notes'])} pixel notes; "
              f"outcomes {summary['outcomes']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=1))
    return 1 if any(s["problems"] for s in summaries) else 0


if __name__ == "__main__":
    sys.exit(main())
