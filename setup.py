"""Build settings pyproject.toml cannot hold: the optional compiled marker search.

``optional=True``: where no C compiler is found the build says so and goes on,
and geoscrub runs on its pure-Python search (as the web page always does).
``GEOSCRUB_PURE=1`` leaves the extension out on purpose: the release's
``py3-none-any`` wheel, for systems no platform wheel is built for.
``GEOSCRUB_REQUIRE_EXTENSION=1`` (the release's platform wheels) makes a
failed compile fail the build instead of giving a wheel without it.
"""
import os

from setuptools import Extension, setup

def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


OPTIONAL = not _flag("GEOSCRUB_REQUIRE_EXTENSION")
EXTENSIONS = [] if _flag("GEOSCRUB_PURE") else [
    Extension("geoscrub._markerscan", ["geoscrub/_markerscan.c"], optional=OPTIONAL)
]

setup(ext_modules=EXTENSIONS)
