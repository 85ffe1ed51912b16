"""Choosing the format module: by the file's first bytes, loading only the module it needs."""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from geoscrub import registry
from geoscrub.errors import UnsupportedFormat
from tests.builders import video as vb
from tests.builders.heif import avif, heic

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "samples").rglob("*") if p.is_file())


def every_format_in_turn(prefix: bytes) -> str:
    """What the registry must answer: the first format, in order, whose own ``accept`` takes the bytes."""
    for fmt in registry.formats():
        if fmt.accept(prefix):
            return fmt.name
    return "unsupported"


def sniffed(prefix: bytes) -> str:
    try:
        return registry.sniff(prefix).name
    except UnsupportedFormat:
        return "unsupported"


def known_prefixes() -> list[bytes]:
    prefixes = [p.read_bytes()[: registry.PREFIX_BYTES] for p in SAMPLES]
    prefixes += [heic()[:64], avif()[:64]]
    prefixes += [vb.movie([vb.video_track()], brand=brand)[:64] for brand in (b"isom", b"qt  ", b"3gp5", b"M4V ")]
    prefixes += [vb.movie([vb.video_track()], ftyp=False)[:64]]  # an old QuickTime file: no ftyp
    prefixes += [b"II*\x00" + bytes(60), b"MM\x00*" + bytes(60), b"II+\x00" + bytes(60), b"MM\x00+" + bytes(60)]
    return prefixes


def test_samples_cover_every_signed_format():
    names = {sniffed(p) for p in known_prefixes()}
    assert {"JPEG", "PNG", "WebP", "TIFF", "GIF", "HEIC/HEIF", "AVIF", "MP4", "MOV"} <= names


def test_sniff_gives_what_asking_every_format_in_turn_gives():
    rng = random.Random(19)
    prefixes = known_prefixes()
    cases = list(prefixes)
    for _ in range(5000):
        base = bytearray(rng.choice(prefixes))
        for _ in range(rng.randrange(1, 4)):  # change a few of the first bytes, where signatures are
            base[rng.randrange(0, 16)] = rng.randrange(256)
        cases.append(bytes(base[: rng.randrange(0, len(base) + 1)]))
    cases += [rng.randbytes(rng.randrange(0, 65)) for _ in range(2000)]
    cases += [b"", b"\xff\xd8", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBP", b"GIF89a", b"\x89PNG\r\n\x1a\n"]
    assert [sniffed(c) for c in cases] == [every_format_in_turn(c) for c in cases]


def loaded_after(code: str) -> set[str]:
    """The geoscrub format modules a fresh interpreter has loaded after running ``code``."""
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\n"
         "print('loaded:', *(m for m in sys.modules if m.startswith('geoscrub.formats.')))"],
        capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.splitlines()[-1].split()[1:])


@pytest.mark.parametrize("sample", ["jpeg/phone_photo_gps_owner_video.jpg", "png/raw_profile_exif.png"])
def test_a_photo_loads_only_its_own_format_module(sample):
    loaded = loaded_after(f"import geoscrub\ngeoscrub.scan({str(ROOT / 'samples' / sample)!r})")
    module = "geoscrub.formats." + sample.split("/")[0]
    assert module in loaded
    assert not loaded & {"geoscrub.formats.heif", "geoscrub.formats.video", "geoscrub.formats.gif"}


def test_help_loads_no_format_module():
    loaded = loaded_after("from geoscrub.cli import main\n"
                          "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert loaded <= {"geoscrub.formats.base", "geoscrub.formats.signatures"}
