"""The one place geoscrub's version is written.

The package metadata (pyproject.toml reads it), ``geoscrub --version``, the
JSON report, the watch service's start line and the web page's footer all
take it from here.  It imports nothing, so any module can use it.
"""
__version__ = "0.1.0"
