"""The web page: geoscrub's own engine cleaning photos inside the browser, on the device.

``engine`` is what the page runs (in Pyodide, in a Web Worker); ``site``
builds the static site, ``pyodide_dist`` fetches and checks the pinned
Pyodide runtime, ``server`` serves a built site on this machine and
``commands`` is the ``geoscrub web`` command group.  Nothing here is imported
by the rest of geoscrub, and nothing but ``engine`` is loaded in the browser.
"""
