"""Serving a built site on this machine, with the headers that keep every other origin out.

A plain ``http.server``: it serves files from the site folder only, answers
GET and HEAD, and binds to 127.0.0.1 unless told otherwise.  (A service
worker, and so offline use, needs https or localhost: for phones, put the
built site on an https web space.)
"""
from __future__ import annotations

import functools
import http.server
import ipaddress
import threading
from pathlib import Path
from typing import ClassVar

#: Only the page's own origin; WebAssembly may be compiled; photos and clips are previewed from blob: URLs.
#: The built index.html carries the same policy in a meta tag, for web spaces that send no such header.
META_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; "
    "img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
#: What only a header can say (a meta tag cannot): no other site may show the page in a frame.
CONTENT_SECURITY_POLICY = META_CONTENT_SECURITY_POLICY + "; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    # with the opener policy, makes the page cross-origin isolated: the face and word finder may use threads
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    # the service worker keeps the offline copy; the server always gives the newest
    "Cache-Control": "no-cache",
}
MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".webmanifest": "application/manifest+json",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".zip": "application/zip",
    ".css": "text/css",
    ".html": "text/html; charset=utf-8",
}


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the security headers on every response (errors included)."""

    extensions_map: ClassVar[dict[str, str]] = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES, "": "application/octet-stream"}
    server_version = "geoscrub"
    sys_version = ""

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def list_directory(self, path):  # type: ignore[no-untyped-def]
        self.send_error(404, "Not found")  # a folder's contents are nobody's business

    def log_message(self, format: str, *args: object) -> None:
        if getattr(self.server, "quiet", False):
            return
        super().log_message(format, *args)


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    quiet = False


def make_server(folder: Path, host: str = "127.0.0.1", port: int = 8765, *, quiet: bool = False) -> SiteServer:
    """A server for ``folder`` bound to ``host:port`` (port 0 picks a free one); not started yet."""
    handler = functools.partial(SiteHandler, directory=str(folder))
    server = SiteServer((host, port), handler)
    server.quiet = quiet
    return server


def serve_in_background(folder: Path, host: str = "127.0.0.1", port: int = 0) -> tuple[SiteServer, str]:
    """Start serving on a thread (tests, benchmarks); (server, base URL).  Stop with ``server.shutdown()``."""
    server = make_server(folder, host, port, quiet=True)
    threading.Thread(target=server.serve_forever, name="geoscrub-web", daemon=True).start()
    return server, url_of(server)


def url_of(server: SiteServer) -> str:
    host, port = server.server_address[:2]
    shown = str(host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
