"""What real photos do to faces and words, for the --look benchmark's hard set: small, turned or hidden
faces, dark, hazy, noisy, blocky or shaken photos, warped signs and busy walls.

Only public-domain or CC0 pictures shipped inside scikit-image are used (read with Pillow):
``camera.png`` (a man filming, face turned three-quarters away; "No copyright restrictions. CC0 by
the photographer (Lav Varshney)", skimage.data.camera) and the CC0 textures ``brick.png``,
``gravel.png`` and ``grass.png`` (from CC0Textures and DeviantArt, "licensed under the Creative
Commons CC0 License", skimage.data.brick/gravel/grass).  The astronaut is in ``look.py``.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from .look import skimage_picture

Box = tuple[int, int, int, int]

#: Where the cameraman's face is in the 512 x 512 ``camera.png`` (measured by CenterFace): left, top, right, bottom.
CAMERAMAN_FACE = (200, 119, 258, 196)
#: CC0 textures in scikit-image, for busy walls and ground.
TEXTURES = ("brick.png", "gravel.png", "grass.png")


def cameraman() -> Image.Image:
    return skimage_picture("camera.png")


def turned(portrait: Image.Image, face: Box, angle: float) -> tuple[Image.Image, Box]:
    """The portrait turned ``angle`` degrees about its face's centre (a tilted head), see-through where
    the turn leaves gaps; returns it and the box around the turned face, in the portrait's pixels."""
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    rgba = portrait.convert("RGBA").rotate(angle, center=(cx, cy), resample=Image.Resampling.BICUBIC)
    rad = np.deg2rad(angle)
    corners = [(face[0], face[1]), (face[2], face[1]), (face[0], face[3]), (face[2], face[3])]
    # PIL turns anticlockwise on the screen; y grows downwards, so (dx, dy) goes to
    # (dx cos + dy sin, -dx sin + dy cos).
    xs = [cx + (x - cx) * np.cos(rad) + (y - cy) * np.sin(rad) for x, y in corners]
    ys = [cy - (x - cx) * np.sin(rad) + (y - cy) * np.cos(rad) for x, y in corners]
    return rgba, (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))


def hide(img: Image.Image, box: Box, part: str, colour: tuple[int, int, int]) -> None:
    """Cover part of a face with a solid shape: ``left`` half (a hand, another head), ``lower`` half
    (a scarf or a mask) or ``upper`` 45 % (a cap and sunglasses)."""
    left, top, right, bottom = box
    if part == "left":
        right = (left + right) // 2
    elif part == "lower":
        top = (top + bottom) // 2
    elif part == "upper":
        bottom = top + (bottom - top) * 45 // 100
    else:
        raise ValueError(part)
    ImageDraw.Draw(img).rectangle((left, top, right, bottom), fill=colour)


def clip(box: Box, size: tuple[int, int]) -> Box:
    return (max(0, box[0]), max(0, box[1]), min(size[0], box[2]), min(size[1], box[3]))


def noisy(img: Image.Image, sigma: float, seed: int) -> Image.Image:
    """Gaussian sensor noise, ``sigma`` levels of 255 in each colour."""
    pixels = np.asarray(img, dtype=np.float32)
    pixels = pixels + np.random.default_rng(seed).normal(0.0, sigma, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def dark(img: Image.Image, light: float, seed: int) -> Image.Image:
    """A photo taken in poor light: ``light`` times as bright, with the noise a phone adds when it lifts the dark."""
    return noisy(ImageEnhance.Brightness(img).enhance(light), 3.0 + 6.0 * (1.0 - light), seed)


def hazy(img: Image.Image, contrast: float) -> Image.Image:
    """Washed out (haze, glare, a window): ``contrast`` times the differences from mid-grey."""
    return ImageEnhance.Contrast(img).enhance(contrast)


def as_a_phone_saves_it(img: Image.Image, seed: int) -> Image.Image:
    """What every phone photo has: a little lens softness, a little sensor noise, JPEG at quality 85."""
    return recompressed(noisy(img.filter(ImageFilter.GaussianBlur(0.6)), 3.0, seed), 85)


def recompressed(img: Image.Image, quality: int) -> Image.Image:
    """Saved once more as a JPEG at ``quality`` (what chat apps and old phones do to a photo)."""
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    out.seek(0)
    with Image.open(out) as back:
        return back.convert("RGB")


def shaken(img: Image.Image, length: int, vertical: bool = False) -> Image.Image:
    """Motion blur: each pixel the mean of ``length`` pixels along a line (a moving hand or subject)."""
    pixels = np.asarray(img, dtype=np.float32)
    axis = 0 if vertical else 1
    total = np.cumsum(pixels, axis=axis, dtype=np.float32)
    pad = [(0, 0)] * 3
    pad[axis] = (1, 0)
    total = np.pad(total, pad)  # total[k] along the axis: the sum of the first k pixels
    size = pixels.shape[axis]
    lo = np.clip(np.arange(size) - length // 2, 0, size)
    hi = np.clip(np.arange(size) + (length + 1) // 2, 0, size)
    sums = np.take(total, hi, axis=axis) - np.take(total, lo, axis=axis)
    shape = [1, 1, 1]
    shape[axis] = size
    return Image.fromarray(np.clip(sums / (hi - lo).reshape(shape), 0, 255).astype(np.uint8))


def _perspective_data(to: list[tuple[float, float]], frm: list[tuple[float, float]]) -> list[float]:
    """PIL's eight perspective numbers that take the output corners ``to`` back to the input corners ``frm``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(to, frm):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return [float(n) for n in np.linalg.solve(np.array(rows), np.array(rhs))]


def seen_from_side(plate: Image.Image, far: float) -> Image.Image:
    """A flat sign seen from one side: its far end ``far`` times as tall as its near end, and foreshortened."""
    w, h = plate.size
    out_w = round(w * (0.4 + 0.6 * far))
    inset = h * (1.0 - far) / 2
    to = [(0, 0), (out_w, inset), (out_w, h - inset), (0, h)]
    frm = [(0, 0), (w, 0), (w, h), (0, h)]
    return plate.transform((out_w, h), Image.Transform.PERSPECTIVE, _perspective_data(to, frm),
                           Image.Resampling.BICUBIC, fillcolor=(0, 0, 0, 0))


def sheared(plate: Image.Image, shear: float) -> Image.Image:
    """A sign slanted ``shear`` px sideways per px down (italic-like, as from a low or high camera)."""
    w, h = plate.size
    extra = round(abs(shear) * h)
    offset = -extra if shear > 0 else 0
    return plate.transform((w + extra, h), Image.Transform.AFFINE, (1, shear, offset, 0, 1, 0),
                           Image.Resampling.BICUBIC, fillcolor=(0, 0, 0, 0))


def busy_backdrop(size: tuple[int, int], texture: str, seed: int) -> Image.Image:
    """A wall or ground filling the photo: a CC0 texture, enlarged and tiled, tinted a colour."""
    rng = np.random.default_rng(seed)
    tile = skimage_picture(texture).convert("L")
    scale = float(rng.uniform(1.5, 3.0))
    tile = tile.resize((round(tile.width * scale), round(tile.height * scale)), Image.Resampling.BICUBIC)
    grey = Image.new("L", size)
    for x in range(0, size[0], tile.width):
        for y in range(0, size[1], tile.height):
            grey.paste(tile, (x, y))
    dark_colour = tuple(int(c) for c in rng.integers(10, 90, 3))
    light_colour = tuple(int(c) for c in rng.integers(150, 250, 3))
    return ImageOps.colorize(grey, dark_colour, light_colour)
