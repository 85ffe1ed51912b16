"""The page's "Look for faces and words too" (issue 24) in headless Chromium, and its Python side.

The browser test builds the site with the look extra's models and onnxruntime-web,
turns the switch on, and proves on generated photos: boxes drawn around drawn
text and around a face (scikit-image's public-domain astronaut), a tap uncovers
and covers a box, a drag adds one, and the covered download is a metadata-clean
JPEG whose covered area is solid.  It skips (or fails under GEOSCRUB_REQUIRE_TOOLS=1)
without Chromium, the look extra or the runtime download.
"""
from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest

from geoscrub.api import clean_bytes, scan_bytes
from geoscrub.formats import jpeg
from geoscrub.web import look_dist, look_page
from tests.web import support

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- photos made here

def sign_photo(path: Path) -> Path:
    """A photo-sized picture with a school sign and a number plate drawn into it, and GPS in its EXIF."""
    import piexif
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.new("RGB", (1600, 1200), (96, 128, 80))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((180, 200, 1420, 420), fill=(240, 240, 235))
    draw.text((230, 250), "ST MARYS SCHOOL", font=ImageFont.load_default(size=110), fill=(20, 40, 120))
    draw.rectangle((500, 800, 1100, 940), fill=(250, 210, 40))
    draw.text((545, 815), "AB12 CDE", font=ImageFont.load_default(size=100), fill=(10, 10, 10))
    gps = {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((51, 1), (30, 1), (0, 1)),
           piexif.GPSIFD.GPSLongitudeRef: b"W", piexif.GPSIFD.GPSLongitude: ((0, 1), (7, 1), (0, 1))}
    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"PhoneMaker"}, "GPS": gps})
    picture.save(path, "JPEG", quality=90, exif=exif)
    return path


def face_photo(path: Path) -> Path:
    """scikit-image's astronaut (public domain) beside a street sign, on a photo-like canvas."""
    skimage_data = pytest.importorskip("skimage.data", reason="the face photo comes from scikit-image")
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.new("RGB", (1200, 900), (120, 140, 110))
    picture.paste(Image.fromarray(skimage_data.astronaut()), (80, 300))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((640, 120, 1130, 240), fill=(250, 250, 245))
    draw.text((670, 140), "HIGH STREET", font=ImageFont.load_default(size=72), fill=(10, 10, 10))
    picture.save(path, "JPEG", quality=90)
    return path


def wide_face_and_upside_down_sign(path: Path) -> Path:
    """A wide picture (1200 x 528: not a multiple of 32 high, so a stretched model input distorts it) with
    the astronaut's face and a street sign upside down, as a photo taken with the phone turned round shows."""
    skimage_data = pytest.importorskip("skimage.data", reason="the face photo comes from scikit-image")
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.new("RGB", (1200, 528), (120, 140, 110))
    picture.paste(Image.fromarray(skimage_data.astronaut()).resize((500, 500)), (650, 28))
    sign = Image.new("RGB", (560, 150), (250, 250, 245))
    ImageDraw.Draw(sign).text((30, 25), "HIGH STREET", font=ImageFont.load_default(size=80), fill=(10, 10, 10))
    picture.paste(sign.rotate(180), (40, 190))
    picture.save(path, "PNG")  # lossless: the page and the command line look at the very same pixels
    return path


# ---------------------------------------------------------------- Python side (no browser)

def test_page_words_name_faces_and_words_and_pad_the_boxes() -> None:
    said = look_page.seen_for_page(json.dumps({
        "width": 1000, "height": 800,
        "words": [{"text": "ST MARYS SCHOOL", "score": 0.98, "box": [100, 100, 500, 160]}],
        "faces": [{"box": [600, 300, 700, 420], "score": 0.9}],
    }))
    assert said["faces"] == 1
    assert said["words"] == ["ST", "MARYS", "SCHOOL"]
    from geoscrub import report_look
    from geoscrub.look.seen import SeenFace, SeenWord, Sight

    sight = Sight(words=[SeenWord("ST MARYS SCHOOL", (100, 100, 500, 160), 0.98)],
                  faces=[SeenFace((600, 300, 700, 420), 0.9)])
    assert said["lines"] == report_look.look_lines(sight)  # the command line's words, worst first
    assert "a face" in said["lines"][0] and "school" in said["lines"][1]
    kinds = sorted(box["kind"] for box in said["boxes"])
    assert kinds == ["face", "word"]
    face = next(box for box in said["boxes"] if box["kind"] == "face")["box"]
    assert face[0] < 600 and face[1] < 300 and face[2] > 700 and face[3] > 420  # padded, never smaller


