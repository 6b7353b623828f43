"""Helpers for the ``nianbao serve`` tests: a serve child process and a DevTools client.

The standard library has no WebSocket client, so Chromium is driven through a small
one written here (RFC 6455: the opening handshake, masked text frames out, text and
control frames in), enough for the DevTools protocol's JSON messages.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .support import CHROMIUM, ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
WAIT = 60.0
"""Seconds any awaited condition may take before the test fails (a safety bound)."""

T = TypeVar("T")

REPORT = """\
agency: 测试局
year: 2022
overview:
  summary: 本年度工作情况如下。
proactive_disclosure:
  licensing: {licensing}
problems:
  text: 信息发布还不够及时，下一步将加强培训。
other_matters:
  text: 无
"""
"""A valid report whose 表二 行政许可 figure is easy to find and to change."""


def write_report(repo: Path, licensing: object, agency: str = "test-agency") -> Path:
    path = repo / "reports" / agency / "2022.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(REPORT.format(licensing=licensing)), encoding="utf-8")
    return path


def wait_until(condition: Callable[[], T | None], what: str, timeout: float = WAIT) -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


class ServeProcess:
    """``python -m generator serve --port 0`` in a reports repository, its stderr in a file."""

    def __init__(self, repo: Path, *args: str, port: str = "0") -> None:
        self.log = repo.parent / f"serve-{repo.name}.log"
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "generator", "serve", "--port", port, *args],
                cwd=repo,
                env=ENV,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.url = ""

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def started(self) -> str:
        """The URL serve prints once it listens; fails if serve exits first."""

        def url() -> str | None:
            found = re.search(r"正在预览：(http://127\.0\.0\.1:\d+/)", self.text())
            if found is None and self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}: {self.text()}")
            return found.group(1) if found else None

        self.url = wait_until(url, "serve to listen")
        return self.url

    def stop(self) -> int:
        """Ctrl-C (SIGINT) and the exit code; killed if it does not end in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("serve did not stop on SIGINT") from None
        return self.proc.returncode

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ------------------------------------------------------------------ WebSocket and DevTools

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3


class WebSocket:
    """A blocking WebSocket client for one ``ws://127.0.0.1:port/path`` connection."""

    def __init__(self, port: int, path: str, timeout: float = WAIT) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        fields = dict(
            line.split(":", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ":" in line
        )
        headers = {name.strip().lower(): value.strip() for name, value in fields.items()}
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        assert headers.get("sec-websocket-accept") == accept, head

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the browser closed the DevTools connection")
        self.buffer += chunk

    def _exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack(">BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack(">BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack(">BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)  # a client masks every frame
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def send(self, text: str) -> None:
        self._frame(0x1, text.encode("utf-8"))

    def recv(self) -> str:
        """The next text message, fragments joined; pings are answered on the way."""
        message = b""
        while True:
            first, second = self._exact(2)
            n = second & 0x7F
            if n == 126:
                (n,) = struct.unpack(">H", self._exact(2))
            elif n == 127:
                (n,) = struct.unpack(">Q", self._exact(8))
            mask = self._exact(4) if second & 0x80 else b""
            data = self._exact(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("the browser closed the DevTools connection")
            if opcode == 0x9:
                self._frame(0xA, data)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += data
                if first & 0x80:
                    return message.decode("utf-8")

    def close(self) -> None:
        self.sock.close()


class DevToolsError(Exception):
    """The browser answered a command with an error (e.g. the page is navigating)."""


class Chromium:
    """A headless Chromium with its own profile, driven through the DevTools protocol."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        active = profile / "DevToolsActivePort"  # Chromium writes its port and path here
        lines = wait_until(lambda: _lines(active), "Chromium's DevTools port")
        self.ws = WebSocket(int(lines[0]), lines[1])
        self.ids = itertools.count(1)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == ident:  # events and other replies are not waited for
                if "error" in reply:
                    raise DevToolsError(reply["error"].get("message", reply["error"]))
                return reply.get("result", {})

    def open(self, url: str) -> str:
        """A new tab at ``url``; its session id for :meth:`evaluate`."""
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        session: str = attached["sessionId"]
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression in the tab; None while it is (re)loading."""
        try:
            done = self.call(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session
            )
        except DevToolsError:
            return None
        if "exceptionDetails" in done:
            return None
        return done.get("result", {}).get("value")

    def close(self) -> None:
        with contextlib.suppress(OSError, DevToolsError):
            self.call("Browser.close")
        self.ws.close()
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _lines(path: Path) -> list[str] | None:
    try:
        lines = path.read_text(encoding="utf-8").split()
    except OSError:
        return None
    return lines if len(lines) >= 2 else None
