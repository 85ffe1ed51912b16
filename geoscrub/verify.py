"""Check cleaned bytes before they are written (black's assert_equivalent/assert_stable).

A cleaned file is accepted only when its image data is byte-identical to the
original's, a fresh scan finds nothing, and cleaning it again changes nothing.
"""
from __future__ import annotations

from collections.abc import Sequence

from .errors import GeoscrubError, VerificationFailed
from .formats.base import ContainerFormat, plan_of, plan_pieces
from .model import Policy


def same_bytes(a: Sequence[bytes | memoryview], b: Sequence[bytes | memoryview]) -> bool:
    """True when both piece lists spell the same bytes (one copy each, then memcmp)."""
    if sum(len(p) for p in a) != sum(len(p) for p in b):
        return False
    return b"".join(a) == b"".join(b)


def same_spans(original: bytes, spans: Sequence[tuple[int, int]],
               cleaned: bytes, cleaned_spans: Sequence[tuple[int, int]]) -> bool:
    """Span by span, the same bytes in both files; compared in place with no copy."""
    if len(spans) != len(cleaned_spans):
        return False
    view = memoryview(cleaned)
    for (a0, a1), (b0, b1) in zip(spans, cleaned_spans):
        if a1 - a0 != b1 - b0 or not original.startswith(view[b0:b1], a0):
            return False
    return True


def spells(pieces: Sequence[bytes | memoryview], whole: bytes) -> bool:
    """True when the pieces, one after another, are exactly ``whole`` (no join needed)."""
    pos = 0
    for piece in pieces:
        if not whole.startswith(piece, pos):
            return False
        pos += len(piece)
    return pos == len(whole)


def _same_image(fmt: ContainerFormat, original: bytes, cleaned: bytes) -> bool:
    spans = getattr(fmt, "image_spans", None)
    if spans is not None:
        return same_spans(original, spans(original), cleaned, spans(cleaned))
    return same_bytes(fmt.image_data(original), fmt.image_data(cleaned))


def _stable(fmt: ContainerFormat, cleaned: bytes, policy: Policy) -> bool:
    return spells(plan_pieces(plan_of(fmt, cleaned, policy), cleaned), cleaned)


def verify_clean(fmt: ContainerFormat, original: bytes, cleaned: bytes, policy: Policy) -> None:
    """Raise VerificationFailed unless ``cleaned`` is a faithful, clean copy."""
    if not fmt.accept(cleaned[:64]):
        raise VerificationFailed(f"cleaned output is no longer {fmt.name}")
    try:
        same_image = _same_image(fmt, original, cleaned)
        leftovers = fmt.scan(cleaned).findings
        stable = _stable(fmt, cleaned, policy)
    except GeoscrubError as err:
        raise VerificationFailed(f"cleaned output could not be re-read: {err}") from None
    if not same_image:
        raise VerificationFailed("image data would change; refusing to write")
    if leftovers:
        keys = ", ".join(f.key for f in leftovers[:3])
        raise VerificationFailed(f"metadata still present after cleaning: {keys}")
    if not stable:
        raise VerificationFailed("cleaning is not stable (a second pass would change the file)")
