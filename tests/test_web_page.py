"""The web page end to end (issue 15): geoscrub in Pyodide, in Node and in headless Chromium.

Both compare every output byte for byte with native ``clean_bytes``.  They need
Node, Debian's chromium and chromium-driver, and the pinned Pyodide (downloaded
once into ~/.cache/geoscrub/pyodide); without them they skip, or fail in CI
(GEOSCRUB_REQUIRE_TOOLS=1).
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from geoscrub import places
from geoscrub import report as render
from geoscrub.api import clean_bytes
from geoscrub.errors import GeoscrubError
from geoscrub.model import Report
from tests.web import support

REPO = Path(__file__).resolve().parents[1]
#: The README's screenshots are replaced only when asked, so a test run leaves the work tree as it was.
UPDATE_SCREENSHOTS = os.environ.get("GEOSCRUB_UPDATE_SCREENSHOTS") == "1"


#: A module the engine imports, served as a lazily read file so the tests take that path too
#: (the place-name index is read that way in the browser; in Node it is written in advance).
LAZY_MODULE = "geoscrub/places.py"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    from geoscrub.web import site

    with pytest.MonkeyPatch.context() as patch:
        original = site.read_lazily
        patch.setattr(site, "read_lazily", lambda name, size: name == LAZY_MODULE or original(name, size))
        folder = support.build_site(tmp_path_factory.mktemp("web") / "site")
    assert LAZY_MODULE in json.loads((folder / site.MARKER).read_text())["lazy"]
    return folder


def native(path: Path) -> tuple[str, bytes | None, str]:
    """(status, clean bytes, refusal words) as the command line would clean ``path``."""
    data = path.read_bytes()
    try:
        _, found, cleaned = clean_bytes(data)
    except GeoscrubError as err:
        return "refused", None, render.error_text(Report(path, error=err))
    return ("cleaned" if found.findings else "already_clean"), cleaned, ""


def native_place(path: Path) -> str | None:
    """The place name the command line gives a photo's GPS position, from the shipped index."""
    try:
        _, found, _ = clean_bytes(path.read_bytes())
    except GeoscrubError:
        return None
    loc = found.location
    return None if loc is None else places.place_name(loc.latitude, loc.longitude)


# ---------------------------------------------------------------- Node

