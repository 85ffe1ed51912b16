"""What a look at the picture found: pure data, shared by the CLI, the watch service and the web page.

Boxes are ``(left, top, right, bottom)`` in pixels of the picture *as shown*
(its EXIF orientation applied), right and bottom exclusive.
"""
from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class SeenWord:
    """A line of words the text reader read, where it is, and how sure it was (0-1)."""

    text: str
    box: Box
    score: float


@dataclass(frozen=True)
class SeenFace:
    """A face the face finder found, and how sure it was (0-1)."""

    box: Box
    score: float


@dataclass
class Sight:
    """Everything one look found.  ``looked`` is False when the picture could not be looked at.

    A picture that was not looked at is never reported as showing nothing:
    ``why_not`` says why, and the words say it may still show faces or words.
    """

    words: list[SeenWord] = field(default_factory=list)
    faces: list[SeenFace] = field(default_factory=list)
    looked: bool = True
    why_not: str | None = None
    #: Size (width, height) of the picture as shown, when it was looked at.
    size: tuple[int, int] | None = None

    @classmethod
    def not_looked_at(cls, why: str) -> Sight:
        return cls(looked=False, why_not=why)

    @property
    def shows_anything(self) -> bool:
        return bool(self.words or self.faces)

    def to_json(self) -> dict[str, object]:
        """``{"words": [{"text", "box", "kind"}], "faces": [{"box"}]}``; or ``{"looked": false, "why": ...}``.

        ``kind`` is what the words look like ("school's name", "number plate", ...)
        or None; see ``geoscrub.look.kinds``.
        """
        if not self.looked:
            return {"looked": False, "why": self.why_not}
        from .kinds import kind_of

        return {
            "looked": True,
            "words": [{"text": w.text, "box": list(w.box), "kind": kind_of(w.text)} for w in self.words],
            "faces": [{"box": list(f.box)} for f in self.faces],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Sight:
        """The reverse of ``to_json`` (scores are not kept there, so they come back as 1.0)."""
        if not data.get("looked", True):
            return cls.not_looked_at(str(data.get("why") or "not looked at"))
        words = [SeenWord(str(w["text"]), _box(w["box"]), 1.0) for w in data.get("words", [])]  # type: ignore[union-attr, index]
        faces = [SeenFace(_box(f["box"]), 1.0) for f in data.get("faces", [])]  # type: ignore[union-attr, index]
        return cls(words=words, faces=faces)


def _box(values: object) -> Box:
    left, top, right, bottom = (int(v) for v in values)  # type: ignore[union-attr]
    return (left, top, right, bottom)
