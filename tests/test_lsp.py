"""The schema in a real editor: yaml-language-server (what VS Code's YAML extension runs).

The server is driven over stdio with JSON-RPC, as an editor does.  .ci/run installs
it from npm into .cache/lsp; NIANBAO_YAML_LS names another server binary.  Without
node or the server the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .support import ROOT

SCHEMA = ROOT / "schema" / "report.schema.json"
PATH = "表三 › （三）不予公开 › 4.保护第三方合法权益"


def _server() -> Path | None:
    named = os.environ.get("NIANBAO_YAML_LS")
    candidates = [Path(named)] if named else []
    candidates.append(ROOT / ".cache" / "lsp" / "node_modules" / ".bin" / "yaml-language-server")
    found = shutil.which("yaml-language-server")
    candidates += [Path(found)] if found else []
    return next((c for c in candidates if c.is_file()), None)


class Client:
    """A minimal LSP client: Content-Length framing, answers the server's own requests."""

    def __init__(self, server: Path) -> None:
        self.proc = subprocess.Popen(
            [str(server), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.next_id = 0
        self.replies: dict[int, Any] = {}
        self.notes: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(out.read(length))
            if "id" in message and "method" in message:  # the server asks (configuration …)
                items = message.get("params", {}).get("items", [])
                self._send({"id": message["id"], "result": [None] * len(items) or None})
                continue
            with self.changed:
                if "id" in message:
                    self.replies[message["id"]] = message
                else:
                    self.notes.append(message)
                self.changed.notify_all()

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        ident = self.next_id
        self._send({"id": ident, "method": method, "params": params})
        with self.changed:
            assert self.changed.wait_for(lambda: ident in self.replies, timeout=60), method
        return self.replies.pop(ident).get("result")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        """The first non-empty diagnostics published for ``uri``."""

        def published() -> list[dict[str, Any]] | None:
            for n in self.notes:
                p = n.get("params", {})
                mine = n.get("method") == "textDocument/publishDiagnostics" and p.get("uri") == uri
                if mine and p.get("diagnostics"):
                    return list(p["diagnostics"])
            return None

        with self.changed:
            assert self.changed.wait_for(lambda: published() is not None, timeout=60)
        return published() or []

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


DOC = f"""\
# yaml-language-server: $schema={SCHEMA.as_uri()}
agency: 测试局
year: 2024
applications:
  withheld:
    third_party:
      natural_person: 很多
{" " * 6}
"""


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, str]]:
    server = _server()
    if shutil.which("node") is None:
        pytest.skip("node 未安装：无法运行 yaml-language-server")
    if server is None:
        pytest.skip("没有 yaml-language-server（.ci/run 用 npm 安装到 .cache/lsp）")
    folder = tmp_path_factory.mktemp("lsp")
    doc = folder / "2024.yaml"
    doc.write_text(DOC, encoding="utf-8")
    client = Client(server)
    try:
        client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": folder.as_uri(),
                "capabilities": {
                    "textDocument": {
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "completion": {"completionItem": {"documentationFormat": ["markdown"]}},
                    }
                },
            },
        )
        client.notify("initialized", {})
        settings = {"yaml": {"validate": True, "hover": True, "completion": True}}
        client.notify("workspace/didChangeConfiguration", {"settings": settings})
        uri = doc.as_uri()
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": DOC}},
        )
        yield client, uri
    finally:
        client.close()


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_hover_shows_the_official_label_path(opened: tuple[Client, str]) -> None:
    client, uri = opened
    where = {"textDocument": {"uri": uri}, "position": {"line": 5, "character": 6}}
    hover = client.request("textDocument/hover", where)
    assert PATH in _text(hover), hover


def test_completion_shows_the_official_label(opened: tuple[Client, str]) -> None:
    """Completing below 4.保护第三方合法权益 offers its columns with their label paths."""
    client, uri = opened
    result = client.request(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": 7, "character": 6}},
    )
    items = result["items"] if isinstance(result, dict) else result
    business = next(i for i in items if i["label"] == "business")
    if "documentation" not in business:
        business = client.request("completionItem/resolve", business)
    assert f"{PATH} › 商业企业" in _text(business), business


def test_a_string_in_a_count_field_gets_a_chinese_message(opened: tuple[Client, str]) -> None:
    client, uri = opened
    messages = [d["message"] for d in client.diagnostics(uri)]
    assert "“自然人”应为不小于 0 的整数（件数）" in messages, messages
