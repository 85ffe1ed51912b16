"""Batches give the same reports in the same order, in one process or several."""
from __future__ import annotations

from geoscrub import batch
from geoscrub.api import scan
from tests.builders import core
from tests.builders.systems import POSIX_ONLY


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


@POSIX_ONLY
def test_small_batches_stay_in_process():
    assert batch.default_workers(batch.MIN_FILES_FOR_WORKERS - 1) == 1
    assert batch.default_workers(1000) >= 1


_COUNT_FAULTS = """
import resource, sys
from pathlib import Path
from geoscrub import api, batch
if sys.argv[1] == "reuse":
    batch.reuse_freed_buffers()
photos = sorted(Path(sys.argv[2]).glob("*.jpg"))
out = Path(sys.argv[3])
api.clean(photos[0], out / "warm-up.jpg")
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for photo in photos:
    api.clean(photo, out / photo.name)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_a_batch_reuses_freed_photo_sized_buffers(tmp_path):
    """Without reuse every photo's buffers are faulted in and zeroed afresh by the kernel."""
    import subprocess
    import sys

    from PIL import Image

    if not sys.platform.startswith("linux"):
        return  # glibc only; elsewhere the setting is skipped
    photos = tmp_path / "in"
    photos.mkdir()
    base = core.encode(Image.effect_noise((900, 700), 70).convert("RGB"), "JPEG", quality=95)
    for i in range(8):
        (photos / f"{i}.jpg").write_bytes(core.jpeg([core.app1_exif(core.exif_tiff()), core.comment(f"n{i}")],
                                                    base=base))
    faults = {}
    for mode in ("default", "reuse"):
        out = tmp_path / mode
        out.mkdir()
        proc = subprocess.run([sys.executable, "-c", _COUNT_FAULTS, mode, str(photos), str(out)],
                              capture_output=True, text=True, check=True)
        faults[mode] = int(proc.stdout)
    assert faults["reuse"] * 4 < faults["default"], faults
