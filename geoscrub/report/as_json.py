"""The ``--json`` contract: one object per file (``report_json``, ``outcome_json``, ``not_started_json``).
"""
from __future__ import annotations

import json
from pathlib import Path

from .._version import __version__
from ..model import Report
from .common import REBUILD_HINT, CleanOutcome, error_text, json_path


def report_json(report: Report) -> dict[str, object]:
    """The contract: geoscrub_version, path, format, status, findings, location (with GPS), error (on error).

    ``status`` is ``identifying_unreadable`` when findings were read before an
    error: both ``findings`` and ``error`` are then filled.
    """
    obj: dict[str, object] = {
        "geoscrub_version": __version__,
        "path": json_path(report.path),
        "format": report.format,
        "status": report.status,
        "findings": [f.to_dict() for f in report.findings],
    }
    if report.location is not None:
        loc = report.location
        obj["location"] = {
            "latitude": loc.latitude,
            "longitude": loc.longitude,
            "accuracy_m": loc.accuracy_m,
            "place": loc.place,
        }
    if report.error is not None:
        obj["error"] = error_text(report)
    if report.sight is not None:  # --look: what the picture may show (see report_look)
        obj["visible"] = report.sight.to_json()  # type: ignore[attr-defined]
    return obj


def outcome_json(outcome: CleanOutcome) -> dict[str, object]:
    """A check object plus what clean did: ``action`` and ``output``."""
    obj = report_json(outcome.report)
    obj["action"] = outcome.action
    obj["output"] = json_path(outcome.output) if outcome.output is not None else None
    if outcome.note:
        obj["note"] = outcome.note
    if outcome.warning:
        obj["warning"] = outcome.warning
    if outcome.rebuildable:
        obj["hint"] = REBUILD_HINT
    if outcome.covered is not None:
        from ..report_look import covered_json

        obj.update(covered_json(outcome.covered))
    return obj


def not_started_json(path: Path | str) -> dict[str, object]:
    """A file a stopped ``clean`` never started: the array keeps one object per file, and counts these.

    ``status`` and ``action`` are both ``not_started``: nothing was read, so
    nothing is known about it, and it is exactly as it was.
    """
    return {"geoscrub_version": __version__, "path": json_path(path), "format": None, "status": "not_started",
            "findings": [], "action": "not_started", "output": None}


def dumps(objects: list[dict[str, object]]) -> str:
    """One JSON array, one file's object per line: readable, and fast to write.

    (``json.dumps(indent=...)`` falls back to the pure-Python encoder, which
    costs more than scanning the photos on a big batch.)
    """
    if not objects:
        return "[]"
    return "[\n" + ",\n".join(json.dumps(o, ensure_ascii=True) for o in objects) + "\n]"
