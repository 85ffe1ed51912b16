"""Regenerate the demo photos in samples/ (run: python scripts/generate_samples.py).

Every sample is made here from code, with invented people, places and serial
numbers; none is a copy of a real photo.  One file per format and hiding place.
"""
from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "samples"
sys.path.insert(0, str(ROOT))

from tests.builders import core  # noqa: E402

#: Samples from other generators go into a folder named after their format.
FOLDER_BY_SUFFIX = {".tif": "tiff", ".tiff": "tiff", ".dng": "tiff", ".gif": "gif", ".heic": "heic", ".avif": "avif"}
#: Generators contributed by other format modules: module -> function generate(outdir)
EXTRA_GENERATORS = ["tests.builders.samples_tiff_gif", "tests.builders.samples_heif"]


def core_samples() -> dict[str, bytes]:
    return {
        "jpeg/phone_photo_gps_owner_video.jpg": core.dirty_jpeg(),
        "jpeg/portrait_orientation_6.jpg": core.dirty_jpeg(orientation=6),
        "jpeg/gps_in_second_exif_segment.jpg": core.jpeg([
            core.app1_exif(core.exif_tiff(gps=None, owner=None, serial=None)),
            core.app1_exif(core.exif_tiff(owner=None, serial=None, h_error=4.7)),
        ]),
        "jpeg/extended_xmp_face_names.jpg": core.jpeg([
            core.app1_xmp(core.xmp_packet(gps=False)),
            *core.app1_extended_xmp(core.xmp_packet(face="Jo Example", padding=70000), guid=b"A" * 32),
        ]),
        "jpeg/colour_profile_and_comment.jpg": core.jpeg([core.app2_icc(core.icc_profile()),
                                                          core.comment("Sam's birthday, 14 Elm Road")]),
        "png/screenshot_text_and_exif_after_idat.png": core.dirty_png(),
        "png/looks_like_a_jpeg_but_is_png.jpg": core.png(before_idat=[core.text("Author", core.OWNER)]),
        "png/raw_profile_exif.png": core.png(before_idat=[core.raw_profile_exif(core.exif_tiff())]),
        "webp/webp_exif_xmp_icc.webp": core.dirty_webp(),
        "webp/misspelled_xmp_chunk.webp": core.webp([core.riff_chunk(b"XMP\x00", core.xmp_packet())],
                                                    trailer=b"extra bytes after the end"),
    }


def main() -> int:
    written = []
    for rel, data in core_samples().items():
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    for name in EXTRA_GENERATORS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            for made in module.generate(Path(tmp)):
                folder = HERE / FOLDER_BY_SUFFIX.get(made.suffix.lower(), "other")
                folder.mkdir(exist_ok=True)
                written.append(Path(shutil.move(made, folder / made.name)))
    for path in written:
        print(path.relative_to(HERE))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
