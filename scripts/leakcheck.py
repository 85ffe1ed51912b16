#!/usr/bin/env python3
"""Leak check that runs wherever Python and ExifTool do (Windows and macOS CI included).

    python scripts/leakcheck.py [FOLDER]        (default: samples/)

Cleans FOLDER with ``python -m geoscrub clean --output`` into a temp folder,
then judges every copy with ExifTool, an independent reader geoscrub never
uses: a copy LEAKS when ExifTool still sees a place, a person, a serial
number, free text, a thumbnail, maker notes, a trailer or the device and
time; PIXELS when it no longer decodes to the original's pixels (Pillow,
and pillow-heif for HEIC/AVIF).  A refused file has no copy and is counted.
Exit status 1 on any leak or pixel change, 2 when ExifTool is missing.

This is a smaller cousin of ``../shared/tools/leakcheck`` (a bash script
for Linux) with the same verdicts for the tags it knows.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Groups that describe the file or ExifTool itself, derived tags, and colour profiles (never personal).
SKIP_GROUP = re.compile(r"^(System|File|ExifTool|Composite|ICC.*|ICC_Profile)$")
IDENTIFYING = re.compile(
    r"^(GPS(?!VersionID).*|.*Serial.*|ImageUniqueID|CameraID|OwnerID|OwnerName|CameraOwnerName|Artist|Creator|"
    r"By-line.*|Credit|Contact|Author|XPAuthor|Photographer|Copyright.*|Rights|HostComputer|"
    r"City|State|Country.*|Location.*|Sub-?location|Province-?State|Region.*|PersonInImage|ImageRegion.*|"
    r"Comment|UserComment|XPComment|ImageDescription|Description|Caption-Abstract|Title|XPTitle|XPSubject|"
    r"XPKeywords|Keywords|Subject|Headline|Thumbnail.*|PreviewImage.*|PreviewTIFF|PreviewPNG|PhotoshopThumbnail|"
    r"OtherImage.*|"
    r"JpgFromRaw.*|EmbeddedImage|EmbeddedVideo.*|MicroVideo.*|MotionPhoto.*|HdrPlusMakernote|"
    r"Make|Model|LensMake|LensModel|Software|DateTimeOriginal|CreateDate|DateTimeDigitized|DateCreated|"
    r"OffsetTime.*|SubSecTime.*|TimeCreated|DigitalCreation.*)$")
IDENTIFYING_GROUP = re.compile(r"^(MakerNotes|Trailer|GeoTiff|XMP-dwc|Samsung|Google)")
NOT_MEDIA = {".md", ".tsv", ".txt", ".json"}
EMPTY = {"", "(none)", "unknown ()", "0000:00:00 00:00:00"}


def leaks(path: Path) -> list[str]:
    """``Group:Tag=value`` for every identifying item ExifTool still sees in ``path``."""
    out = subprocess.run(["exiftool", "-j", "-a", "-ee", "-G1", "-b", "-charset", "filename=utf8",
                          "-api", "largefilesupport=1", str(path)], capture_output=True, check=False)
    if not out.stdout.strip():
        return [f"ExifTool cannot read it: {out.stderr.decode(errors='replace').strip()}"]
    found = []
    for key, value in json.loads(out.stdout)[0].items():
        group, _, tag = key.rpartition(":")
        if not group or (SKIP_GROUP.match(group) and tag != "Comment"):  # a JPEG comment shows as File:Comment
            continue
        text = str(value).strip()
        if text in EMPTY:
            continue
        if IDENTIFYING.match(tag) or IDENTIFYING_GROUP.match(group):
            found.append(f"{key}={text[:60]}")
    return found


def pixels(path: Path) -> list[tuple[str, tuple[int, int], bytes]] | None:
    """Decoded pixels of every frame, or None when nothing here can decode the file."""
    from PIL import Image

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    try:
        with Image.open(path) as im:
            frames = []
            for index in range(1 if im.format == "MPO" else getattr(im, "n_frames", 1)):
                im.seek(index)
                frames.append((im.mode, im.size, im.tobytes()))
            return frames
    except Exception:  # noqa: BLE001 - "cannot decode" is a verdict, not a crash
        return None


def judge(original: Path, copy: Path) -> str:
    """CLEAN, LEAK ... or PIXELS for one original and its copy."""
    found = leaks(copy)
    if found:
        return "LEAK     " + "; ".join(found)
    before, after = pixels(original), pixels(copy)
    if before is not None and before != after:
        return "PIXELS   the copy does not decode to the original's picture"
    return "CLEAN"


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else ROOT / "samples").resolve()
    if shutil.which("exiftool") is None:
        print("leakcheck: exiftool is missing (apt-get install libimage-exiftool-perl, brew install exiftool, "
              "choco install exiftool)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        run = subprocess.run([sys.executable, "-m", "geoscrub", "clean", "--output", str(out), str(folder)],
                             capture_output=True, text=True, encoding="utf-8", errors="backslashreplace",
                             check=False)
        print(f"geoscrub clean exited {run.returncode}")
        counts = {"CLEAN": 0, "REFUSED": 0, "LEAK": 0, "PIXELS": 0}
        for original in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                               and p.suffix.lower() not in NOT_MEDIA):
            copy = out / original.relative_to(folder)
            verdict = judge(original, copy) if copy.exists() else "REFUSED"
            counts[verdict.split()[0]] += 1
            print(f"{verdict.split()[0]:8} {original.relative_to(folder).as_posix()}"
                  + (f"  ({verdict.split(None, 1)[1]})" if " " in verdict else ""))
    print(", ".join(f"{name} {count}" for name, count in counts.items()))
    return 1 if counts["LEAK"] or counts["PIXELS"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
