"""Looking at what the picture shows: faces and words, found on the device.

This package's ``seen`` (what was found), ``kinds`` (what a line of words is)
and ``geoscrub.report_look`` (the words for it) are pure Python, so the web
page's Pyodide worker imports them too.  The detectors (``detect``, needing
the optional ``geoscrub[look]`` extra: onnxruntime and numpy) are imported only
when ``--look`` is asked for; nothing here imports them.
"""
from __future__ import annotations

#: Told when --look is asked for without the extra installed.
INSTALL_HINT = "pip install 'geoscrub[look]'"
