"""Which files a command works on, and where their cleaned copies go.

Folders are walked recursively in a stable order.  Hidden files and folders,
and the clutter Windows and macOS leave beside photos (``Thumbs.db``,
``desktop.ini``, ``.DS_Store``, the icon file ``Icon`` + CR), are skipped.
Inside a folder that was given, symbolic links are never followed (a link to
``~/.ssh`` or a private photo elsewhere must not end up in a folder of copies
meant for sharing) and FIFOs, devices and sockets are never opened: both are
listed as skipped.  A path named on the command line is always tried, so a
problem with it is reported rather than hidden.
"""
from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

#: Extensions that already name a format correctly, beyond ``fmt.extension``.
EXTENSION_ALIASES: dict[str, frozenset[str]] = {
    "JPEG": frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    "PNG": frozenset({".png"}),
    "WebP": frozenset({".webp"}),
    "HEIC/HEIF": frozenset({".heic", ".heif", ".hif"}),
    "AVIF": frozenset({".avif"}),
    "GIF": frozenset({".gif"}),
    "TIFF": frozenset({".tif", ".tiff", ".dng", ".btf", ".tf8"}),  # DNG is TIFF inside; .btf/.tf8 BigTIFF
    # one container family: players read any of them whatever the brand, so none is renamed
    **dict.fromkeys(("MP4", "MOV", "3GP", "M4V"),
                    frozenset({".mp4", ".mov", ".qt", ".3gp", ".3g2", ".m4v", ".m4a", ".mp4v"})),
}

#: Every extension a photo geoscrub reads may have (for "did you mean" hints).
PHOTO_EXTENSIONS: frozenset[str] = frozenset().union(*EXTENSION_ALIASES.values())

#: Marker inserted before the extension of a default cleaned copy.
CLEAN_MARK = ".clean"
#: The same for a covered copy (``clean --look --cover``: NAME.covered.jpg, see geoscrub/look/cover.py).
COVERED_MARK = ".covered"

#: Files Windows and macOS leave in folders of photos (thumbnail caches, folder settings,
#: the custom-icon file ``Icon`` + CR); ``.DS_Store`` and ``._*`` are hidden names anyway.
OS_CLUTTER_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "ehthumbs_vista.db", "desktop.ini", "icon\r",
                              ".ds_store"})
#: Folders Windows keeps at the top of a disk or card: never photos, often unreadable.
OS_CLUTTER_FOLDERS = frozenset({"system volume information", "$recycle.bin"})


def is_os_clutter(name: str) -> bool:
    """True for a file the operating system made, never a photo (any case: Windows writes both)."""
    lowered = name.casefold()
    return lowered in OS_CLUTTER_NAMES or lowered.startswith("._")


@dataclass(frozen=True)
class Input:
    """One file to work on."""

    path: Path  # as given, or as found under a given folder
    relative: Path  # below the folder it was found in; just the name for a file given directly
    walked: bool = False  # found by walking a folder: symlinks are then refused when opening
    problem: str | None = None  # known before opening it ("does not exist")


@dataclass
class Selection:
    """Everything the command line named: files to work on and what was left out."""

    inputs: list[Input] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # links and special files inside folders


def select(
    raw_paths: tuple[str, ...] | list[str], *, skip_clean_copies: bool = False, exclude: Path | None = None
) -> Selection:
    """Expand the paths given into files, in order.

    ``skip_clean_copies`` leaves out ``*.clean.*`` files found while walking,
    so cleaning a folder twice does not clean its own earlier copies;
    ``exclude`` is a folder never walked into (the ``--output`` folder).
    """
    selection = Selection()
    skip_dir = os.path.realpath(exclude) if exclude is not None else None
    for raw in raw_paths:
        root = Path(raw)
        if os.path.isdir(root):
            _walk(root, selection, skip_clean_copies, skip_dir)
        elif not os.path.lexists(root):
            selection.inputs.append(Input(root, Path(root.name), problem="does not exist"))
        else:
            selection.inputs.append(Input(root, Path(root.name)))
    return selection


