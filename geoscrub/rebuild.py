"""``--rebuild``: a fresh photo made from the decoded pixels alone, for photos the lossless path refuses.

Only ever used when asked.  The picture is decoded by Pillow and saved again
(JPEG quality 95 for photos that were JPEG-like, PNG for everything else), so
it is re-encoded: the caller must say so.  Nothing of the original file is
copied but the pixels, the way up (applied to the pixels) and a colour
profile that passes the same soundness check as in lossless cleaning.  The
result then goes through the same re-scan and verification as every output.

Pillow is imported here only, and only when a rebuild is tried.  Every
problem (a bomb, a picture too damaged to decode, a format not on the list)
is a ``GeoscrubError``, never a Pillow exception.
"""
from __future__ import annotations

import contextlib
import io
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import limits
from .errors import (
    CannotRebuild,
    GeoscrubError,
    LimitExceeded,
    MalformedFile,
    UnsafeToClean,
    UnsupportedFormat,
    VerificationFailed,
)
from .metadata import icc
from .model import Policy

#: Refusals a rebuild may rescue: the file is damaged or not cleanable without changes.  Never
#: safety limits, links, write errors or bugs.
RESCUABLE = (MalformedFile, UnsupportedFormat, UnsafeToClean, VerificationFailed)
#: Pillow formats decoded for a rebuild (JPEG includes MPO).  Others (EPS runs Ghostscript...) are never opened.
DECODED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "AVIF")
#: Formats whose pictures are already lossy: rebuilt as JPEG (quality 95) unless they have transparency.
LOSSY_FORMATS = {"JPEG", "MPO", "AVIF"}
JPEG_QUALITY = 95
#: Tag that marks a TIFF as a camera raw (DNG): Pillow would decode only its small preview.
_DNG_VERSION_TAG = 50706

_JPEG_MODES = {"L", "RGB", "CMYK"}
_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}
_PROFILE_SPACE = {"L": b"GRAY", "LA": b"GRAY", "RGB": b"RGB ", "RGBA": b"RGB ", "CMYK": b"CMYK", "P": b"RGB "}
#: Held while Pillow is told to load what it can of a damaged picture (see ``_lenient_pillow``).
_LENIENT = threading.Lock()


@dataclass(frozen=True)
class Rebuilt:
    """A fresh file made from the pixels, and what the user must be told about it."""

    data: bytes
    format: str  # "JPEG" or "PNG"
    damaged: bool  # part of the picture could not be decoded: it may show grey or smeared
    kept_profile: bool


def _quiet_pillow() -> None:
    """Keep Pillow's warnings ("Corrupt EXIF data"...) off the user's screen.

    They describe the damage geoscrub has already put into plain words, and
    reach stderr as Python tracebacks otherwise.  Filtered by where they are
    raised (Pillow, or this module on Pillow's behalf), so no other warning
    is hidden; set again on every call because a caller (or pytest) may have
    reset the filters since.
    """
    warnings.filterwarnings("ignore", module=r"(PIL|geoscrub\.rebuild)(\.|$)")


def may_rescue(err: BaseException) -> bool:
    """True for a refusal that a rebuild could get around (damaged or unsupported)."""
    return isinstance(err, RESCUABLE)


def can_decode(data: bytes) -> bool:
    """Whether a rebuild would find a picture in ``data`` (for the refusal's hint)."""
    _quiet_pillow()
    try:
        _decode(data)
    except GeoscrubError:
        return False
    return True


def rebuild_photo(data: bytes, policy: Policy | None = None) -> Rebuilt:
    """Decode ``data`` and save its pixels alone as a new file.  Raises GeoscrubError."""
    policy = policy or Policy()
    _quiet_pillow()
    image, source_format, damaged = _decode(data)
    try:
        return _encode(image, source_format, damaged, policy, data)
    except GeoscrubError:
        raise
    except MemoryError:
        raise CannotRebuild("not enough memory to save the picture again") from None
    except Exception as err:  # noqa: BLE001 - Pillow's errors become one of ours
        raise CannotRebuild(f"the picture could not be saved again ({type(err).__name__})") from None


def _decode(data: bytes) -> tuple[Any, str, bool]:
    """(decoded image, Pillow's format name, whether it had to be decoded leniently).

    Strictly first; when that fails (a cut-short picture, a bad checksum), again
    with Pillow's "load what you can", and the copy is then said to be damaged.
    """
    from PIL import Image

    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)  # refused below, by our limit
    _quiet_pillow()
    try:
        try:
            image = _open(data)
            image.load()
            return image, image.format or "", False
        except (_Unrecognised, OSError, SyntaxError, ValueError, EOFError):
            pass
        with _lenient_pillow():
            image = _open(data)
            image.load()
        return image, image.format or "", True
    except GeoscrubError:
        raise
    except Image.DecompressionBombError as err:
        declared = re.search(r"\((\d+) pixels\)", str(err))
        pixels = int(declared.group(1)) if declared else limits.MAX_REBUILD_PIXELS + 1
        raise LimitExceeded("MAX_REBUILD_PIXELS", pixels, limits.MAX_REBUILD_PIXELS) from None
    except MemoryError:
        raise CannotRebuild("not enough memory to decode the picture") from None
    except Exception as err:  # noqa: BLE001 - hostile input: Pillow raises anything
        raise CannotRebuild(f"Pillow cannot decode the picture ({type(err).__name__})") from None


