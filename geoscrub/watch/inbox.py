"""Walking the upload folder, and the names that are never picked up.

Browsers and sync clients write under a temporary name and rename when done
(owncloud ``.~xxxx``, Firefox ``.part``, Chrome ``.crdownload``, Office
``~$``).  Such names, and anything under a dot-folder, are left alone until
they are renamed.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from ..paths import is_os_clutter

TEMP_SUFFIXES = (".part", ".tmp", ".crdownload")
TEMP_PREFIXES = (".~", "~$", ".")


def is_ignored_name(name: str) -> bool:
    """True for a file name that is still being uploaded, is hidden, or is OS clutter (``Thumbs.db``)."""
    if name.startswith(TEMP_PREFIXES) or is_os_clutter(name):
        return True
    return name.lower().endswith(TEMP_SUFFIXES)


def is_ignored(rel: str) -> bool:
    """True when the file name is temporary, or any folder on the way is hidden."""
    parts = rel.split(os.sep)
    if any(part.startswith(".") for part in parts[:-1]):
        return True
    return is_ignored_name(parts[-1])


def relative(root: str, path: str) -> str | None:
    """``path`` relative to ``root``, or None when it is not inside it."""
    if not path.startswith(root + os.sep):
        return None
    rel = path[len(root) + 1 :]
    return rel or None


def walk(root: str, start_rel: str = "") -> Iterator[str]:
    """Relative paths of every entry below ``root/start_rel`` that is not a folder.

    Symlinks, FIFOs and the like are listed too (the service refuses them);
    folders are walked without following symlinks.  Unreadable folders are
    skipped rather than stopping the walk.
    """
    if start_rel:
        try:
            is_real_folder = stat.S_ISDIR(os.lstat(os.path.join(root, start_rel)).st_mode)
        except OSError:
            return
        if not is_real_folder:  # e.g. a symlink to a folder: listed, never entered
            if not is_ignored(start_rel):
                yield start_rel
            return
    stack = [start_rel]
    while stack:
        rel_dir = stack.pop()
        folder = os.path.join(root, rel_dir) if rel_dir else root
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in sorted(listed, key=lambda e: e.name):
            rel = os.path.join(rel_dir, entry.name) if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if not entry.name.startswith("."):
                    stack.append(rel)
                continue
            if not is_ignored(rel):
                yield rel
