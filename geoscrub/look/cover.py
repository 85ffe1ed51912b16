"""The covered copy: the picture with each found box filled with one solid colour, saved again.

Solid, never blurred or pixelated: networks read faces and digits through
both.  The copy is re-encoded (the caller labels it so), turned the way it is
shown (orientation applied to the pixels, so the boxes sit where they were
found), keeps a sound colour profile as ``--rebuild`` does, and carries nothing
else of the original.  The bytes then go through the same verification (clean
plan, re-scan) as every copy geoscrub writes.  Needs Pillow only.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import limits, rebuild
from ..paths import COVERED_MARK
from ..errors import CannotRebuild, GeoscrubError
from ..model import Policy
from .seen import Box, Sight

#: The one colour every box is filled with.
COVER_COLOUR = (0, 0, 0)
#: Padding added round each box, as a share of its shorter side (at least MIN_PAD pixels).  A face
#: box is tight round the features, so hair, ears and chin need more.
PAD_SHARE = 0.15
FACE_PAD_SHARE = 0.3
MIN_PAD = 4
#: What ``--cover`` may name.
COVER_CHOICES = ("faces", "words", "all")


@dataclass
class Covered:
    """A covered copy in memory: its bytes, format, and the padded boxes filled (in shown pixels)."""

    data: bytes
    format: str  # "JPEG" or "PNG"
    boxes: list[Box]
    faces: int
    words: list[str] = field(default_factory=list)  # the lines of words covered
    output: Path | None = None  # where it was written, once it is
    error: GeoscrubError | None = None  # why it was not written
    written: bool = False  # False for --dry-run: verified, not written


def what_to_cover(sight: Sight, cover: str) -> tuple[list[Box], int, list[str]]:
    """(boxes, faces covered, words covered) for ``--cover faces|words|all``."""
    faces = [f.box for f in sight.faces] if cover in ("faces", "all") else []
    words = sight.words if cover in ("words", "all") else []
    return faces + [w.box for w in words], len(faces), [w.text for w in words]


def padded(box: Box, size: tuple[int, int], share: float = PAD_SHARE) -> Box:
    """The box grown a little on every side, kept inside the picture."""
    left, top, right, bottom = box
    pad = max(MIN_PAD, round(min(right - left, bottom - top) * share))
    return (max(0, left - pad), max(0, top - pad), min(size[0], right + pad), min(size[1], bottom + pad))


def covered_copy(data: bytes, sight: Sight, cover: str, policy: Policy | None = None) -> Covered:
    """The picture in ``data`` with what ``cover`` names filled in.  Raises GeoscrubError."""
    from PIL import Image, ImageDraw, ImageOps

    policy = policy or Policy()
    boxes, faces, words = what_to_cover(sight, cover)
    try:
        image = Image.open(io.BytesIO(data))
        limits.enforce("MAX_REBUILD_PIXELS", image.size[0] * image.size[1], limits.MAX_REBUILD_PIXELS)
        image.load()
        source_format = image.format or ""
        profile = image.info.get("icc_profile")
        shown = ImageOps.exif_transpose(image)  # boxes are in shown pixels; the copy carries no orientation tag
        has_alpha = "A" in shown.getbands()
        lossy = source_format in rebuild.LOSSY_FORMATS or source_format in ("WEBP", "HEIF", "")
        fmt = "JPEG" if lossy and not has_alpha else "PNG"
        mode = "RGB" if fmt == "JPEG" else ("RGBA" if has_alpha else "RGB")
        pixels = shown.convert(mode) if shown.mode != mode else shown.copy()
        pixels.info = {}
        draw = ImageDraw.Draw(pixels)
        filled = [padded(b, pixels.size, FACE_PAD_SHARE if n < faces else PAD_SHARE) for n, b in enumerate(boxes)]
        for left, top, right, bottom in filled:
            if right > left and bottom > top:
                draw.rectangle((left, top, right - 1, bottom - 1), fill=COVER_COLOUR + ((255,) if mode == "RGBA" else ()))
        options: dict[str, Any] = {}
        if fmt == "JPEG":
            options.update(quality=rebuild.JPEG_QUALITY, optimize=True)
        sound = rebuild._sound_profile(profile, pixels.mode) if policy.keep_color_profile else None  # noqa: SLF001
        if sound is not None:
            options["icc_profile"] = sound
        out = io.BytesIO()
        pixels.save(out, fmt, **options)
    except GeoscrubError:
        raise
    except MemoryError:
        raise CannotRebuild("not enough memory to cover the picture") from None
    except Exception as err:  # noqa: BLE001 - Pillow's errors become one of ours
        raise CannotRebuild(f"the picture could not be covered ({type(err).__name__})") from None
    return Covered(out.getvalue(), fmt, filled, faces, words)


def covered_path(copy: Path, fmt: str) -> Path:
    """``NAME.covered.jpg`` beside the clean copy ``NAME.clean.jpg`` (or beside ``copy`` under --output)."""
    stem = copy.name[: -len(copy.suffix)] if copy.suffix else copy.name
    if stem.endswith(".clean"):
        stem = stem[: -len(".clean")]
    return copy.with_name(f"{stem}{COVERED_MARK}{'.jpg' if fmt == 'JPEG' else '.png'}")
