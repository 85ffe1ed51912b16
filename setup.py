"""Build settings pyproject.toml cannot hold: the optional compiled marker search.

``optional=True``: where no C compiler is found the build says so and goes on,
and geoscrub runs on its pure-Python search (as the web page always does).
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("geoscrub._markerscan", ["geoscrub/_markerscan.c"], optional=True)])
