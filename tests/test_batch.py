"""Batches give the same reports in the same order, in one process or several."""
from __future__ import annotations

from geoscrub import batch
from geoscrub.api import scan
from tests.builders import core


def test_worker_processes_return_the_same_reports_in_order(tmp_path):
    paths = []
    for i in range(20):
        p = tmp_path / f"{i:02d}.jpg"
        p.write_bytes(core.dirty_jpeg() if i % 2 else b"not a photo")
        paths.append(p)
    serial = [(r.path, r.status, len(r.findings), str(r.error)) for r in batch.map_files(scan, paths, workers=1)]
    parallel = [(r.path, r.status, len(r.findings), str(r.error)) for r in batch.map_files(scan, paths, workers=2)]
    assert serial == parallel
    assert [s for _, s, _, _ in serial] == ["error", "identifying"] * 10


def test_small_batches_stay_in_process():
    assert batch.default_workers(batch.MIN_FILES_FOR_WORKERS - 1) == 1
    assert batch.default_workers(1000) >= 1
