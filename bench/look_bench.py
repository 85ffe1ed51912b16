"""Benchmark: --look on 12 MP photos with 2 threads: seconds, peak memory, recall, spurious words.

Not a test.  Run:  python bench/look_bench.py [--rounds 3] [--scenes 12] [--blank 6] [--hard 3]
[--only NAME] [--verbose]

Needs the extra (pip install '.[look]').  Everything is generated here:

* time and memory: ``geoscrub check --look --json`` on one 4000 x 3000 JPEG
  (a face, a school's name, a street sign and a number plate), each round in
  its own process; reported as the whole command (start, model load, look)
  and as the look alone (in this process, models loaded once), median of rounds.
  Peak memory is the child process's max RSS.
* recall (the targets' set, unchanged): ``--scenes`` 4000 x 3000 scenes, each with 2 faces
  (NASA's public-domain astronaut portrait from scikit-image, 90-400 px wide, mirrored or darker)
  and 3 words (school names, streets, postcodes, plates; 45-160 px tall,
  turned up to 20 degrees, some blurred).  A face counts when a found box
  overlaps it; words count when a line read over them matches (case and
  spaces ignored, at least 80 % alike).
* spurious words: ``--blank`` text-free, face-free photos; every line read
  there is spurious (and every face found, false).  Dark, hazy and brick/gravel/grass
  text-free photos are reported beside them.
* the hard set (not a target): ``--hard`` scenes for each real-world condition in
  ``look_hard.py`` (tiny, turned, tilted or half-hidden faces; dark, hazy, grainy, blocky or
  shaken photos; small, faint, slanted, upside-down, steep words and words painted on a wall),
  each saved as a phone would (slight blur, noise, JPEG 85) and counted per strength, with the
  faces found where none was put and the lines read outside the words.  Sizes are in the
  4000 px photo; the detectors see it at 2000 px.

Targets (issue 24): <= 6 s and <= 1.2 GB per 12 MP photo, recall >= 85 % of
faces and >= 80 % of words, <= 1 spurious word per text-free photo.
"""
from __future__ import annotations

import argparse
import difflib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.builders import look as scenes  # noqa: E402

import look_hard  # noqa: E402  (beside this file)

WORDS = ["ST MARY'S PRIMARY SCHOOL", "OAKFIELD ACADEMY", "HILLSIDE COLLEGE", "SCOIL BHRIDE", "HIGH STREET",
         "ACACIA AVENUE", "12 CHURCH ROAD", "MILL LANE", "SW1A 1AA", "M1 1AE", "D02 X285", "AB12 CDE",
         "YK19 PLX", "191-D-12345", "GREENWAY NURSERY", "27 BAKER STREET", "QUEEN'S PARADE", "LS6 2QR"]


#: Sizes, angles and blurs: (face widths, text heights, angles, blurs).  The "hard" set is past what
#: the targets ask (faces 50-80 px wide in 4000, text 28-40 px tall, up to 30 degrees, blur 2.5): a
#: measure of what is missed, reported beside the targets' set.
NORMAL = ([90, 120, 160, 220, 300, 400], [45, 60, 80, 110, 160], [0, 0, 5, -8, 12, -20], [0, 0, 1.0, 2.0])
HARD = ([50, 60, 80], [28, 32, 40], [0, 15, -25, 30], [0, 1.5, 2.5])


