"""Benchmark: the web page in headless Chromium at phone size (issue 15).  Not a test.

Run:  python bench/web_bench.py [--photo FILE] [--count 50] [--site DIR]

Measures, on a freshly built site served from this machine:
  - engine ready, cold (new profile, nothing cached) and warm (reload: service worker + code cache);
  - one ~4 MB phone photo cleaned after the engine is ready (page: chosen to shown; engine: clean alone);
  - the tab's memory (PSS of the renderer processes) after COUNT such photos in a row;
  - the site's size and gzip size.
  - looking (issue 24), apart: the face and word finder's download, the time from turning the switch
    on to the finder being ready, and one look at the 12 MP photo (in the look worker).
Targets: ready within 3 s cold and 1.5 s warm, a 4 MB photo within 100 ms, the tab under 300 MB
after 50 photos, the site under 15 MB without the finder; a look at a 12 MP photo within 15 s.  By default the photo is bench/bench.py's generated
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


def look_scene(folder: Path) -> Path:
    """A 12 MP (4000 x 3000) street scene: a school sign, a street sign, a number plate, a shop front,
    small text, and scikit-image's public-domain astronaut as a face (when scikit-image is installed)."""
    import random

    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = random.Random(24)
    picture = Image.new("RGB", (4000, 3000), (110, 130, 100))
    draw = ImageDraw.Draw(picture)
    for _ in range(400):  # clutter: blocks of colour that are not text
        x, y = rng.randrange(4000), rng.randrange(3000)
        draw.rectangle((x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300)),
                       fill=tuple(rng.randrange(60, 200) for _ in range(3)))
    signs = [("ST MARY'S PRIMARY SCHOOL", 140, (300, 300)), ("HIGH STREET", 110, (2400, 900)),
             ("AB12 CDE", 120, (600, 2300)), ("OPEN 9-5 BAKERY", 90, (2300, 2000)), ("NO PARKING", 50, (3000, 2700))]
    for text, size, (x, y) in signs:
        font = ImageFont.load_default(size=size)
        left, top, right, bottom = draw.textbbox((x, y), text, font=font)
        draw.rectangle((left - 30, top - 30, right + 30, bottom + 30), fill=(240, 240, 230))
        draw.text((x, y), text, font=font, fill=(20, 30, 90))
    try:
        from skimage import data as skimage_data

        face = Image.fromarray(skimage_data.astronaut()).resize((900, 900))
        picture.paste(face, (1400, 1200))
    except ImportError:
        pass
    path = folder / "look-scene.jpg"
    picture.filter(ImageFilter.GaussianBlur(1)).save(path, "JPEG", quality=90)
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
            looked = look_at(driver, look_scene(work)) if info.look_size else None
        except WebDriverException as err:
            raise SystemExit(f"browser failed: {err.msg}") from None
        finally:
            driver.quit()
            httpd.shutdown()
            httpd.server_close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"machine load (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"site without the face and word finder: {(info.size - info.look_size) / 1_000_000:.2f} MB"
          f"   target < 15 MB  (whole site {info.size / 1_000_000:.1f} MB, {info.gzip_size / 1_000_000:.1f} MB gzipped,"
          f" {info.files} files)")
    print(f"python compiled ahead: {'yes' if info.not_precompiled is None else 'no: ' + info.not_precompiled}")
    print(f"engine ready: cold {cold / 1000:.2f} s   target < 3 s")
    print(f"engine ready: warm {statistics.median(warm) / 1000:.2f} s (reloads: {warm} ms)   target < 1.5 s")
    print(f"one {mb:.1f} MB photo: {page_ms:.0f} ms chosen-to-shown, {engine_ms:.0f} ms in the engine"
          f"   target < 100 ms")
    print(f"tab memory: {before[0]:.0f} MB before, {after[0]:.0f} MB after {args.count} photos in a row"
          f"   target < 300 MB  (every renderer: {', '.join(f'{m:.0f}' for m in after)} MB)")
    if looked is None:
        print(f"looking: not in this site ({info.look_missing})")
    else:
        print(f"looking: downloads {info.look_size / 1_000_000:.1f} MB the first time"
              f" ({looked['isolated'] and 'threads' or 'one thread: the page is not cross-origin isolated'});"
              f" ready {looked['ready_ms'] / 1000:.1f} s after the switch")
        print(f"looking at a 12 MP street scene: {looked['ms'] / 1000:.1f} s in the look worker, "
              f"{looked['page_ms'] / 1000:.1f} s until the boxes are shown   target < 15 s"
              f"  (stages ms: {looked['stages']}; {looked['faces']} faces, words: {looked['words']!r})")


def look_at(driver, photo: Path) -> dict[str, object]:
    """Turn the look switch on and look at ``photo``: times, found faces and words."""
    driver.execute_script('document.getElementById("clear").click()')
    wait(driver, 'return document.body.dataset.lookAvailable === "yes"')
    driver.execute_script("""window.__lookOn = performance.now();
        document.querySelector('label[for="look"]').click();""")
    driver.find_element("css selector", 'input[type="file"]').send_keys(str(photo))
    wait(driver, 'const i = document.querySelector("[data-file]"); return i && i.dataset.status !== "working"')
    wait(driver, """const i = document.querySelector("[data-file]");
        return i && ["done", "failed", "not-looked"].includes(i.dataset.look)""", 600)
    return driver.execute_script("""const i = document.querySelector("[data-file]");
        return {ms: Number(i.dataset.lookMs), stages: i.dataset.lookStages, faces: i.dataset.faces,
                words: i.dataset.words, look: i.dataset.look, isolated: self.crossOriginIsolated,
                ready_ms: Number(document.body.dataset.lookReadyMs) - window.__lookOn,
                page_ms: Number(i.dataset.lookShownMs) - window.__lookOn};""")


if __name__ == "__main__":
    main()
