"""Benchmark (not a test): drop-to-outbox latency of ``geoscrub watch`` for a burst of photos.

Runs the real service as a subprocess on temporary folders, drops a burst of
phone-size JPEGs (12 MP, GPS in EXIF) into the inbox as fast as it can, and
reads the service's --json-log to see when each one reached the outbox.
Prints p50/p95/max latency, throughput and the service's memory (RSS),
sampled during each burst; two bursts show whether memory stays flat.

    python bench/watch_latency.py                 # native events, settle 2 s
    python bench/watch_latency.py --poll          # polling, as on a share

Goal (issue 6): p95 <= settle + 1 s, with flat memory.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import piexif
from PIL import Image


def phone_photo(width: int = 4032, height: int = 3024) -> bytes:
    """A 12 MP JPEG of about 3.4 MB with GPS, make and model, like a phone's."""
    noise = Image.effect_noise((width // 4, height // 4), 60).convert("RGB").resize((width, height))
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    exif = piexif.dump({
        "0th": {piexif.ImageIFD.Make: b"PhoneMaker", piexif.ImageIFD.Model: b"Phone 12"},
        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((51, 1), (30, 1), (1234, 100)),
                piexif.GPSIFD.GPSLongitudeRef: b"W", piexif.GPSIFD.GPSLongitude: ((0, 1), (7, 1), (4321, 100))},
    })
    out = io.BytesIO()
    Image.blend(noise, gradient, 0.5).save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Service:
    def __init__(self, root: Path, settle: float, poll: bool, workers: int) -> None:
        self.inbox, self.outbox = root / "inbox", root / "outbox"
        self.inbox.mkdir()
        args = [sys.executable, "-m", "geoscrub", "watch", str(self.inbox), "--output", str(self.outbox),
                "--quarantine", str(root / "quarantine"), "--settle", str(settle), "--json-log",
                "--status-every", "3600", "--workers", str(workers)] + (["--poll"] if poll else [])
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.done: dict[str, float] = {}
        self.other: list[dict[str, object]] = []
        self.started = threading.Event()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.started.wait(30):
            msg = "the service did not start"
            raise SystemExit(msg)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            record = json.loads(line)
            if record.get("event") == "start" and "inbox" in record:
                self.started.set()
            if record.get("event") == "file":
                with self.lock:
                    self.done[record["path"]] = datetime.fromisoformat(record["time"]).timestamp()
                    if record.get("outcome") != "cleaned":
                        self.other.append(record)

    def stop(self) -> tuple[int, float]:
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(10)
        return code, time.monotonic() - began


def burst(service: Service, photo: bytes, count: int, tag: str) -> dict[str, float]:
    dropped: dict[str, float] = {}
    peak = [rss_kib(service.proc.pid)]
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.wait(0.05):
            peak.append(rss_kib(service.proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.time()
    for i in range(count):
        name = f"{tag}/IMG_{i:04d}.jpg"
        path = service.inbox / name
        path.parent.mkdir(exist_ok=True)
        with open(path, "wb") as upload:
            upload.write(photo)
        dropped[name] = time.time()
    write_s = time.time() - started
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with service.lock:
            if all(name in service.done for name in dropped):
                break
        time.sleep(0.05)
    stop_sampling.set()
    sampler.join()
    with service.lock:
        latencies = sorted(service.done[n] - dropped[n] for n in dropped if n in service.done)
        finished = max(service.done[n] for n in dropped if n in service.done)
    missing = count - len(latencies)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "files": count, "missing": missing, "write_s": write_s, "drain_s": finished - started,
        "p50": statistics.median(latencies), "p95": q[94], "max": latencies[-1],
        "peak_rss_mib": max(peak) / 1024, "end_rss_mib": rss_kib(service.proc.pid) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--poll", action="store_true")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--bursts", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None, help="where to make the temporary folders")
    args = parser.parse_args()

    photo = phone_photo()
    root = Path(tempfile.mkdtemp(prefix="geoscrub-bench-", dir=args.dir))
    try:
        service = Service(root, args.settle, args.poll, args.workers)
        base = rss_kib(service.proc.pid) / 1024
        mode = "polling" if args.poll else "native events"
        print(f"geoscrub watch, {mode}, settle {args.settle:g} s, {args.workers} workers; "
              f"{args.count} photos of {len(photo) / 1e6:.1f} MB per burst; cores: {os.cpu_count()}")
        print(f"service RSS after start: {base:.0f} MiB")
        for n in range(args.bursts):
            r = burst(service, photo, args.count, f"burst{n}")
            for path in service.outbox.rglob("*.jpg"):
                path.unlink()  # keep the disk use down between bursts
            print(f"burst {n + 1}: dropped in {r['write_s']:.2f} s, all in outbox after {r['drain_s']:.2f} s "
                  f"({r['files'] / r['drain_s']:.0f} photos/s); latency p50 {r['p50']:.2f} s, "
                  f"p95 {r['p95']:.2f} s, max {r['max']:.2f} s; missing {r['missing']}; "
                  f"RSS peak {r['peak_rss_mib']:.0f} MiB, after {r['end_rss_mib']:.0f} MiB")
            goal = args.settle + 1
            print(f"         goal p95 <= settle + 1 s = {goal:g} s: {'met' if r['p95'] <= goal else 'NOT met'}")
        code, took = service.stop()
        print(f"SIGTERM: exit {code} after {took:.2f} s; refused or errors: {len(service.other)}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
