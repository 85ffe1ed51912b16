"""Benchmark: the web page in headless Chromium at phone size (issue 15).  Not a test.

Run:  python bench/web_bench.py [--photo FILE] [--count 50] [--site DIR]

Measures, on a freshly built site served from this machine:
  - engine ready, cold (new profile, nothing cached) and warm (reload: service worker + code cache);
  - one ~4 MB phone photo cleaned after the engine is ready (page: chosen to shown; engine: clean alone);
  - the tab's memory (PSS of the renderer processes) after COUNT such photos in a row;
  - the site's size and gzip size.
Targets: ready within 3 s cold and 1.5 s warm, a 4 MB photo within 100 ms, the tab under 300 MB
after 50 photos, the site under 15 MB.  By default the photo is bench/bench.py's generated
12 MP phone JPEG with a full metadata set.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def phone_photo(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("geoscrub_bench", ROOT / "bench" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    path = folder / "phone.jpg"
    path.write_bytes(module.make_photo(0))
    return path


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def renderer_pss_mb(driver_pid: int) -> list[float]:
    """Proportional memory (MB) of each of the browser's renderer processes, biggest first.

    The biggest is the tab (with its worker and service worker); Chromium keeps
    a spare, empty renderer besides.
    """
    sizes = []
    for pid in descendants(driver_pid):
        try:
            if b"--type=renderer" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return sorted(sizes, reverse=True)


def wait(driver, script: str, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out: {script}")


def clean_photos(driver, photos: list[Path]) -> list[tuple[int, int]]:
    """(page ms, engine ms) for each photo, chosen through the page's one file input."""
    driver.execute_script('document.getElementById("clear").click()')  # hidden while the list is empty
    driver.find_element("css selector", 'input[type="file"]').send_keys("\n".join(map(str, photos)))
    return wait(driver, f"""
        const items = Array.from(document.querySelectorAll("[data-file]"));
        if (items.length !== {len(photos)} || items.some(i => i.dataset.status === "working")) return null;
        if (items.some(i => i.dataset.status === "refused")) return "refused";
        return items.map(i => [Number(i.dataset.ms), Number(i.dataset.engineMs)]);""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", type=Path, help="the phone photo to clean (default: a generated 12 MP JPEG)")
    parser.add_argument("--count", type=int, default=50, help="photos in a row for the memory figure")
    parser.add_argument("--site", type=Path, help="build the site here (default: a temp folder)")
    args = parser.parse_args()

    from selenium.common.exceptions import WebDriverException

    from geoscrub.web import server, site
    from tests.test_web_page import chromium

    work = Path(tempfile.mkdtemp(prefix="geoscrub-web-bench-"))
    try:
        info = site.build(args.site or work / "site", force=True)
        photo = args.photo or phone_photo(work)
        mb = photo.stat().st_size / 1_000_000
        copies = work / "copies"
        copies.mkdir()
        many = []
        for i in range(args.count):
            many.append(copies / f"photo-{i:03d}{photo.suffix}")
            os.link(photo, many[-1]) if photo.stat().st_dev == copies.stat().st_dev else shutil.copy(photo, many[-1])
        httpd, url = server.serve_in_background(info.folder)
        downloads = work / "downloads"
        downloads.mkdir()
        driver = chromium(downloads)
        try:
            driver.get(url)
            cold = int(wait(driver, "return document.body.dataset.readyMs"))
            print("cold stages (ms in the worker):", driver.execute_script("return document.body.dataset.readyStages"))
            wait(driver, 'return document.body.dataset.offline === "ready"')
            warm = []
            for _ in range(3):
                driver.refresh()
                warm.append(int(wait(driver, "return document.body.dataset.readyMs")))
                print("warm stages:", driver.execute_script("return document.body.dataset.readyStages"))
            timings = clean_photos(driver, [photo] * 1 + many[:5])
            if timings == "refused":
                raise SystemExit(f"{photo} was refused; pick a photo geoscrub cleans")
            page_ms = statistics.median(t[0] for t in timings[1:])
            engine_ms = statistics.median(t[1] for t in timings[1:])
            before = renderer_pss_mb(driver.service.process.pid)
            clean_photos(driver, many)
            after = renderer_pss_mb(driver.service.process.pid)
        except WebDriverException as err:
            raise SystemExit(f"browser failed: {err.msg}") from None
        finally:
            driver.quit()
            httpd.shutdown()
            httpd.server_close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"machine load (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"site: {info.size / 1_000_000:.2f} MB, {info.gzip_size / 1_000_000:.1f} MB gzipped ({info.files} files)"
          f"   target < 15 MB")
    print(f"python compiled ahead: {'yes' if info.not_precompiled is None else 'no: ' + info.not_precompiled}")
    print(f"engine ready: cold {cold / 1000:.2f} s   target < 3 s")
    print(f"engine ready: warm {statistics.median(warm) / 1000:.2f} s (reloads: {warm} ms)   target < 1.5 s")
    print(f"one {mb:.1f} MB photo: {page_ms:.0f} ms chosen-to-shown, {engine_ms:.0f} ms in the engine"
          f"   target < 100 ms")
    print(f"tab memory: {before[0]:.0f} MB before, {after[0]:.0f} MB after {args.count} photos in a row"
          f"   target < 300 MB  (every renderer: {', '.join(f'{m:.0f}' for m in after)} MB)")


if __name__ == "__main__":
    main()
