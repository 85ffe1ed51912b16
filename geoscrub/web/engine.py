"""What the web page's worker runs for one photo: bytes in, verified clean bytes and plain words out.

This is the page's whole engine.  It uses only the pure library API
(``clean_bytes``) and the report package's words (the page's variants of what the
command line prints: no flags, no command-line counts), so the page cleans
exactly as ``geoscrub clean`` does.  Copies get neutral names as with
``clean --rename`` unless the page is asked to keep the original name.  It
touches no file, no thread and no network: it runs unchanged in Pyodide.
"""
from __future__ import annotations

import dataclasses
import mimetypes
from pathlib import PurePosixPath
from typing import Any

from .. import places, registry
from .. import report as render
from ..api import clean_bytes
from ..errors import GeoscrubError, InternalError
from ..model import Report
from ..paths import default_output, extension_for, is_clean_copy, is_neutral_name, neutral_name

#: Names a copy gets when the browser gives the photo no usable name.
_FALLBACK_NAME = "photo"


def clean_for_page(data: bytes, name: str, *, neutral: bool = True) -> dict[str, Any]:
    """Clean one photo held in memory; never raises for a bad photo.

    Returns ``status`` (``cleaned``, ``already_clean`` or ``refused``), the
    ``format``, the report words (``word``, ``detail``, ``bullets``,
    ``more_bullets``, ``note``), and for a cleaned or already-clean photo the
    verified ``cleaned`` bytes with the ``mime`` type and both names the copy
    may be saved under: ``neutral_name`` (as ``clean --rename`` names it) and
    ``kept_name`` (``NAME.clean.EXT``); ``download_name`` is the one ``neutral``
    asks for.  The page switches between them without cleaning again.
    """
    shown = _base_name(name)
    report = Report(PurePosixPath(shown))  # type: ignore[arg-type]  # a name to show, never opened
    cleaned: bytes | None = None
    note = None
    kept_name = neutral_copy_name = None
    try:
        fmt, found, cleaned = clean_bytes(bytes(data))
        report.fill(fmt.name, found)
        _name_the_place(report)
        kept_name, note = _copy_name(shown, fmt.name, fmt.extension)
        neutral_copy_name = _neutral_name(shown, fmt.extension)
        action = "cleaned" if report.findings else "already_clean"
        if action == "already_clean" and is_clean_copy(PurePosixPath(shown)):  # type: ignore[arg-type]
            note = render.page_copy_note()
    except GeoscrubError as err:
        report.error, action, cleaned = err, "refused", None
    except Exception as err:  # noqa: BLE001 - a bug refuses the photo; the page must go on
        report.error, action, cleaned = InternalError.from_exception(err), "refused", None
    words = render.page_outcome_words(render.CleanOutcome(report, action, None, note))
    download_name = neutral_copy_name if neutral else kept_name
    return {
        "status": action,
        "format": report.format,
        **words,
        "cleaned": cleaned,
        "download_name": download_name,
        "neutral_name": neutral_copy_name,
        "kept_name": kept_name,
        "mime": _mime(download_name),
    }


#: Endings whose usual type is wrong for what geoscrub writes (Python's table says .3gp is sound only).
_MIME_BY_ENDING = {".3gp": "video/3gpp"}


def _mime(download_name: str | None) -> str:
    """The type the copy is saved and previewed as (a clip as a video, so the page shows a player)."""
    if not download_name:
        return "application/octet-stream"
    ending = PurePosixPath(download_name).suffix.lower()
    return _MIME_BY_ENDING.get(ending) or mimetypes.guess_type(download_name)[0] or "application/octet-stream"


def warm_up() -> None:
    """Load every format module while the page still says "Getting ready", not when the first photo comes.

    (The build compiles what this loads, so the page imports it as bytecode.)
    """
    registry.formats()
    clean_for_page(b"", "warm-up")


def page_phrases() -> dict[str, Any]:
    """Sentences the page fills in itself, from the report package like every other word it shows.

    ``counts``: for each outcome, (one photo, ``{n}`` photos), joined as
    ``report.page_counts_text`` joins them; ``more``: the button over the
    bullets not shown at first (``{n}`` of them).
    """
    return {"counts": {key: list(forms) for key, forms in render.PAGE_COUNT_PARTS.items()},
            "more": render.PAGE_MORE_DETAILS}


def _base_name(name: str) -> str:
    """The last part of whatever name the browser gave (never a path), or a neutral one."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base if base not in ("", ".", "..") else _FALLBACK_NAME


def _copy_name(name: str, format_name: str, format_extension: str) -> tuple[str, str | None]:
    """``NAME.clean.EXT`` as the command line names it, and the note when the extension was wrong.

    A name that already says ``.clean`` keeps it once: the page saves into the
    downloads folder, never beside the original, so ``x.clean.clean.jpg`` is never needed.
    """
    path = PurePosixPath(name)
    extension = extension_for(path, format_name, format_extension)  # type: ignore[arg-type]
    note = None
    if extension != path.suffix:
        note = render.extension_note(format_name, extension)
    if is_clean_copy(path):  # type: ignore[arg-type]
        return path.with_suffix(extension).name, note
    return default_output(path, extension).name, note  # type: ignore[arg-type]


def _neutral_name(name: str, format_extension: str) -> str:
    """The name ``clean --rename`` would give; a photo that already has such a name keeps it."""
    path = PurePosixPath(name)
    if is_neutral_name(path) and path.suffix == format_extension:  # type: ignore[arg-type]
        return path.name
    return neutral_name(format_extension)


def _name_the_place(report: Report) -> None:
    """Say where the photo was taken in words when the offline place index is there."""
    loc = report.location
    if loc is not None and loc.place is None:
        report.location = dataclasses.replace(loc, place=places.place_name(loc.latitude, loc.longitude))
