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

# What the uploader can do, for the note beside a refused file.  The note is read by whoever
# uploaded, not by whoever runs geoscrub: no command-line options, only things they can do.
SEND_AGAIN = "What to do: the upload may have stopped part way. Send the photo again."
SAVE_AS_JPEG = ("What to do: if this really is a photo, open it in a photo app, save or export "
                "a new copy as JPEG, and send that copy again.")
SEND_THE_PHOTO_ITSELF = "What to do: send the photo itself, not a shortcut or a second name of it."
SEND_FROM_THE_PHONE = "What to do: send the photo again, straight from the phone or camera."
ASK_THE_VOLUNTEER = "If it ends up here again, ask the club's volunteer who looks after geoscrub for help."
#: When geoscrub could make a new copy from the picture alone (what ``--rebuild`` does).
VOLUNTEER_CAN_REBUILD = ("If it ends up here again, ask the club's volunteer who looks after geoscrub: "
                         "it can make a new copy from the picture alone, which looks the same but is saved anew.")
NOTHING_CHANGED = "This file was not posted, and nothing in it was changed."


def advice_for(err: BaseException | None, *, unfinished: bool = False, rebuildable: bool = False) -> str:
    """What the uploader can do about a refusal, in plain words (the likely fix first).

    ``err`` None means a link or special file; ``unfinished``, a file that
    stayed empty or cut short for the whole patience.
    """
    if err is None or isinstance(err, NotARegularFile):
        return SEND_THE_PHOTO_ITSELF
    if unfinished or isinstance(err, TruncatedFile):
        advice = SEND_AGAIN
    elif isinstance(err, UnsupportedFormat):
        advice = SAVE_AS_JPEG
    else:
        advice = SEND_FROM_THE_PHONE
    if rebuildable:
        advice += " " + VOLUNTEER_CAN_REBUILD
    elif advice == SEND_FROM_THE_PHONE:
        advice += " " + ASK_THE_VOLUNTEER
    return advice


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


#: Why an upload that stayed empty for the whole patience was refused.
EMPTY = "the file is empty: nothing of the photo arrived"


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


#: Logged once when a write finds no space left (``{detail}`` says which file and why).
DISK_FULL = ("the disk is full ({detail}); nothing is lost: the photos wait in the inbox, and one at a time "
             "is tried again, first in a few seconds, then at least once every {most}, until there is room")
#: Logged once when a photo is written again after the disk was full.
ROOM_AGAIN = "there is room on the disk again; carrying on with the photos waiting ({waiting})"


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


def reason_text(display_name: str, sentence: str, detail: str = "", advice: str = SAVE_AS_JPEG) -> str:
    """The text of NAME.reason.txt placed beside a quarantined file, for the uploader."""
    lines = [
        f"geoscrub did not post this file: {escape_name(display_name)}",
        "",
        f"Why: {sentence}.",
    ]
    if detail:
        lines.append(f"Details: {detail}")
    lines += ["", advice, NOTHING_CHANGED, ""]
    return "\n".join(lines)