def _walk(root: Path, selection: Selection, skip_clean_copies: bool, skip_dir: str | None) -> None:
    def unreadable(err: OSError) -> None:
        where = Path(err.filename) if err.filename else root
        selection.inputs.append(
            Input(where, _relative(where, root), walked=True, problem=f"cannot be opened: {err.strerror or err}")
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and d.casefold() not in OS_CLUTTER_FOLDERS
            and os.path.realpath(here / d) != skip_dir
        )
        for name in list(dirnames):
            if os.path.islink(here / name):  # os.walk would not descend; say so
                selection.skipped.append(here / name)
                dirnames.remove(name)
        for name in sorted(filenames):
            if name.startswith(".") or is_os_clutter(name):
                continue
            path = here / name
            if skip_clean_copies and is_clean_copy(path):
                continue
            try:
                mode = os.lstat(path).st_mode
            except OSError as err:
                unreadable(err)
                continue
            if not stat.S_ISREG(mode):  # symlink, FIFO, device, socket
                selection.skipped.append(path)
                continue
            selection.inputs.append(Input(path, path.relative_to(root), walked=True))


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return Path(path.name)


def is_clean_copy(path: Path) -> bool:
    """True for names geoscrub gives its default copies: ``NAME.clean.EXT`` (and ``NAME.covered.EXT``)."""
    return Path(path.stem).suffix in (CLEAN_MARK, COVERED_MARK)


def extension_for(path: Path, format_name: str, format_extension: str) -> str:
    """The file's own extension when it names the real format, else the format's usual one."""
    own = path.suffix.lower()
    if own == format_extension or own in EXTENSION_ALIASES.get(format_name, ()):
        return path.suffix
    return format_extension


def default_output(src: Path, extension: str) -> Path:
    """``NAME.clean.EXT`` beside the original."""
    stem = src.name[: -len(src.suffix)] if src.suffix else src.name
    return src.with_name(f"{stem}{CLEAN_MARK}{extension}")


def mirrored_output(out_dir: Path, relative: Path) -> Path:
    """Where ``--output`` puts a file: the same relative path under ``out_dir``."""
    if relative.is_absolute() or ".." in relative.parts:  # cannot come from select(); refuse anyway
        raise ValueError(f"unsafe relative path: {relative}")
    return out_dir / relative


#: The stem ``neutral_name`` gives: "photo-" and 12 random hex digits.
NEUTRAL_STEM = re.compile(r"photo-[0-9a-f]{12}")


def is_neutral_name(path: Path) -> bool:
    """True for names ``--rename`` gives (``photo-9683ec85fcc1.jpg``)."""
    return NEUTRAL_STEM.fullmatch(path.stem) is not None


def neutral_name(extension: str) -> str:
    """A random name that says nothing about when or where (unlike ``IMG_20250614_160311``)."""
    return f"photo-{os.urandom(6).hex()}{extension}"


# ---------------------------------------------------------------- one name on every disk

class NameClash:
    """How two names that one disk would take for the same name differ."""

    SAME = "same"  # exactly the same name
    CASE = "case"  # only upper/lower case: IMG_1.JPG and img_1.jpg
    ACCENTS = "accents"  # the same letters, accents stored two ways (NFC "é", NFD "e" + accent)
    CASE_AND_ACCENTS = "case and accents"


def name_key(name: str) -> str:
    """A name as a case- and Unicode-form-insensitive disk sees it (Windows, macOS, FAT/exFAT cards).

    Which disk a folder is on, or will be copied to, cannot be known for
    certain, so output names are compared this way on every system.
    """
    return unicodedata.normalize("NFC", name).casefold()


def name_clash(name: str, other: str) -> str | None:
    """How ``name`` and ``other`` differ when such a disk takes them for one name (a NameClash), else None."""
    if name == other:
        return NameClash.SAME
    if name_key(name) != name_key(other):
        return None
    if unicodedata.normalize("NFC", name) == unicodedata.normalize("NFC", other):
        return NameClash.ACCENTS
    if name.casefold() == other.casefold():
        return NameClash.CASE
    return NameClash.CASE_AND_ACCENTS