def build_scene(seed: int, hard: bool = False
                ) -> tuple[object, list[tuple[int, int, int, int]], list[tuple[str, tuple[int, int, int, int]]]]:
    """(picture, face boxes, [(text, box)]) for one generated 12 MP scene."""
    from PIL import ImageEnhance

    rng = random.Random(seed)
    face_sides, heights, angles, blurs = HARD if hard else NORMAL
    img = scenes.backdrop((4000, 3000), seed=seed)
    portrait = scenes.astronaut()
    faces = []
    for n in range(2):
        side = rng.choice(face_sides)
        face = ImageEnhance.Brightness(portrait).enhance(rng.uniform(0.6, 1.1))
        centre = (rng.randrange(500, 1500) + 2000 * n, rng.randrange(1700, 2500))
        faces.append(scenes.place_face(img, face, side=side, centre=centre, mirror=rng.random() < 0.5))
    words = []
    for n, text in enumerate(rng.sample(WORDS, 3)):
        height = rng.choice(heights)
        angle = rng.choice(angles)
        blur = rng.choice(blurs)
        centre = (rng.randrange(1300, 2700), 350 + 500 * n)
        colours = rng.choice([((250, 250, 245), (20, 20, 30)), ((250, 210, 0), (10, 10, 10)),
                              ((20, 60, 140), (245, 245, 245)), ((20, 90, 40), (250, 250, 250))])
        words.append((text, scenes.draw_sign(img, text, height=height, centre=centre, angle=angle, blur=blur,
                                             colours=colours)))
    return img, faces, words


def _labelled(scene: tuple) -> tuple:
    """A normal-style scene with empty labels, for the hard-set report."""
    img, faces, words = scene
    return img, [("", box) for box in faces], [("", text, box) for text, box in words]


def _alike(a: str, b: str) -> bool:
    a, b = a.upper().replace(" ", ""), b.upper().replace(" ", "")
    return a in b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def recall(looker: object, count: int, hard: bool = False) -> tuple[int, int, int, int, list[str]]:
    found_faces = all_faces = found_words = all_words = 0
    missed = []
    for seed in range(count):
        img, faces, words = build_scene(100 + seed, hard)
        sight = looker.look(img)  # type: ignore[attr-defined]
        for box in faces:
            all_faces += 1
            hit = any(scenes.overlaps(f.box, box) for f in sight.faces)
            found_faces += hit
            if not hit:
                missed.append(f"face {box[2] - box[0]} px wide (scene {seed})")
        for text, box in words:
            all_words += 1
            read = " ".join(w.text for w in sight.words if scenes.overlaps(w.box, box))
            hit = _alike(text, read)
            found_words += hit
            if not hit:
                missed.append(f"words {text!r} (scene {seed}) read as {read!r}")
    return found_faces, all_faces, found_words, all_words, missed


def hard_recall(looker: object, build: object, count: int) -> dict[str, object]:
    """One hard condition over ``count`` scenes: found/all per label, faces and lines found where nothing was put."""
    tally: dict[tuple[str, str], list[int]] = {}
    false_faces = stray = 0
    notes = []
    for seed in range(count):
        img, faces, words = build(300 + seed)  # type: ignore[operator]
        sight = looker.look(img)  # type: ignore[attr-defined]
        for label, box in faces:
            hit = any(scenes.overlaps(f.box, box) for f in sight.faces)
            tally.setdefault(("faces", label), [0, 0])[0] += hit
            tally[("faces", label)][1] += 1
        false_faces += sum(not any(scenes.overlaps(f.box, box) for _, box in faces) for f in sight.faces)
        for label, text, box in words:
            read = " ".join(w.text for w in sight.words if scenes.overlaps(w.box, box))
            hit = _alike(text, read)
            tally.setdefault(("words", label), [0, 0])[0] += hit
            tally[("words", label)][1] += 1
            if not hit:
                notes.append(f"words {text!r} ({label}, scene {seed}) read as {read!r}")
        for w in sight.words:
            if not any(scenes.overlaps(w.box, box) for _, _, box in words):
                stray += 1
                notes.append(f"stray line {w.text!r} at {w.box} (scene {seed})")
    return {"tally": tally, "false_faces": false_faces, "stray": stray, "notes": notes}


