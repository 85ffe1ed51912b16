"""The benchmark's hard set: one 12 MP scene builder per real-world condition, each measured on its own.

Each builder takes a seed and gives (picture, faces, words): faces as (label, box), words as
(label, text, box), where the label is the condition's strength for that item ("24 px", "180 deg",
"quality 10"), so the benchmark can say which strengths are missed.  Used by look_bench.py only.
"""
from __future__ import annotations

import random
from collections.abc import Callable

from PIL import Image, ImageEnhance

from tests.builders import look as scenes
from tests.builders import look_conditions as cond

Box = tuple[int, int, int, int]
Faces = list[tuple[str, Box]]
Words = list[tuple[str, str, Box]]
Scene = tuple[Image.Image, Faces, Words]
SIZE = (4000, 3000)

#: Words short enough to fit four to a row, or turned on end, in a 4000 x 3000 photo.
SHORT = ["OAKFIELD ACADEMY", "HILLSIDE COLLEGE", "SCOIL BHRIDE", "HIGH STREET", "ACACIA AVENUE", "12 CHURCH ROAD",
         "MILL LANE", "SW1A 1AA", "M1 1AE", "D02 X285", "AB12 CDE", "YK19 PLX", "191-D-12345", "27 BAKER STREET",
         "QUEEN'S PARADE", "LS6 2QR"]
SIGN_COLOURS = [((250, 250, 245), (20, 20, 30)), ((250, 210, 0), (10, 10, 10)),
                ((20, 60, 140), (245, 245, 245)), ((20, 90, 40), (250, 250, 250))]


