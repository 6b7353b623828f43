"""The preview's HTTP server: standard library only, on 127.0.0.1, reading only the output folder.

Requests are mapped to files by :func:`route`, a pure function of the snapshot and
the request target, so what may be read is decided in one place: a URL path is
decoded once, split into names, and refused when a name is empty, ``.``, ``..``,
hidden, holds a drive colon, a backslash or NUL.  The file is then opened below the
resolved output folder with no symbolic link followed on the way (the build never
makes links there), and only the kinds nianbao writes (and PDFs) are served.
"""

from __future__ import annotations

import errno
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import UsageError
from ..output import read_regular, real_dirs_below
from .pages import EVENTS, diagnostics_page, index_page, inject, not_found_page
from .site import Site, Snapshot

__all__ = ["HOST", "Page", "PreviewServer", "bind", "route", "sse_frame"]

HOST = "127.0.0.1"
"""Only this machine: a draft report is not for the local network."""
FIRST_PORT = 8000
_TRIES = 100
_LIMIT = 256 * 1024 * 1024
_HEARTBEAT = 15.0
"""Seconds between keep-alive comments on the event stream (a closed tab is noticed)."""

_TYPES = {
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
}
_HTML = _TYPES["html"]
_IN_USE = {errno.EADDRINUSE, 10048}  # 10048: WSAEADDRINUSE
if sys.platform == "win32":
    _IN_USE.add(10013)  # WSAEACCES: another program holds the port for itself


@dataclass(frozen=True, slots=True)
class Page:
    """A response: status, content type and body (empty for the event stream)."""

    status: int
    content_type: str = "text/plain; charset=utf-8"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool = False


def _text(status: int, message: str) -> Page:
    return Page(status, body=f"{message}\n".encode())


def route(snap: Snapshot, target: str) -> Page:
    """What a GET of ``target`` (the request line's path) answers, without touching sockets."""
    path = urlsplit(target).path
    if "\0" in target or "\\" in target or not path.startswith("/"):
        return _text(400, "请求路径无效")
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return _text(400, "请求路径不是 UTF-8")
    if "\0" in decoded or "\\" in decoded:
        return _text(400, "请求路径无效")
    if decoded in ("/", "/index.html"):
        return Page(200, _HTML, index_page(snap))
    if decoded == EVENTS:
        return Page(200, "text/event-stream; charset=utf-8", stream=True)
    names = decoded[1:].split("/")
    if any(not n or n in (".", "..") or n.startswith(".") or ":" in n for n in names):
        return Page(404, _HTML, not_found_page(snap))
    entry = snap.pages.get(decoded)
    if entry is not None and entry.failed:
        return Page(200, _HTML, diagnostics_page(entry, snap))
    suffix = names[-1].rpartition(".")[2].lower()
    data = _read(snap, names) if suffix in _TYPES and "." in names[-1] else None
    if data is None:
        return Page(404, _HTML, not_found_page(snap))
    if suffix == "html":
        data = inject(data, snap, entry)
    return Page(200, _TYPES[suffix], data)


def _read(snap: Snapshot, names: list[str]) -> bytes | None:
    """The bytes of a regular file below the output folder, reached through real folders only."""
    target = snap.outdir.joinpath(*names)
    if not real_dirs_below(snap.outdir, target.parent):
        return None
    return read_regular(target, _LIMIT)


def sse_frame(event: str, data: str) -> bytes:
    """One server-sent event; every line of ``data`` gets its own ``data:`` field."""
    lines = [f"event: {event}"] + [f"data: {line}" for line in data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    """GET and HEAD only; every other method is refused by the base class (501)."""

    server: PreviewServer
    server_version = "nianbao"
    sys_version = ""
    timeout = 30.0

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: authors watch their editor and the page, not a request log."""

    def _answer(self, *, head: bool) -> None:
        if not self._host_allowed():
            page = _text(403, "只接受 127.0.0.1 或 localhost 上的请求")
        else:
            page = route(self.server.site.snapshot, self.path)
        try:
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            if page.stream:
                self.end_headers()
                if not head:
                    self._events()
                return
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            if not head:
                self.wfile.write(page.body)
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True  # the browser left: nothing to tell anyone

    def _host_allowed(self) -> bool:
        """Refuse other host names (DNS rebinding: a web page posing as 127.0.0.1)."""
        host = (self.headers.get("Host") or "").strip().lower()
        name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
        return name in ("", HOST, "localhost") and port in ("", str(self.server.server_port))

    def _events(self) -> None:
        """One ``reload`` event with the generation at once, then one per rebuild."""
        self.wfile.write(b"retry: 1000\n\n")
        self.wfile.flush()
        seen: int | None = None
        while True:
            generation = self.server.site.wait_change(seen, _HEARTBEAT)
            if generation is None:
                return
            if generation == seen:
                self.wfile.write(b": keep-alive\n\n")
            else:
                self.wfile.write(sse_frame("reload", str(generation)))
                seen = generation
            self.wfile.flush()


class PreviewServer(ThreadingHTTPServer):
    """A threading server that can end every connection it holds when asked to stop."""

    # On Windows SO_REUSEADDR would let a second server take a port that is in use.
    allow_reuse_address = sys.platform != "win32"
    # Request threads are joined by server_close() (block_on_close), and daemonic so that
    # an interpreter leaving early (a second Ctrl-C) is never held up by an open stream.
    daemon_threads = True
    block_on_close = True

    def __init__(self, port: int, site: Site) -> None:
        self.site = site
        self._open: set[socket.socket] = set()
        self._guard = threading.Lock()
        super().__init__((HOST, port), Handler)

    def track(self, sock: socket.socket, alive: bool) -> None:
        with self._guard:
            (self._open.add if alive else self._open.discard)(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A failing request is that request's problem: one line, no traceback."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            print(f"nianbao: 预览请求失败（{type(exc).__name__}: {exc}）", file=sys.stderr)

    def stop(self) -> None:
        """Stop serving and end every connection, event streams included; returns when
        every request thread has finished."""
        self.site.close()
        self.shutdown()
        with self._guard:
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    continue
        self.server_close()


def bind(site: Site, port: int | None) -> tuple[PreviewServer, str | None]:
    """A server listening on ``port``, or on 8000 or the next free port; and a note when
    the port had to move.  An explicit port that is taken is a usage error (exit 2)."""
    if port is not None:
        if not 0 <= port <= 65535:
            raise UsageError(f"--port {port}: 端口应在 0 到 65535 之间")
        try:
            return PreviewServer(port, site), None
        except OSError as exc:
            if exc.errno in _IN_USE:
                raise UsageError(
                    f"端口 {port} 已被占用（可能另一个 nianbao serve 正在使用它）："
                    "请用 --port 换一个端口，或不加 --port 自动选择空闲端口"
                ) from None
            raise UsageError(f"无法在 {HOST}:{port} 上监听（{exc.strerror}）") from None
    for candidate in range(FIRST_PORT, FIRST_PORT + _TRIES):
        try:
            server = PreviewServer(candidate, site)
        except OSError as exc:
            if exc.errno in _IN_USE:
                continue
            raise UsageError(f"无法在 {HOST}:{candidate} 上监听（{exc.strerror}）") from None
        moved = None if candidate == FIRST_PORT else f"端口 {FIRST_PORT} 已被占用，改用 {candidate}"
        return server, moved
    last = FIRST_PORT + _TRIES - 1
    raise UsageError(f"端口 {FIRST_PORT}–{last} 都已被占用：请用 --port 指定一个端口")
