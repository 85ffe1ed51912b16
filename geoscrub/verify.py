"""Check cleaned bytes before they are written (black's assert_equivalent/assert_stable).

A cleaned file is accepted only when its image data is byte-identical to the
original's, a fresh scan finds nothing, and cleaning it again changes nothing.
"""
from __future__ import annotations

from collections.abc import Sequence

from .errors import GeoscrubError, VerificationFailed
from .fileview import is_zero_padding, same_range
from .formats.base import ContainerFormat, Plan, plan_of
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
    return all(a1 - a0 == b1 - b0 and same_range(original, a0, cleaned, b0, a1 - a0)
               for (a0, a1), (b0, b1) in zip(spans, cleaned_spans))


def plan_spells(plan: Plan, whole: bytes, *, allow_zero_padding: bool = False) -> bool:
    """True when following ``plan`` (a plan of ``whole`` itself) gives back exactly ``whole``.

    A range that lands where it came from is the same bytes by definition;
    anything else is compared.  With ``allow_zero_padding`` ``whole`` may
    also go on with zero bytes (padding says nothing).  Works on a FileView too.
    """
    pos = 0
    for piece in plan:
        if isinstance(piece, range):
            if piece.start != pos and not same_range(whole, pos, whole, piece.start, len(piece)):
                return False
            pos += len(piece)
        else:
            if not whole.startswith(piece, pos):
                return False
            pos += len(piece)
    return pos == len(whole) or (allow_zero_padding and is_zero_padding(whole, pos))


def _same_image(fmt: ContainerFormat, original: bytes, cleaned: bytes) -> bool:
    same_picture = getattr(fmt, "same_picture", None)
    if same_picture is not None:  # a format that compares its pictures itself (TIFF: tags and strips)
        return bool(same_picture(original, cleaned))
    spans = getattr(fmt, "image_spans", None)
    if spans is not None:
        return same_spans(original, spans(original), cleaned, spans(cleaned))
    return same_bytes(fmt.image_data(original), fmt.image_data(cleaned))


def _stable(fmt: ContainerFormat, cleaned: bytes, policy: Policy) -> bool:
    return plan_spells(plan_of(fmt, cleaned, policy), cleaned)


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