def hard_line(name: str, result: dict[str, object]) -> str:
    """``name: faces a/b (per label), words c/d (per label); false faces n, stray lines m``."""
    tally = result["tally"]  # type: ignore[assignment]
    parts = []
    for kind in ("faces", "words"):
        rows = [(label, v) for (k, label), v in tally.items() if k == kind]  # type: ignore[union-attr]
        if not rows:
            continue
        found, total = sum(v[0] for _, v in rows), sum(v[1] for _, v in rows)
        labels = [f"{label} {v[0]}/{v[1]}" for label, v in rows if label]
        detail = f" ({', '.join(labels)})" if len(labels) > 1 else ""
        parts.append(f"{kind} {found}/{total}{detail}")
    return f"{name}: {', '.join(parts)}; false faces {result['false_faces']}, stray lines {result['stray']}"


def spurious(looker: object, count: int) -> tuple[list[int], list[int]]:
    words, faces = [], []
    for seed in range(count):
        sight = looker.look(scenes.backdrop((4000, 3000), seed=500 + seed))  # type: ignore[attr-defined]
        words.append(len(sight.words))
        faces.append(len(sight.faces))
    return words, faces


def command_round(photo: Path) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of one ``geoscrub check --look --json`` in its own process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "geoscrub", "check", "--look", "--json", str(photo)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"geoscrub failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return elapsed, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenes", type=int, default=12)
    parser.add_argument("--blank", type=int, default=6)
    parser.add_argument("--hard", type=int, default=3, help="scenes per hard condition (0: none)")
    parser.add_argument("--only", default="", help="run only the hard conditions whose name contains this")
    parser.add_argument("--verbose", action="store_true", help="list each hard word missed and each stray line")
    args = parser.parse_args()
    from geoscrub.look import detect
    from geoscrub.look.run import load

    print(f"detectors: {detect.THREADS} threads, looking at {detect.LOOK_SIDE} px; os.cpu_count()={os.cpu_count()}")
    img, _faces, _words = build_scene(7)
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "scene_12mp.jpg"
        photo.write_bytes(scenes.jpeg_bytes(img))
        runs = [command_round(photo) for _ in range(args.rounds)]
    seconds = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    print(f"12 MP photo, whole command (start, load models, look): median {seconds:.2f} s of {args.rounds}, "
          f"peak memory {peak / 2**20:.0f} MiB")
    looker = load()
    looks = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        looker.look(img)
        looks.append(time.perf_counter() - start)
    print(f"12 MP photo, look alone (models loaded): median {statistics.median(looks):.2f} s")
    ff, af, fw, aw, missed = recall(looker, args.scenes)
    print(f"recall on {args.scenes} scenes: faces {ff}/{af} = {100 * ff / af:.0f} %, "
          f"words {fw}/{aw} = {100 * fw / aw:.0f} %")
    for line in missed:
        print(f"  missed: {line}")
    if args.hard:
        print(f"hard set ({args.hard} scenes per condition, not a target):")
        conditions = {"former hard set (faces 50-80 px, words 28-40 px, up to 30 deg, blur 2.5)":
                      lambda seed: _labelled(build_scene(seed, hard=True)), **look_hard.CONDITIONS}
        for name, build in conditions.items():
            if args.only and args.only.lower() not in name.lower():
                continue
            result = hard_recall(looker, build, args.hard)
            print(f"  {hard_line(name, result)}", flush=True)
            if args.verbose:
                for note in result["notes"]:  # type: ignore[attr-defined]
                    print(f"      {note}")
    words, faces = spurious(looker, args.blank)
    print(f"text-free photos: spurious words per photo {words} (max {max(words)}), false faces {faces}")
    for name, pictures in look_hard.text_free(max(1, args.blank // 2)).items():
        seen = [looker.look(p) for p in pictures]  # type: ignore[attr-defined]
        print(f"text-free photos, {name} (not a target): spurious words per photo {[len(s.words) for s in seen]}, "
              f"false faces {[len(s.faces) for s in seen]}")
    ok = (seconds <= 6 and peak <= 1.2e9 and ff / af >= 0.85 and fw / aw >= 0.8 and max(words) <= 1)
    print("targets met" if ok else "TARGETS NOT MET")


if __name__ == "__main__":
    main()