def test_page_words_for_a_picture_with_nothing_found() -> None:
    said = look_page.seen_for_page(json.dumps({"width": 10, "height": 10, "words": [], "faces": []}))
    assert said["faces"] == 0 and said["words"] == [] and said["lines"] == [] and said["boxes"] == []
    assert look_page.NOTHING_FOUND in said["note"]  # never "the photo is safe": the caveat follows


def test_page_never_says_a_picture_it_could_not_look_at_shows_nothing() -> None:
    from geoscrub import report_look

    said = look_page.seen_for_page(json.dumps({"looked": False, "why": "this browser cannot open this kind of photo"}))
    assert not said["looked"] and said["boxes"] == []
    assert said["lines"] == [report_look.NOT_LOOKED_AT.format(why="this browser cannot open this kind of photo")]
    assert look_page.seen_for_page(json.dumps({"video": True}))["lines"] == [
        report_look.NOT_LOOKED_AT.format(why=report_look.VIDEO_WHY)]


def test_page_leaves_out_words_read_with_little_confidence() -> None:
    said = look_page.seen_for_page(json.dumps({"width": 100, "height": 100, "faces": [], "words": [
        {"text": "EXIT", "score": 0.95, "box": [1, 1, 40, 10]}, {"text": "xq", "score": 0.2, "box": [1, 50, 9, 60]}]}))
    assert said["words"] == ["EXIT"]


def _jpeg_with_profile(profile: bytes | None) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "JPEG", **({"icc_profile": profile} if profile else {}))
    return out.getvalue()


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_covered_copy_gets_the_photos_colour_profile_back_and_is_verified_clean(tmp_path: Path) -> None:
    profile = _srgb_profile()
    photo = clean_bytes(_jpeg_with_profile(profile))[2]
    encoded = _jpeg_with_profile(None)  # as the browser's canvas encodes: no profile
    answer = look_page.covered_for_page(encoded, photo, "IMG_0001.JPG",
                                        json.dumps({"faces": 2, "words": ["AB12 CDE"], "drawn": 1}))
    assert answer["status"] == "covered"
    assert answer["download_name"] == "IMG_0001.covered.jpg"
    assert answer["profile"] == look_page.PROFILE_KEPT
    assert answer["detail"] == "covered 2 faces, 1 number plate and 1 area you marked (re-encoded)"
    kept = jpeg.icc_profile(photo, jpeg.parse(photo).segments)  # as cleaning left it (its date taken out)
    assert kept is not None and kept[36:40] == profile[36:40] == b"acsp"
    assert jpeg.icc_profile(answer["cleaned"], jpeg.parse(answer["cleaned"]).segments) == kept
    assert clean_bytes(answer["cleaned"])[2] == answer["cleaned"]  # nothing left to take out


def test_covered_copy_is_named_after_the_clean_copy() -> None:
    assert look_page.covered_name("IMG_0001.clean.jpg") == "IMG_0001.covered.jpg"
    assert look_page.covered_name("photo-0a1b2c3d4e5f.heic") == "photo-0a1b2c3d4e5f.covered.jpg"
    assert look_page.covered_name("my.cleanup.png") == "my.cleanup.covered.jpg"
    assert look_page.covered_name("../") == "photo.covered.jpg"


def test_covered_copy_of_a_photo_without_a_profile_says_so() -> None:
    answer = look_page.covered_for_page(_jpeg_with_profile(None), _jpeg_with_profile(None), "a.png", "{}")
    assert answer["status"] == "covered" and answer["profile"] == look_page.PROFILE_NONE
    assert ".covered." in answer["download_name"]


def test_covered_copy_that_is_not_a_photo_is_refused_not_raised() -> None:
    answer = look_page.covered_for_page(b"not a jpeg", _jpeg_with_profile(None), "a.jpg", "{}")
    assert answer["status"] == "refused" and answer["cleaned"] is None and "not saved" in answer["detail"]


def test_site_without_the_look_extra_still_builds_and_says_looking_is_missing(monkeypatch) -> None:
    from geoscrub.web import site

    monkeypatch.setattr(look_dist, "package_file", lambda package, path: (_ for _ in ()).throw(
        look_dist.LookUnavailable("the look extra is not installed (no rapidocr package)")))
    try:
        files = site.site_files()
    except site.pyodide_dist.RuntimeUnavailable as err:
        support.need(False, f"the Pyodide runtime cannot be had: {err}")
    marker = json.loads(files[site.MARKER])
    assert marker["look"] is None and "not installed" in marker["look_missing"]
    assert not [name for name in files if name.startswith("look/")]
    assert "look.js" in files  # the switch is there, and says looking is not available


