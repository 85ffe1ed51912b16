"""The watch service: a shared upload folder that never posts a dirty photo.

``service`` runs the loop, ``settle`` decides when an upload is complete,
``inbox`` walks the upload folder and knows which names to ignore,
``worker`` handles one file, ``placement`` moves files to the outbox,
quarantine and archive, ``reasons`` turns outcomes into plain words and
``log`` prints them.  ``command`` is the Click front end.
"""
from __future__ import annotations

from typing import Any

__all__ = ["WatchConfig", "WatchService"]


def __getattr__(name: str) -> Any:
    # Lazy, so ``geoscrub check`` does not pay for importing watchdog.
    if name in __all__:
        from . import service

        return getattr(service, name)
    raise AttributeError(name)