def _faces(img: Image.Image, rng: random.Random, labels: list[str], sides: list[int],
           portrait: Image.Image | None = None, face_box: Box = scenes.ASTRONAUT_FACE) -> Faces:
    """Faces spread along the lower half, one per label, each ``sides[i]`` px wide."""
    portrait = portrait or scenes.astronaut()
    step = SIZE[0] // len(labels)
    places = [((step * n + step // 2 + rng.randrange(-100, 100), rng.randrange(1900, 2400)),
               rng.uniform(0.7, 1.1), rng.random() < 0.5) for n in range(len(labels))]
    boxes: dict[int, Box] = {}
    for n in sorted(range(len(labels)), key=lambda i: -sides[i]):  # biggest first: a smaller photo never hides a face
        centre, light, mirror = places[n]
        face = ImageEnhance.Brightness(portrait).enhance(light)
        boxes[n] = scenes.place_face(img, face, side=sides[n], centre=centre, mirror=mirror, face_box=face_box)
    return [(label, boxes[n]) for n, label in enumerate(labels)]


def _signs(img: Image.Image, rng: random.Random, labels: list[str], heights: list[int],
           make: Callable[[str, int, int], Image.Image] | None = None, rows: bool = True) -> Words:
    """Signs, one per label: in rows across the top half (``rows``) or in columns across the photo."""
    out = []
    for n, (label, text, height) in enumerate(zip(labels, rng.sample(SHORT, len(labels)), heights)):
        plate = make(text, height, n) if make else scenes.sign_plate(text, height=height,
                                                                      colours=rng.choice(SIGN_COLOURS))
        if rows:
            centre = (rng.randrange(1500, 2500), 250 + 1500 * n // len(labels) + rng.randrange(0, 60))
        else:
            step = SIZE[0] // len(labels)
            centre = (step * n + step // 2, 1500 + rng.randrange(-100, 100))
        out.append((label, text, scenes.paste_centred(img, plate, centre)))
    return out


def _everyday(seed: int) -> tuple[Image.Image, random.Random, Faces, Words]:
    """A plain scene with two faces and three straight signs from the lower half of the targets' sizes
    (faces 90-160 px wide, words 45-80 px tall), for the conditions that change the whole photo."""
    rng = random.Random(seed)
    img = scenes.backdrop(SIZE, seed=seed)
    faces = _faces(img, rng, ["", ""], [rng.choice([90, 120, 160]) for _ in range(2)])
    words = _signs(img, rng, ["", "", ""], [rng.choice([45, 60, 80]) for _ in range(3)])
    return cond.as_a_phone_saves_it(img, seed), rng, faces, words


def _saved(build: Callable[[int], Scene]) -> Callable[[int], Scene]:
    """The scene as a phone would save it (see ``as_a_phone_saves_it``)."""
    def finished(seed: int) -> Scene:
        img, faces, words = build(seed)
        return cond.as_a_phone_saves_it(img, seed), faces, words
    return finished


def _whole(strengths: list, label: Callable[[object], str],
           change: Callable[[Image.Image, object, int], Image.Image]) -> Callable[[int], Scene]:
    """A condition that changes the whole photo, one strength per scene (taken in turn)."""
    def build(seed: int) -> Scene:
        img, _rng, faces, words = _everyday(seed)
        strength = strengths[seed % len(strengths)]
        tag = label(strength)
        return (change(img, strength, seed), [(tag, box) for _, box in faces],
                [(tag, text, box) for _, text, box in words])
    return build


def tiny_faces(seed: int) -> Scene:
    rng = random.Random(seed)
    img = scenes.backdrop(SIZE, seed=seed)
    sides = [12, 16, 20, 24, 32]
    return img, _faces(img, rng, [f"{s} px" for s in sides], sides), []


def turned_faces(seed: int) -> Scene:
    """The cameraman (CC0): face turned three-quarters away, partly behind his camera."""
    rng = random.Random(seed)
    img = scenes.backdrop(SIZE, seed=seed)
    sides = [30, 45, 60, 100]
    return img, _faces(img, rng, [f"{s} px" for s in sides], sides, cond.cameraman(), cond.CAMERAMAN_FACE), []


def tilted_heads(seed: int) -> Scene:
    rng = random.Random(seed)
    img = scenes.backdrop(SIZE, seed=seed)
    faces = []
    angles = [30, 60, 90, 120, 180]
    for n, angle in enumerate(angles):
        side = rng.choice([100, 140, 180])
        angle = angle if rng.random() < 0.5 else -angle
        portrait, box = cond.turned(scenes.astronaut(), scenes.ASTRONAUT_FACE, angle)
        centre = (800 * n + 400, rng.randrange(1900, 2300))
        placed = scenes.place_face(img, portrait, side=side, centre=centre, face_box=scenes.ASTRONAUT_FACE)
        scale = (placed[2] - placed[0]) / (scenes.ASTRONAUT_FACE[2] - scenes.ASTRONAUT_FACE[0])
        x0, y0 = placed[0] - scenes.ASTRONAUT_FACE[0] * scale, placed[1] - scenes.ASTRONAUT_FACE[1] * scale
        faces.append((f"{abs(angle)} deg", (round(x0 + box[0] * scale), round(y0 + box[1] * scale),
                                            round(x0 + box[2] * scale), round(y0 + box[3] * scale))))
    return img, faces, []


def hidden_faces(seed: int) -> Scene:
    rng = random.Random(seed)
    img = scenes.backdrop(SIZE, seed=seed)
    parts = {"left": "left half covered", "lower": "lower half covered", "upper": "eyes covered",
             "quarter": "a quarter showing"}
    faces = _faces(img, rng, list(parts.values()), [rng.choice([120, 160, 220]) for _ in parts])
    for part, (_label, box) in zip(parts, faces):
        colour = tuple(rng.randrange(20, 120) for _ in range(3))
        for piece in (("left", "lower") if part == "quarter" else (part,)):
            cond.hide(img, box, piece, colour)
    edge = scenes.place_face(img, scenes.astronaut(), side=rng.choice([140, 200, 280]),
                             centre=(0, rng.randrange(700, 1300)))
    return img, faces + [("half out of the photo", cond.clip(edge, SIZE))], []


def small_words(seed: int) -> Scene:
    rng = random.Random(seed)
    img = scenes.backdrop(SIZE, seed=seed)
    heights = [8, 10, 12, 16, 20]
    return img, [], _signs(img, rng, [f"{h} px" for h in heights], heights)


def faint_words(seed: int) -> Scene:
    """Letters only a little darker or lighter than their plate (worn, faded, grey on grey)."""
    rng = random.Random(seed)
    img = scenes.backdrop(SIZE, seed=seed)
    gaps = [4, 8, 12, 20]

    def make(text: str, height: int, n: int) -> Image.Image:
        base = rng.randrange(90, 200)
        tint = rng.choice([(0, 0, 0), (10, -10, 0), (-10, 0, 15)])
        back = tuple(base + t for t in tint)
        ink = tuple(v - gaps[n] if base > 140 else v + gaps[n] for v in back)
        return scenes.sign_plate(text, height=height, colours=(back, ink))
    return img, [], _signs(img, rng, [f"{g} levels apart" for g in gaps],
                           [rng.choice([60, 80, 110]) for _ in gaps], make)


def warped_words(seed: int) -> Scene:
    rng = random.Random(seed)
    img = scenes.backdrop(SIZE, seed=seed)
    kinds = [("slanted 0.5", lambda p: cond.sheared(p, 0.5)), ("slanted 1.0", lambda p: cond.sheared(p, -1.0)),
             ("far end 40 %", lambda p: cond.seen_from_side(p, 0.4)),
             ("far end 20 %", lambda p: cond.seen_from_side(p, 0.2))]

    def make(text: str, height: int, n: int) -> Image.Image:
        plate = scenes.sign_plate(text, height=height, colours=rng.choice(SIGN_COLOURS))
        return kinds[n][1](plate)
    return img, [], _signs(img, rng, [k[0] for k in kinds], [rng.choice([60, 80, 110]) for _ in kinds], make)


def turned_words(angles: list[int]) -> Callable[[int], Scene]:
    def build(seed: int) -> Scene:
        rng = random.Random(seed)
        img = scenes.backdrop(SIZE, seed=seed)
        signed = [a if rng.random() < 0.5 else -a for a in angles]

        def make(text: str, height: int, n: int) -> Image.Image:
            plate = scenes.sign_plate(text, height=height, colours=rng.choice(SIGN_COLOURS))
            return plate.rotate(signed[n], expand=True, resample=Image.Resampling.BICUBIC)
        return img, [], _signs(img, rng, [f"{a} deg" for a in angles],
                               [rng.choice([50, 70, 90]) for _ in angles], make, rows=False)
    return build


def busy_words(seed: int) -> Scene:
    """Words painted straight onto brick, gravel or grass (no plate), e.g. a mural or a chalked name."""
    rng = random.Random(seed)
    texture = cond.TEXTURES[seed % len(cond.TEXTURES)]
    img = cond.busy_backdrop(SIZE, texture, seed)

    def make(text: str, height: int, n: int) -> Image.Image:
        ink = rng.choice([(250, 250, 250), (15, 15, 15), (250, 220, 0), (200, 20, 20)])
        plate = scenes.sign_plate(text, height=height, colours=((0, 0, 0, 0), ink))
        plate.putalpha(plate.getchannel("A").point(lambda a: a * 3 // 4))  # paint or chalk: the wall shows through
        return plate
    name = texture.removesuffix(".png")
    return img, [], _signs(img, rng, [name] * 3, [rng.choice([40, 60, 80]) for _ in range(3)], make)


#: The hard set's conditions, in the order they are reported.
CONDITIONS: dict[str, Callable[[int], Scene]] = {
    "tiny faces (12-32 px wide)": _saved(tiny_faces),
    "faces turned three-quarters away": _saved(turned_faces),
    "heads tilted 30-180 deg": _saved(tilted_heads),
    "faces partly hidden": _saved(hidden_faces),
    "dark (3-12 % light, noisy)": _whole([0.03, 0.06, 0.12], lambda s: f"light {round(100 * s)} %",
                                          lambda img, s, seed: cond.dark(img, s, seed)),
    "hazy, low contrast": _whole([0.05, 0.1, 0.2], lambda s: f"contrast {round(100 * s)} %",
                                 lambda img, s, seed: cond.hazy(img, s)),
    "grainy (noise 30-100 levels)": _whole([30, 60, 100], lambda s: f"noise {s}",
                                          lambda img, s, seed: cond.noisy(img, s, seed)),
    "heavy JPEG (quality 2-10)": _whole([2, 5, 10], lambda s: f"quality {s}",
                                        lambda img, s, seed: cond.recompressed(img, s)),
    "motion blur (10-60 px)": _whole([10, 25, 60], lambda s: f"{s} px",
                                     lambda img, s, seed: cond.shaken(img, s, vertical=seed % 2 == 1)),
    "small words (8-20 px tall)": _saved(small_words),
    "faint words (4-20 levels)": _saved(faint_words),
    "slanted or seen from the side": _saved(warped_words),
    "upside down (180 deg)": _saved(turned_words([180, 180, 180])),
    "steep (45-90 deg)": _saved(turned_words([45, 60, 75, 90])),
    "words painted on brick, gravel, grass": _saved(busy_words),
}


def text_free(count: int) -> dict[str, list[Image.Image]]:
    """Photos with no words and no faces that are dark, hazy or busy: anything read there is spurious."""
    plain = [cond.as_a_phone_saves_it(scenes.backdrop(SIZE, seed=600 + n), n) for n in range(count)]
    return {"dark (3-12 % light)": [cond.dark(p, [0.03, 0.06, 0.12][n % 3], n) for n, p in enumerate(plain)],
            "hazy (5-20 % contrast)": [cond.hazy(p, [0.05, 0.1, 0.2][n % 3]) for n, p in enumerate(plain)],
            "brick, gravel, grass": [cond.as_a_phone_saves_it(cond.busy_backdrop(SIZE, cond.TEXTURES[n % 3], 700 + n),
                                                              n) for n in range(count)]}
