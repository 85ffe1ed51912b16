"""Plain words for what happened to a file: what was removed, why one was refused."""
from __future__ import annotations

from ..errors import (
    EmptyFile,
    GeoscrubError,
    LimitExceeded,
    MalformedFile,
    NotARegularFile,
    TruncatedFile,
    UnsafeToClean,
    UnsupportedFormat,
    VerificationFailed,
)
from ..model import Category, Finding

#: What each category of metadata gives away, as a volunteer would say it.
REMOVED_WORDS = {
    Category.PLACE: "where it was taken",
    Category.PERSON: "names of people",
    Category.HIDDEN_IMAGE: "a hidden copy of the picture",
    Category.DEVICE: "which phone or camera took it",
    Category.TIME: "when it was taken",
    Category.OTHER: "other hidden notes",
}

WHAT_TO_DO = (
    "What to do: if this really is a photo, open it in a photo app, save or export "
    "a new copy as JPEG, and drop that copy into the upload folder again. "
    "This file was not posted, and nothing in it was changed."
)


def escape_name(name: str) -> str:
    """A quoted, single-line, printable form of a file name."""
    out = []
    for ch in name:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x100:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def removed_summary(findings: list[Finding] | tuple[Finding, ...]) -> list[str]:
    """The distinct things removed, worst first."""
    categories = sorted({f.category for f in findings}, key=lambda c: c.severity)
    return [REMOVED_WORDS[c] for c in categories]


def refusal_for_error(err: BaseException) -> str:
    """One plain sentence for why a file was refused."""
    if isinstance(err, NotARegularFile):
        return "it is not a normal photo file, so it was not opened"
    if isinstance(err, EmptyFile):
        return "the file is empty: nothing of the photo arrived"
    if isinstance(err, UnsupportedFormat):
        return "it is not a kind of photo geoscrub knows how to clean"
    if isinstance(err, TruncatedFile):
        return "the file is cut short, so geoscrub cannot be sure it found everything hidden in it"
    if isinstance(err, MalformedFile):
        return "the file looks damaged, so geoscrub cannot be sure it found everything hidden in it"
    if isinstance(err, LimitExceeded):
        return "the file is bigger or more complicated than geoscrub handles safely"
    if isinstance(err, UnsafeToClean):
        return "geoscrub cannot remove the hidden details without changing the picture"
    if isinstance(err, VerificationFailed):
        return "after cleaning, the check found something still there, so it was not posted"
    if isinstance(err, PermissionError):
        return "geoscrub is not allowed to open this file"
    if isinstance(err, GeoscrubError):
        return "geoscrub could not process it"
    return "geoscrub hit an unexpected problem with this file, so it was kept back to be safe"


SYMLINK = ("it is a shortcut (symbolic link) to another file; geoscrub never follows shortcuts, "
           "so the file it points to was not opened")
HARDLINK = ("this file also exists under another name somewhere else (a hard link); "
            "it may be someone's private file, so it was not opened")
SPECIAL = "it is not a normal file (a pipe, socket or device), so it was not opened"
SYMLINK_REMOVED = ("the shortcut was removed from the upload folder; "
                   "the file it points to was not opened, copied or changed")
HARDLINK_REMOVED = ("this name was removed from the upload folder; "
                    "the file itself, under its other name, was not opened, copied or changed")
SPECIAL_REMOVED = "it was removed from the upload folder without being opened"


def reason_text(display_name: str, sentence: str, detail: str = "") -> str:
    """The text of NAME.reason.txt placed beside a quarantined file."""
    lines = [
        f"geoscrub did not post this file: {escape_name(display_name)}",
        "",
        f"Why: {sentence}.",
    ]
    if detail:
        lines.append(f"Details: {detail}")
    lines += ["", WHAT_TO_DO, ""]
    return "\n".join(lines)