def test_pyodide_engine_in_node_cleans_byte_identical_to_native(built_site: Path, tmp_path: Path) -> None:
    node = support.node()
    photos = support.sample_photos() + support.builder_photos(tmp_path / "built") + support.corpus_photos()
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps([str(p) for p in photos]))
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([node, str(support.NODE_ENGINE), str(built_site), str(inputs), str(out)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(results) == len(photos)
    statuses, named = set(), 0
    for result in results:
        photo = Path(result["input"])
        status, cleaned, words = native(photo)
        statuses.add(status)
        place = native_place(photo)
        if place is not None:  # the engine read the lazily packed index and named the same place
            assert place in json.dumps(result, ensure_ascii=False), (photo, place)
            named += 1
        assert result["status"] == status, photo
        if status == "refused":
            assert result["detail"] == words, photo
            assert not (out / f"{result['index']}.out").exists()
        else:
            assert (out / f"{result['index']}.out").read_bytes() == cleaned, photo
    assert statuses == {"cleaned", "already_clean", "refused"}  # every path of the page was taken
    assert named > 0


def test_the_built_engine_starts_from_bytecode_not_sources(built_site: Path) -> None:
    """The page's start is mostly Python compiling source: the build compiled what it imports (issue 23)."""
    from geoscrub.web import site

    node = support.node()
    marker = json.loads((built_site / site.MARKER).read_text())
    assert marker["not_precompiled"] is None, marker["not_precompiled"]
    done = subprocess.run([node, str(NODE_START), str(built_site)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    started = json.loads(done.stdout.splitlines()[-1])
    lazy_modules = {name.removesuffix(".py").replace("/", ".") for name in started["lazy"]}
    assert set(started["from_source"]) <= lazy_modules, started["from_source"]  # only what is read lazily
    for module in ("jpeg", "png", "webp", "tiff", "gif", "heif", "video"):  # loaded at start, not at the first photo
        assert f"geoscrub.formats.{module}" in started["started"]


NODE_START = Path(__file__).with_name("web") / "node_start.mjs"


# ---------------------------------------------------------------- Chromium

CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--disable-default-apps", "--disable-extensions", "--mute-audio")
PHONE = {"width": 360, "height": 760, "pixelRatio": 2.0}


def chromium(downloads: Path, phone: dict[str, float] = PHONE):
    """Debian's chromium driven by Debian's chromedriver, at phone size, logging every request."""
    support.need(Path(support.CHROMIUM).exists() and Path(support.CHROMEDRIVER).exists(),
                 f"the browser test needs {support.CHROMIUM} and {support.CHROMEDRIVER} (apt install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        support.need(False, "the browser test needs Selenium (pip install '.[test]')")
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must never fetch a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = support.CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": phone})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "profile.default_content_setting_values.automatic_downloads": 1,
    })
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    driver = webdriver.Chrome(service=Service(support.CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def wait_for(driver, script: str, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    logs = [entry["message"] for entry in driver.get_log("browser")][-10:]
    raise AssertionError(f"timed out waiting for {what}; browser console: {logs}")


def pick(driver, photos: list[Path]) -> None:
    from selenium.webdriver.common.by import By

    inputs = driver.find_elements(By.CSS_SELECTOR, 'input[type="file"]')
    assert len(inputs) == 1 and inputs[0].get_attribute("multiple") is not None
    inputs[0].send_keys("\n".join(str(p) for p in photos))


def finished_items(driver, count: int, timeout: float = 180) -> list[dict[str, object]]:
    return wait_for(driver, f"""
        const items = Array.from(document.querySelectorAll("[data-file]"));
        if (items.length !== {count} || items.some(i => i.dataset.status === "working")) return null;
        return items.map(i => ({{file: i.dataset.file, status: i.dataset.status, text: i.innerText,
                                 link: i.querySelector("a[download]") && i.querySelector("a[download]").download}}));
    """, timeout, f"{count} photos to be cleaned")


def saved(downloads: Path, names: list[str], timeout: float = 60) -> dict[str, bytes]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        present = {p.name for p in downloads.iterdir() if not p.name.endswith(".crdownload")}
        if set(names) <= present:
            return {name: (downloads / name).read_bytes() for name in names}
        time.sleep(0.2)
    raise AssertionError(f"not downloaded: {sorted(set(names) - present)}")


def network_events(log: list[dict[str, object]], method: str) -> list[dict[str, object]]:
    events = (json.loads(entry["message"])["message"] for entry in log)
    return [event["params"] for event in events if event.get("method") == method]


def requested_urls(log: list[dict[str, object]]) -> list[str]:
    return [params["request"]["url"] for params in network_events(log, "Network.requestWillBeSent")]


def document_headers(log: list[dict[str, object]], url: str) -> dict[str, str]:
    """The headers the page itself came with (lower-case names)."""
    for params in network_events(log, "Network.responseReceived"):
        if params["response"]["url"] == url and params.get("type") == "Document":
            return {k.lower(): v for k, v in params["response"]["headers"].items()}
    raise AssertionError(f"no response for {url} in the network log")


def stored(driver) -> dict[str, object]:
    """Everything the page's origin keeps in the browser: only the site's own files may be there."""
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        (async () => {
          const cached = [];
          for (const key of await caches.keys()) {
            for (const request of await (await caches.open(key)).keys()) cached.push(request.url);
          }
          const databases = indexedDB.databases ? (await indexedDB.databases()).length : 0;
          const base = new URL("./", location.href).href;
          return {cached: cached.map(u => u.slice(base.length) || "./").sort(), local: localStorage.length,
                  session: sessionStorage.length, databases};
        })().then(done, e => done(String(e)));""")


def site_files(folder: Path) -> list[str]:
    # the face and word finder's files are cached only once the look switch is used (tests/test_web_look.py)
    names = [p.relative_to(folder).as_posix() for p in folder.rglob("*")
             if p.is_file() and p.name != "sw.js"
             and (not p.relative_to(folder).as_posix().startswith("look/") or p.name == "look.json")]
    return names + ["./"]


def screenshots(driver, folder: Path) -> None:
    """The README's pictures: the page with one phone photo cleaned, at phone size.

    Written to ``folder``, and into docs/ with GEOSCRUB_UPDATE_SCREENSHOTS=1.
    """
    driver.find_element("id", "clear").click()
    pick(driver, [support.SAMPLES / "jpeg" / "phone_photo_gps_owner_video.jpg"])
    finished_items(driver, 1)
    wait_for(driver, 'const img = document.querySelector(".preview"); return img && img.complete', 10, "the preview")
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    driver.save_screenshot(str(folder / "web-phone.png"))
    driver.execute_script('document.querySelector("[data-file]").scrollIntoView()')
    driver.save_screenshot(str(folder / "web-phone-report.png"))
    from PIL import Image

    for name in ("web-phone.png", "web-phone-report.png"):
        with Image.open(folder / name) as shot:
            assert shot.size[0] == PHONE["width"] * PHONE["pixelRatio"], "not phone size"
        if UPDATE_SCREENSHOTS:
            (REPO / "docs").mkdir(exist_ok=True)
            (REPO / "docs" / name).write_bytes((folder / name).read_bytes())


def test_page_in_headless_chromium_cleans_like_the_cli_even_with_the_server_stopped(
        built_site: Path, tmp_path: Path) -> None:
    from geoscrub.web import server

    photos = support.sample_photos() + support.builder_photos(tmp_path / "built") + support.corpus_photos()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    httpd, url = server.serve_in_background(built_site)
    driver = chromium(downloads)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """window.__violations = [];
            document.addEventListener("securitypolicyviolation", e => window.__violations.push(e.blockedURI));"""})
        driver.get(url)
        wait_for(driver, 'return document.body.dataset.engine === "ready"', 120, "the engine to be ready")
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        ActionChains(driver).send_keys(Keys.TAB).perform()  # the keyboard reaches the one button first
        assert driver.switch_to.active_element.get_attribute("id") == "photos"
        pick(driver, photos)
        items = finished_items(driver, len(photos))

        # every photo: the page's verdict is the command line's, its copy the command line's bytes
        expected_links = []
        for photo, item in zip(photos, items, strict=True):
            status, cleaned, words = native(photo)
            assert item["file"] == photo.name and item["status"] == status, (photo, item)
            if status == "refused":
                assert item["link"] is None and words in item["text"], (photo, item["text"])
            else:
                assert item["link"], photo
                expected_links.append((item["link"], cleaned, photo))
        counts = [sum(1 for item in items if item["status"] == status)
                  for status in ("cleaned", "already_clean", "refused")]
        assert driver.find_element("id", "summary").text == render.page_counts_text(*counts)
        driver.find_element("id", "save-all").click()
        names = [name for name, _, _ in expected_links]
        assert len(set(names)) == len(names)
        got = saved(downloads, names, timeout=30 + 0.5 * len(names))
        for name, cleaned, photo in expected_links:
            assert got[name] == cleaned, photo

        wait_for(driver, 'return document.body.dataset.offline === "ready"', 60, "the service worker")

        assert driver.execute_script("return window.__violations") == []
        log = driver.get_log("performance")

        # the server goes away: the page, its engine and its words still work from the service worker
        httpd.shutdown()
        httpd.server_close()
        driver.refresh()
        wait_for(driver, 'return document.body.dataset.engine === "ready"', 120, "the engine offline")
        offline = [p for p in support.sample_photos() if p.suffix == ".heic"] + support.sample_photos()[:2]
        pick(driver, offline)
        items = finished_items(driver, len(offline))
        for leftover in downloads.iterdir():
            leftover.unlink()
        for link in driver.find_elements("css selector", "a[download]"):
            link.click()
        got = saved(downloads, [item["link"] for item in items])
        for photo, item in zip(offline, items, strict=True):
            status, cleaned, _ = native(photo)
            assert item["status"] == status and got[item["link"]] == cleaned, photo

        screenshots(driver, tmp_path)
        assert stored(driver) == {"cached": sorted(site_files(built_site)), "local": 0, "session": 0, "databases": 0}
        log += driver.get_log("performance")
        urls = requested_urls(log)
        assert urls, "the network log recorded nothing"
        csp = document_headers(log, url).get("content-security-policy", "")
        assert csp.startswith("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'")
        foreign = [u for u in urls if not u.startswith((url, "blob:", "data:"))]
        assert foreign == [], f"requests to other origins: {foreign}"
        assert driver.execute_script("return window.__violations") == []
        assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    finally:
        driver.quit()
        httpd.shutdown()
        httpd.server_close()


# ---------------------------------------------------------------- geoscrub web serve

def test_web_serve_builds_the_site_and_serves_it_with_the_csp(tmp_path: Path) -> None:
    import re
    import sys
    import urllib.request

    support.build_site(tmp_path / "prebuilt")  # skips or fails here when Pyodide cannot be had
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    from geoscrub.web import pyodide_dist

    env[pyodide_dist.TARBALL_ENV] = str(tmp_path / "pyodide.tgz")
    (tmp_path / "pyodide.tgz").write_bytes(pyodide_dist.tarball())
    serving = subprocess.Popen([sys.executable, "-m", "geoscrub", "web", "serve", "--port", "0", "--no-open"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = serving.stdout.readline()
        url = re.search(r"at (http://127\.0\.0\.1:\d+/)", line).group(1)
        assert str(tmp_path / "cache" / "geoscrub" / "site") in line
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
            assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert page.count('type="file"') == 1
        with urllib.request.urlopen(url + "pyodide/pyodide.asm.wasm", timeout=10) as response:
            assert response.headers["Content-Type"] == "application/wasm"
    finally:
        serving.terminate()
        serving.wait(timeout=10)


# ---------------------------------------------------------------- issue 23: the page on a 390x844 phone

#: The phone the page was tried on (an iPhone 12-14 sized screen).
TALL_PHONE = {"width": 390, "height": 844, "pixelRatio": 3.0}
VIOLATIONS = """window.__violations = [];
    document.addEventListener("securitypolicyviolation", e => window.__violations.push([e.violatedDirective, e.blockedURI]));"""


@pytest.fixture(scope="module")
def phone_page(built_site: Path, tmp_path_factory):
    """The served site (with its real CSP) open in headless Chromium at 390x844, engine ready."""
    from geoscrub.web import server

    downloads = tmp_path_factory.mktemp("downloads")
    httpd, url = server.serve_in_background(built_site)
    driver = chromium(downloads, TALL_PHONE)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": VIOLATIONS})
        driver.get(url)
        wait_for(driver, 'return document.body.dataset.engine === "ready"', 120, "the engine to be ready")
        yield driver, downloads
    finally:
        driver.quit()
        httpd.shutdown()
        httpd.server_close()


def fresh(driver) -> None:
    """An empty list, the names switch on (as a visitor finds it) and the page scrolled to the top."""
    driver.execute_script("""document.getElementById("clear").click();
        const box = document.getElementById("neutral-names");
        if (box && !box.checked) box.click();
        window.scrollTo(0, 0);""")


def test_page_previews_a_clip_under_its_own_csp(phone_page, tmp_path: Path) -> None:
    import shutil

    support.need(shutil.which("ffmpeg") is not None, "the clip preview test makes its clip with ffmpeg")
    driver, _ = phone_page
    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=1",
                    "-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-metadata", "location=+51.5007-000.1246/",
                    "-movflags", "+faststart", str(clip)], check=True, capture_output=True)
    fresh(driver)
    pick(driver, [clip])
    [item] = finished_items(driver, 1)
    assert item["status"] == "cleaned", item
    state = wait_for(driver, """
        const item = document.querySelector("[data-file]");
        const video = item.querySelector("video.preview");
        if (item.querySelector(".no-preview")) return {failed: item.querySelector(".no-preview").textContent};
        if (!video || video.readyState < 1) return null;
        return {readyState: video.readyState, error: video.error && video.error.code, src: video.src,
                width: video.videoWidth};""", 20, "the clip's preview to load")
    assert "failed" not in state, state
    assert state["error"] is None and state["readyState"] >= 1 and state["src"].startswith("blob:")
    assert state["width"] == 96
    assert driver.execute_script("return window.__violations") == []


def test_save_clean_copy_is_in_view_after_choosing_a_photo_on_a_390x844_phone(phone_page, tmp_path: Path) -> None:
    driver, _ = phone_page
    fresh(driver)
    pick(driver, [support.SAMPLES / "jpeg" / "phone_photo_gps_owner_video.jpg"])
    finished_items(driver, 1)
    wait_for(driver, 'const img = document.querySelector(".preview"); return img && img.complete', 10, "the preview")
    place = driver.execute_script("""
        const save = document.querySelector("a[download]");
        const box = save.getBoundingClientRect();
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return {top: box.top, bottom: box.bottom, height: innerHeight, width: innerWidth, text: save.textContent,
                reached: hit === save || save.contains(hit)};""")
    assert place["width"] == TALL_PHONE["width"] and place["height"] == TALL_PHONE["height"]
    assert place["text"] == "Save clean copy"
    assert 0 <= place["top"] and place["bottom"] <= place["height"], place  # above the fold, nothing to scroll
    assert place["reached"], "something covers the button"
    driver.save_screenshot(str(tmp_path / "web-phone-390.png"))


def test_page_names_copies_neutrally_and_the_switch_keeps_the_old_name(phone_page, tmp_path: Path) -> None:
    from geoscrub.paths import NEUTRAL_STEM

    driver, downloads = phone_page
    fresh(driver)
    camera = tmp_path / "IMG_20250614_160311.jpg"
    camera.write_bytes((support.SAMPLES / "jpeg" / "gps_in_second_exif_segment.jpg").read_bytes())
    copy = tmp_path / "x.clean.jpg"
    copy.write_bytes(camera.read_bytes())
    pick(driver, [camera, copy])
    items = finished_items(driver, 2)
    assert [item["status"] for item in items] == ["cleaned", "cleaned"]
    for item in items:
        name = Path(item["link"])
        assert NEUTRAL_STEM.fullmatch(name.stem) and name.suffix == ".jpg", item  # as clean --rename names it
    switch = driver.find_element("id", "neutral-names")
    assert switch.is_displayed() and switch.is_selected()
    label = driver.execute_script('return document.getElementById("neutral-names").closest("label").innerText')
    assert "IMG_20250614_160311" in label
    driver.execute_script('document.getElementById("neutral-names").click()')  # keep the old names
    links = driver.find_elements("css selector", "a[download]")
    assert [link.get_attribute("download") for link in links] == ["IMG_20250614_160311.clean.jpg", "x.clean.jpg"]
    for leftover in downloads.iterdir():
        leftover.unlink()
    links[1].click()
    got = saved(downloads, ["x.clean.jpg"])
    assert got["x.clean.jpg"] == native(copy)[1]
    assert not any(".clean.clean" in p.name for p in downloads.iterdir())


def test_page_speaks_its_own_words_not_the_command_lines(phone_page) -> None:
    driver, _ = phone_page
    fresh(driver)
    photo = support.SAMPLES / "jpeg" / "phone_photo_gps_owner_video.jpg"
    pick(driver, [photo, support.SAMPLES / "png" / "raw_profile_exif.png"])
    finished_items(driver, 2)
    page_text = driver.find_element("tag name", "main").text
    assert "--" not in page_text and "already clean 0" not in page_text
    assert driver.find_element("id", "summary").text == render.page_counts_text(2, 0, 0) == "2 photos cleaned."
    more = driver.find_element("css selector", "[data-file] details.more")
    hidden = more.find_elements("css selector", "li")
    assert more.find_element("tag name", "summary").text == f"Show all details ({len(hidden)} more)"
    assert hidden and not hidden[0].is_displayed()
    more.find_element("tag name", "summary").click()
    assert all(line.is_displayed() for line in hidden)