def test_face_model_gets_free_input_sizes_and_reading_model_gives_its_characters() -> None:
    files, missing = look_dist.look_files()
    support.need(missing is None, f"the look files cannot be had: {missing}")
    onnxruntime = pytest.importorskip("onnxruntime")
    import numpy

    faces = onnxruntime.InferenceSession(files["look/faces.onnx"])
    outputs = faces.run(None, {"input.1": numpy.zeros((1, 3, 96, 128), numpy.float32)})
    assert outputs[0].shape == (1, 1, 24, 32)
    characters = files["look/text-characters.txt"].decode().split("\n")
    assert {"A", "Z", "0", "9"} <= set(characters)
    manifest = json.loads(files[look_dist.MANIFEST])
    from geoscrub.look import detect

    assert manifest["params"]["max_side"] == detect.LOOK_SIDE  # the page looks as the command line does
    assert manifest["params"]["text_score"] == detect.TEXT_SCORE
    assert manifest["params"]["faces"]["threshold"] == detect.FACE_SCORE
    assert "look/text-angle.onnx" in files and manifest["models"]["text_angle"] == "look/text-angle.onnx"
    angle = onnxruntime.InferenceSession(files["look/text-angle.onnx"])
    (scores,) = angle.run(None, {angle.get_inputs()[0].name: numpy.zeros((1, 3, 48, 192), numpy.float32)})
    assert scores.shape == (1, 2)  # ["0", "180"]
    import yaml

    rapidocr = yaml.safe_load(look_dist.package_file("rapidocr", "config.yaml").read_text())["Cls"]
    assert manifest["params"]["text_angle"] == {"threshold": rapidocr["cls_thresh"],
                                                "height": rapidocr["cls_image_shape"][1],
                                                "width": rapidocr["cls_image_shape"][2]}
    assert rapidocr["label_list"] == ["0", "180"]
    assert manifest["download_bytes"] == sum(len(b) for n, b in files.items() if n != look_dist.MANIFEST)


# ---------------------------------------------------------------- the page in headless Chromium

LOOK_PHONE = {"width": 390, "height": 844, "pixelRatio": 2.0}
#: The README's screenshot is replaced only when asked, so a test run leaves the work tree as it was.
UPDATE_SCREENSHOTS = __import__("os").environ.get("GEOSCRUB_UPDATE_SCREENSHOTS") == "1"


@pytest.fixture(scope="module")
def look_site(tmp_path_factory) -> Path:
    files, missing = look_dist.look_files()
    support.need(missing is None, f"the page's look files cannot be had: {missing}")
    return support.build_site(tmp_path_factory.mktemp("look-web") / "site")


def _boxes(driver, item_id: str) -> list[dict[str, object]]:
    return driver.execute_script("""
        return Array.from(document.querySelectorAll(`#${arguments[0]} svg rect.look-box`)).map(r => ({
          kind: r.classList.contains("face") ? "face" : r.classList.contains("word") ? "word" : "drawn",
          covered: r.getAttribute("aria-pressed") === "true",
          box: ["x", "y", "width", "height"].map(a => Number(r.getAttribute(a)))}));""", item_id)


def _solid(picture, box: list[float]) -> bool:
    """Whether the inside of ``box`` (x, y, width, height) is one solid dark colour in ``picture``."""
    x, y, w, h = box
    inner = picture.crop((int(x + 4), int(y + 4), int(x + w - 4), int(y + h - 4))).convert("L")
    lowest, highest = inner.getextrema()
    return highest - lowest <= 12 and highest <= 24


