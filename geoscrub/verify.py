"""Check cleaned bytes before they are written (black's assert_equivalent/assert_stable).

A cleaned file is accepted only when its image data is byte-identical to the
original's, a fresh scan finds nothing, and cleaning it again changes nothing.
"""
from __future__ import annotations

from collections.abc import Sequence

from .errors import GeoscrubError, VerificationFailed
from .formats.base import ContainerFormat
from .model import Policy


def same_bytes(a: Sequence[bytes | memoryview], b: Sequence[bytes | memoryview]) -> bool:
    """True when both piece lists spell the same bytes (one copy each, then memcmp).

    Joining and comparing is several times faster than hashing both sides.
    """
    if sum(len(p) for p in a) != sum(len(p) for p in b):
        return False
    return b"".join(a) == b"".join(b)


def verify_clean(fmt: ContainerFormat, original: bytes, cleaned: bytes, policy: Policy) -> None:
    """Raise VerificationFailed unless ``cleaned`` is a faithful, clean copy."""
    if not fmt.accept(cleaned[:64]):
        raise VerificationFailed(f"cleaned output is no longer {fmt.name}")
    try:
        same_image = same_bytes(fmt.image_data(original), fmt.image_data(cleaned))
        leftovers = fmt.scan(cleaned).findings
        stable = fmt.strip(cleaned, policy) == cleaned
    except GeoscrubError as err:
        raise VerificationFailed(f"cleaned output could not be re-read: {err}") from None
    if not same_image:
        raise VerificationFailed("image data would change; refusing to write")
    if leftovers:
        keys = ", ".join(f.key for f in leftovers[:3])
        raise VerificationFailed(f"metadata still present after cleaning: {keys}")
    if not stable:
        raise VerificationFailed("cleaning is not stable (a second pass would change the file)")