class _Unrecognised(CannotRebuild):
    """Pillow found no picture it may open (tried again leniently: a bad checksum stops it too)."""


@contextlib.contextmanager
def _lenient_pillow() -> Iterator[None]:
    """Pillow reads "load what you can of a damaged picture" from a module global: set it under a lock."""
    from PIL import ImageFile

    with _LENIENT:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = True
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def _open(data: bytes) -> Any:
    """Pillow's image for ``data``, headers only, refused before decoding when it is too big or not a photo."""
    from PIL import Image

    Image.init()
    try:
        image = Image.open(io.BytesIO(data), formats=[f for f in DECODED_FORMATS if f in Image.OPEN])
    except Image.DecompressionBombError:
        raise
    except Exception:  # noqa: BLE001
        raise _Unrecognised("Pillow does not recognise it as a picture either") from None
    width, height = image.size
    limits.enforce("MAX_REBUILD_PIXELS", width * height, limits.MAX_REBUILD_PIXELS)
    if width < 1 or height < 1:
        raise CannotRebuild("the picture has no pixels")
    frames = getattr(image, "n_frames", 1)
    if frames > 1 and image.format != "MPO":  # an MPO's first frame is the photo, the rest hidden copies
        raise CannotRebuild(f"it holds {frames} pictures (an animation or pages); only single pictures are rebuilt")
    if image.format == "TIFF" and _DNG_VERSION_TAG in getattr(image, "tag_v2", {}):
        raise CannotRebuild("it is a camera raw (DNG): only its small preview could be decoded")
    return image


def _encode(image: Any, source_format: str, damaged: bool, policy: Policy, data: bytes) -> Rebuilt:
    from PIL import ImageOps

    profile = image.info.get("icc_profile")
    transparency = image.info.get("transparency")
    subsampling = _subsampling(image, source_format)
    if policy.keep_orientation:
        with contextlib.suppress(Exception):  # an unreadable way-up: the pixels are kept as stored
            image = ImageOps.exif_transpose(image)
    pixels = image.copy()
    pixels.info = {}  # nothing of the original file but its pixels
    has_alpha = "A" in pixels.getbands() or transparency is not None
    lossy = source_format in LOSSY_FORMATS or (source_format == "WEBP" and _is_lossy_webp(data))
    fmt = "JPEG" if lossy and not has_alpha else "PNG"
    allowed = _JPEG_MODES if fmt == "JPEG" else _PNG_MODES
    converted = pixels.mode not in allowed
    if converted:
        pixels = pixels.convert("RGBA" if has_alpha and fmt == "PNG" else "RGB")
        transparency = None
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options.update(quality=JPEG_QUALITY, subsampling=subsampling, optimize=True)
    elif transparency is not None:
        options["transparency"] = transparency
    sound = _sound_profile(profile, pixels.mode) if policy.keep_color_profile and not converted else None
    if sound is not None:
        options["icc_profile"] = sound
    out = io.BytesIO()
    pixels.save(out, fmt, **options)
    return Rebuilt(out.getvalue(), fmt, damaged, sound is not None)


def _sound_profile(profile: object, mode: str) -> bytes | None:
    """The profile when it is sound (as lossless cleaning judges it) and fits the pixels; undated."""
    if not isinstance(profile, bytes) or len(profile) > limits.MAX_ICC_BYTES or not icc.is_valid_profile(profile):
        return None
    if profile[16:20] != _PROFILE_SPACE.get(mode):
        return None
    return icc.without_stamp(profile) if icc.is_stamped(profile) else profile


def _subsampling(image: Any, source_format: str) -> int:
    """Keep the source's chroma subsampling (4:4:4 stays 4:4:4); 4:2:0 otherwise."""
    if source_format in ("JPEG", "MPO"):
        from PIL import JpegImagePlugin

        try:
            sampling = JpegImagePlugin.get_sampling(image)
        except Exception:  # noqa: BLE001
            sampling = -1
        if sampling in (0, 1, 2):
            return sampling
    return 2


def _is_lossy_webp(data: bytes) -> bool:
    return b"VP8 " in data[12:4096] and b"VP8L" not in data[12:4096]