def test_page_looks_draws_boxes_toggles_adds_and_saves_a_clean_covered_copy(
        look_site: Path, tmp_path: Path) -> None:
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains

    from geoscrub.web import server
    from tests import test_web_page as page

    photos = [sign_photo(tmp_path / "sign.jpg"), face_photo(tmp_path / "face.jpg")]
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    httpd, url = server.serve_in_background(look_site)
    driver = page.chromium(downloads, LOOK_PHONE)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """window.__violations = [];
            document.addEventListener("securitypolicyviolation", e => window.__violations.push(e.blockedURI));"""})
        driver.get(url)
        page.wait_for(driver, 'return document.body.dataset.engine === "ready"', 120, "the engine to be ready")
        page.wait_for(driver, 'return document.body.dataset.lookAvailable === "yes"', 20, "the switch")
        switch = driver.find_element("id", "look")
        assert switch.get_attribute("role") == "switch" and not switch.is_selected()
        note = driver.find_element("id", "look-note").text
        assert "MB" in note and "this site" in note, note  # it says what it downloads, and from where
        page.wait_for(driver, 'return document.body.dataset.offline === "ready"', 60, "the service worker")
        before = [name for name in page.stored(driver)["cached"] if name.startswith("look/")]
        assert before == ["look/look.json"]  # only what it would download is kept before the switch is used

        driver.find_element("css selector", 'label[for="look"]').click()
        page.pick(driver, photos)
        page.finished_items(driver, 2)
        page.wait_for(driver, """return Array.from(document.querySelectorAll("[data-file]"))
                                   .every(i => ["done", "failed", "not-looked"].includes(i.dataset.look))""", 240, "looking")
        sign, face = (driver.execute_script(f"""const i = document.querySelectorAll("[data-file]")[{n}];
            return {{id: i.id, look: i.dataset.look, faces: i.dataset.faces, words: i.dataset.words,
                     text: i.innerText}}""") for n in (0, 1))
        assert sign["look"] == "done" and face["look"] == "done", (sign, face)
        assert "SCHOOL" in sign["words"].upper() and "AB12" in sign["words"].upper().replace(" ", ""), sign
        assert sign["faces"] == "0"
        assert int(face["faces"]) >= 1, face
        sign_boxes = _boxes(driver, sign["id"])
        assert len([b for b in sign_boxes if b["kind"] == "word"]) >= 2 and all(b["covered"] for b in sign_boxes)
        assert [b for b in _boxes(driver, face["id"]) if b["kind"] == "face"]

        # a tap uncovers a box, another covers it again
        def rect(n: int):
            return driver.find_elements("css selector", f'#{sign["id"]} svg rect.look-box')[n]

        driver.execute_script('document.querySelector(`#${arguments[0]} svg`).scrollIntoView({block: "center"})',
                              sign["id"])
        ActionChains(driver).move_to_element(rect(0)).click().perform()
        assert not _boxes(driver, sign["id"])[0]["covered"]
        ActionChains(driver).move_to_element(rect(0)).click().perform()
        assert _boxes(driver, sign["id"])[0]["covered"]
        ActionChains(driver).move_to_element(rect(0)).click().perform()  # left uncovered in the saved copy
        # with Cover an area on, a drag across the bottom left corner covers what the finder missed
        driver.find_element("css selector", f'#{sign["id"]} button.cover-area').click()
        svg = driver.find_element("css selector", f'#{sign["id"]} svg')
        ActionChains(driver).move_to_element_with_offset(svg, -svg.size["width"] // 2 + 10, svg.size["height"] // 2 - 40) \
            .click_and_hold().move_by_offset(50, 25).move_by_offset(20, 10).release().perform()
        boxes = _boxes(driver, sign["id"])
        drawn = [b for b in boxes if b["kind"] == "drawn"]
        assert len(drawn) == 1 and drawn[0]["covered"] and drawn[0]["box"][2] > 20, boxes

        page.wait_for(driver, f'return document.getElementById("{sign["id"]}").dataset.coveredCopy === "ready"',
                      60, "the covered copy")
        link = driver.find_element("css selector", f'#{sign["id"]} a.covered-copy[download]')
        name = link.get_attribute("download")
        clean_name = driver.find_element("css selector", f'#{sign["id"]} a.primary[download]').get_attribute("download")
        assert name.endswith(".covered.jpg") and name.split(".")[0] == clean_name.split(".")[0], (name, clean_name)
        link.click()
        data = page.saved(downloads, [name])[name]
        fmt, found = scan_bytes(data)
        assert fmt.name == "JPEG" and not found.findings, found.findings  # no GPS, no maker: metadata-clean
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.size == (1600, 1200)
            covered = [b for b in boxes if b["covered"]]
            assert covered and all(_solid(picture, b["box"]) for b in covered)
            assert not _solid(picture, boxes[0]["box"])  # the uncovered box shows the sign again

        cached = page.stored(driver)["cached"]
        assert {"look/text-boxes.onnx", "look/text-reading.onnx", "look/faces.onnx"} <= set(cached)
        assert driver.execute_script("return window.__violations") == []
        urls = page.requested_urls(driver.get_log("performance"))
        assert not [u for u in urls if not u.startswith((url, "blob:", "data:"))]
        _screenshot(driver, face["id"], tmp_path)

        # a new version of the page keeps the finder's unchanged files: no second download
        sw = look_site / "sw.js"
        old_version = re.search(r'const VERSION = "([0-9a-f]+)";', sw.read_text()).group(1)
        sw.write_text(sw.read_text().replace(old_version, "0" * len(old_version)))
        driver.refresh()
        page.wait_for(driver, f"""
            return window.__kept || (caches.keys().then(async keys => {{
              if (keys.length !== 1 || keys[0] !== "geoscrub-{"0" * len(old_version)}") return;
              const names = (await (await caches.open(keys[0])).keys()).map(r => new URL(r.url).pathname);
              if (names.some(n => n.endsWith("/look/faces.onnx"))) window.__kept = names;
            }}), null)""", 60, "the new version to keep the finder's files")

        # offline after the first use (and the update): the server goes away, the finder still works
        # from the service worker's new cache, so the files it carried over are whole
        httpd.shutdown()
        httpd.server_close()
        driver.refresh()
        page.wait_for(driver, 'return document.body.dataset.engine === "ready"', 120, "the engine offline")
        page.wait_for(driver, 'return document.body.dataset.lookAvailable === "yes"', 20, "the switch offline")
        assert "offline" in driver.find_element("id", "look-note").text  # it says the models are kept here
        driver.find_element("css selector", 'label[for="look"]').click()
        page.pick(driver, [photos[1]])
        page.wait_for(driver, 'const i = document.querySelector("[data-file]"); return i && i.dataset.look', 120,
                      "looking offline")
        page.wait_for(driver, 'return document.querySelector("[data-file]").dataset.look !== "looking"', 120,
                      "looking offline")
        assert int(driver.execute_script('return document.querySelector("[data-file]").dataset.faces')) >= 1
    finally:
        driver.quit()
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def wide_photo_looked_at(look_site: Path, tmp_path_factory):
    """The page with the wide face-and-upside-down-sign photo looked at: (driver, the item's id, the photo)."""
    from geoscrub.web import server
    from tests import test_web_page as page

    folder = tmp_path_factory.mktemp("look-wide")
    photo = wide_face_and_upside_down_sign(folder / "wide.png")
    httpd, url = server.serve_in_background(look_site)
    driver = page.chromium(folder, LOOK_PHONE)
    try:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
        driver.get(url)
        page.wait_for(driver, 'return document.body.dataset.engine === "ready"', 120, "the engine to be ready")
        page.wait_for(driver, 'return document.body.dataset.lookAvailable === "yes"', 20, "the switch")
        driver.find_element("css selector", 'label[for="look"]').click()
        page.pick(driver, [photo])
        page.finished_items(driver, 1)
        page.wait_for(driver, 'const i = document.querySelector("[data-file]"); '
                              'return i && ["done", "failed", "not-looked"].includes(i.dataset.look)', 240, "looking")
        item_id = driver.execute_script('return document.querySelector("[data-file]").id')
        yield driver, item_id, photo
    finally:
        driver.quit()
        httpd.shutdown()
        httpd.server_close()


def _item(driver, item_id: str) -> dict[str, object]:
    return driver.execute_script("const i = document.getElementById(arguments[0]); return {...i.dataset};", item_id)


def test_page_gives_the_face_model_the_photo_unstretched_as_the_command_line_does(wide_photo_looked_at) -> None:
    from PIL import Image

    from geoscrub.look.detect import FaceFinder
    numpy = pytest.importorskip("numpy")

    driver, item_id, photo = wide_photo_looked_at
    item = _item(driver, item_id)
    assert item["look"] == "done" and item["faces"] == "1", item
    with Image.open(photo) as picture:
        expected = FaceFinder().find(numpy.asarray(picture.convert("RGB")))
    assert len(expected) == 1
    # the boxes drawn are the command line's, padded as it pads them (a stretched input moves them 3-4 px)
    said = look_page.seen_for_page(json.dumps({"width": 1200, "height": 528, "words": [],
                                               "faces": [{"box": f[:4], "score": f[4]} for f in expected]}))
    (want,) = [b["box"] for b in said["boxes"]]
    (drawn,) = [b["box"] for b in _boxes(driver, item_id) if b["kind"] == "face"]
    got = [drawn[0], drawn[1], drawn[0] + drawn[2], drawn[1] + drawn[3]]
    assert all(abs(g - w) <= 2 for g, w in zip(got, want)), (got, want)
    (found,) = json.loads(item["faceBoxes"])
    assert all(abs(g - w) <= 1 for g, w in zip(found, expected[0][:4])), (found, expected)
    # kept its shape: the photo's 1200 x 528 pixels, padded with black to multiples of 32
    assert json.loads(item["faceInput"]) == {"drawn": [1200, 528], "padded": [1216, 544]}


def test_page_reads_an_upside_down_sign(wide_photo_looked_at) -> None:
    driver, item_id, _ = wide_photo_looked_at
    item = _item(driver, item_id)
    assert item["look"] == "done", item
    assert {"HIGH", "STREET"} <= set(item["words"].upper().split()), item["words"]
    assert item["turnedWords"] == "1"  # the text-angle check turned the sign's line round before reading it
    text = driver.find_element("id", item_id).text
    assert "HIGH STREET" in text.upper(), text


def _scroll_by_touch(driver, element, distance: int) -> int:
    """A one-finger swipe down starting on ``element``; how far the page scrolled (CSS px, up is negative)."""
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
    before = driver.execute_script("return window.scrollY")
    box = driver.execute_script("const r = arguments[0].getBoundingClientRect(); "
                                "return [r.left + r.width / 2, r.top + r.height / 2]", element)
    touch = lambda kind, points: driver.execute_cdp_cmd(  # noqa: E731
        "Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
    touch("touchStart", [{"x": box[0], "y": box[1]}])
    for step in range(1, 11):
        touch("touchMove", [{"x": box[0], "y": box[1] + distance * step / 10}])
    touch("touchEnd", [])
    time.sleep(0.5)  # a scroll's last frames land after the finger lifts
    return driver.execute_script("return window.scrollY") - before


def _tap(driver, element) -> None:
    """A one-finger tap in the middle of ``element``."""
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
    x, y = driver.execute_script("const r = arguments[0].getBoundingClientRect(); "
                                 "return [r.left + r.width / 2, r.top + r.height / 2]", element)
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_page_scrolls_under_a_finger_and_adds_boxes_only_in_cover_an_area(wide_photo_looked_at) -> None:
    from tests import test_web_page as page

    driver, item_id, _ = wide_photo_looked_at
    uncovered = f"return document.querySelector('#{item_id} rect.face').getAttribute('aria-pressed') === 'false'"
    covered = uncovered.replace("'false'", "'true'")
    svg = driver.find_element("css selector", f"#{item_id} svg")
    button = driver.find_element("css selector", f"#{item_id} button.cover-area")
    assert button.text == "Cover an area" and button.get_attribute("aria-pressed") == "false"
    assert driver.execute_script("return getComputedStyle(arguments[0]).touchAction", svg) != "none"
    face = driver.find_element("css selector", f"#{item_id} svg rect.look-box.face")
    _tap(driver, face)  # a tap on a box still uncovers it, and covers it again
    page.wait_for(driver, uncovered, 10, "the tapped face box to be uncovered")
    _tap(driver, face)
    page.wait_for(driver, covered, 10, "the tapped face box to be covered again")
    count = len(_boxes(driver, item_id))
    moved = _scroll_by_touch(driver, svg, 150)  # the finger moves down: the page scrolls up
    assert moved < -50, moved
    assert len(_boxes(driver, item_id)) == count  # a swipe is not a drag while Cover an area is off

    button.click()
    assert button.get_attribute("aria-pressed") == "true" and _item(driver, item_id)["coverArea"] == "on"
    assert driver.execute_script("return getComputedStyle(arguments[0]).touchAction", svg) == "none"
    hint = driver.find_element("css selector", f"#{item_id} .cover-hint").text
    assert "drag" in hint and "scroll" in hint, hint
    moved = _scroll_by_touch(driver, svg, 80)
    assert abs(moved) < 2, moved  # the finger draws instead
    boxes = _boxes(driver, item_id)
    drawn = [b for b in boxes if b["kind"] == "drawn"]
    assert len(boxes) == count + 1 and len(drawn) == 1 and drawn[0]["covered"] and drawn[0]["box"][3] > 40, boxes
    face = driver.find_element("css selector", f"#{item_id} svg rect.look-box.face")
    _tap(driver, face)  # while drawing, a tap on a box still uncovers it (a tap is not a drag)
    page.wait_for(driver, uncovered, 10, "the tapped face box to be uncovered while drawing")
    _tap(driver, face)
    page.wait_for(driver, covered, 10, "the tapped face box to be covered again while drawing")
    assert len(_boxes(driver, item_id)) == count + 1

    button.click()  # off again: scrolling is back
    assert button.get_attribute("aria-pressed") == "false"
    assert _scroll_by_touch(driver, svg, 150) < -50


def test_page_boxes_are_covered_uncovered_and_added_with_the_keyboard(wide_photo_looked_at) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver, item_id, _ = wide_photo_looked_at
    active = lambda: driver.execute_script(  # noqa: E731
        "const a = document.activeElement; return [a.tagName.toLowerCase(), a.getAttribute('aria-label'), "
        "a.getAttribute('aria-pressed'), a.dataset.index ?? null]")
    keys = lambda *k: ActionChains(driver).send_keys(*k).perform()  # noqa: E731

    # Tab from the Save buttons reaches each box; Enter and Space cover and uncover it, and it keeps the focus
    from tests import test_web_page as page

    page.wait_for(driver, f'return document.getElementById("{item_id}").dataset.coveredCopy === "ready"', 60,
                  "the covered copy (its link is a keyboard stop once it can be saved)")
    driver.execute_script("document.querySelector(`#${arguments[0]} .actions a:last-of-type`).focus()", item_id)
    keys(Keys.TAB)
    assert active() == ["rect", "face 1, covered", "true", "0"], active()
    keys(Keys.ENTER)
    assert active() == ["rect", "face 1, not covered", "false", "0"], active()
    keys(Keys.SPACE)
    assert active() == ["rect", "face 1, covered", "true", "0"], active()
    keys(Keys.TAB)
    tag, label, pressed, _ = active()
    assert tag == "rect" and label.startswith("words 1: ") and "STREET" in label.upper() and label.endswith(", covered")

    # Cover an area, from the keyboard: a new box in the middle, moved and widened by the arrows, placed by Enter
    drawn_before = [b for b in _boxes(driver, item_id) if b["kind"] == "drawn"]
    while active()[0] != "button":
        keys(Keys.TAB)
    assert driver.execute_script("return document.activeElement.classList.contains('cover-area')")
    keys(Keys.ENTER)
    tag, label, _, _ = active()
    assert tag == "svg" and "arrow keys" in label and "Enter" in label, label
    key_help = driver.find_element("css selector", f"#{item_id} .key-help")
    assert key_help.is_displayed() and "arrow keys" in key_help.text, key_help.text  # said on the page too
    keys(Keys.ARROW_RIGHT)  # the new box appears: 300 x 132, in the middle of the 1200 x 528 photo
    keys(Keys.ARROW_RIGHT)  # one step is 2% of the longer side: 24 px
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ARROW_DOWN).key_up(Keys.SHIFT).perform()
    assert len(driver.find_elements("css selector", f"#{item_id} svg rect.look-draft")) == 1
    keys(Keys.ENTER)
    drawn = [b for b in _boxes(driver, item_id) if b["kind"] == "drawn"]
    assert len(drawn) == len(drawn_before) + 1, drawn
    assert drawn[-1]["box"] == [474, 198, 300, 156] and drawn[-1]["covered"], drawn
    assert not driver.find_elements("css selector", f"#{item_id} svg rect.look-draft")
    label = driver.execute_script(
        "return Array.from(document.querySelectorAll(`#${arguments[0]} svg rect.look-box.drawn`)).pop()"
        ".getAttribute('aria-label')", item_id)
    assert label == f"area {len(drawn)} you added, covered", label
    keys(Keys.ESCAPE)  # Escape leaves Cover an area, back on its button
    assert active()[0] == "button" and _item(driver, item_id)["coverArea"] == "off"
    assert not key_help.is_displayed()


def _screenshot(driver, item_id: str, folder: Path) -> None:
    """docs/web-look.png: the face-and-sign photo with its boxes, at phone size (written with GEOSCRUB_UPDATE_SCREENSHOTS=1)."""
    from PIL import Image

    driver.execute_script("document.activeElement.blur(); document.getElementById(arguments[0]).scrollIntoView()",
                          item_id)
    shot = folder / "web-look.png"
    driver.save_screenshot(str(shot))
    with Image.open(shot) as picture:
        assert picture.size[0] == LOOK_PHONE["width"] * LOOK_PHONE["pixelRatio"]
    if UPDATE_SCREENSHOTS:
        (REPO / "docs" / "web-look.png").write_bytes(shot.read_bytes())


# ---------------------------------------------------------------- look-models.js in Node (no browser, no model)

LOOK_MODELS_CHECK = r"""
import * as m from %(module)s;
const out = {};
// a 200x100 probability map with one tilted band of "text" and one speck
const W = 200, H = 100, prob = new Float32Array(W * H);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
  const v = (y - 50) - 0.2 * (x - 100);           // distance from a line rising 0.2 px a px
  if (Math.abs(v) < 6 && x > 30 && x < 170) prob[y * W + x] = 0.9;
}
prob[5 * W + 5] = 0.9;                            // a single pixel: too small to be a line
const boxes = m.textBoxes(prob, W, H, {});
out.boxes = boxes.map(b => ({center: b.center, size: b.size, axis: b.axis, score: b.score}));
// reading input: 48 px high, padded to at least 320
const rgba = new Uint8ClampedArray(W * H * 4).fill(255);
const input = m.readingInput(rgba, W, H, boxes[0]);
out.reading = {width: input.width, length: input.data.length, first: input.data[0]};
// CTC: blank=0, characters 1..n, then a space
const chars = ["A", "B", "C"];
const steps = [1, 1, 0, 1, 2, 2, 4, 3], classes = 5, probs = new Float32Array(steps.length * classes);
steps.forEach((c, t) => { probs[t * classes + c] = 0.9; });
out.ctc = m.ctcDecode(probs, steps.length, classes, chars);
// CenterFace: one strong centre at map (10, 8), a weaker one beside it (the same face), one far away
const mw = 40, mh = 30, plane = mw * mh;
const heat = new Float32Array(plane), scale = new Float32Array(2 * plane), offset = new Float32Array(2 * plane);
const put = (x, y, s) => { heat[y * mw + x] = s; scale[y * mw + x] = Math.log(20 / 4); scale[plane + y * mw + x] = Math.log(16 / 4); };
put(10, 8, 0.9); put(11, 8, 0.7); put(30, 20, 0.6); put(5, 25, 0.3);
out.faces = m.faceBoxes(heat, scale, offset, mw, mh, mw * 4, mh * 4, {threshold: 0.5, overlap: 0.3});
out.size = m.modelSize(4000, 3000, 2000);
out.frame = m.faceFrame(1200, 528, 2000);
out.shrunkFrame = m.faceFrame(4000, 2250, 2000);
// the angle check's input, and a line cut out turned round: a dark left half comes out on the right
const half = new Uint8ClampedArray(W * H * 4).fill(255);
for (let y = 0; y < H; y++) for (let x = 0; x < W / 2; x++) half.fill(0, (y * W + x) * 4, (y * W + x) * 4 + 3);
const line = {center: [100, 50], size: [160, 32], axis: [1, 0]};
const angle = m.angleInput(half, W, H, line, {height: 48, width: 192});
out.angle = {width: angle.width, length: angle.data.length};
const turned = m.readingInput(half, W, H, m.turnedRound(line));
const plain = m.readingInput(half, W, H, line);
out.turned = {plainLeft: plain.data[24 * plain.width + 5], turnedLeft: turned.data[24 * turned.width + 5]};
out.upsideDown = [m.upsideDown([0.05, 0.95], 0.9), m.upsideDown([0.15, 0.85], 0.9), m.upsideDown([0.97, 0.03], 0.9)];
console.log(JSON.stringify(out));
"""


def test_look_models_module_finds_lines_reads_ctc_and_decodes_faces() -> None:
    import subprocess

    node = support.node()
    module = REPO / "geoscrub" / "web" / "static" / "look-models.js"
    script = LOOK_MODELS_CHECK % {"module": json.dumps(module.as_uri())}
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert len(out["boxes"]) == 1  # the band, not the speck
    (box,) = out["boxes"]
    assert abs(box["center"][0] - 100) < 3 and abs(box["center"][1] - 50) < 3
    # the band is ~141 x 13 px; unclip grows each side by area * 1.6 / perimeter (about 10 px), as PP-OCR does
    assert 155 < box["size"][0] < 175 and 28 < box["size"][1] < 40
    assert abs(box["axis"][1] / box["axis"][0] - 0.2) < 0.03 and box["axis"][0] > 0  # along the line, reading right
    assert out["reading"]["width"] >= 320 and out["reading"]["length"] == 3 * 48 * out["reading"]["width"]
    assert abs(out["reading"]["first"] - 1.0) < 1e-6  # white is +1
    assert out["ctc"]["text"] == "AAB C" and abs(out["ctc"]["score"] - 0.9) < 1e-6  # repeats and blanks dropped
    faces = sorted(out["faces"], key=lambda f: -f["score"])
    assert len(faces) == 2  # the weaker overlapping centre is the same face; 0.3 is under the threshold
    left, top, right, bottom = faces[0]["box"]
    assert abs((left + right) / 2 - 42) < 1 and abs((top + bottom) / 2 - 34) < 1
    assert abs(right - left - 16) < 0.01 and abs(bottom - top - 20) < 0.01
    assert out["size"] == {"width": 2016, "height": 1504}
    # the face model's input keeps the photo's shape, padded to multiples of 32 (as FaceFinder pads)
    assert out["frame"] == {"width": 1200, "height": 528, "paddedWidth": 1216, "paddedHeight": 544}
    assert out["shrunkFrame"] == {"width": 2000, "height": 1125, "paddedWidth": 2016, "paddedHeight": 1152}
    assert out["angle"] == {"width": 192, "length": 3 * 48 * 192}  # PP-OCR's classifier input, 48 x 192
    assert out["turned"]["plainLeft"] < -0.9 and out["turned"]["turnedLeft"] > 0.9  # dark left -> light left
    assert out["upsideDown"] == [True, False, False]  # turned only when sure, as rapidocr's 0.9
