"""Hostile sources for import and check: bounded time and memory, exit 2, never a traceback."""

from __future__ import annotations

import io
import os
import sys
import time
import zipfile
from pathlib import Path

import pytest

from generator.cli import main

from . import import_fixtures as F

LIMIT_SECONDS = 20


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    start = time.monotonic()
    code = main(list(args))
    elapsed = time.monotonic() - start
    out = capsys.readouterr()
    text = out.out + out.err
    assert elapsed < LIMIT_SECONDS, f"took {elapsed:.1f} s"
    assert "Traceback" not in text and "内部错误" not in text, text
    return code, text


def _docx_with(document_xml: bytes, tmp_path: Path, name: str = "x.docx") -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", document_xml)
    path = tmp_path / name
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.parametrize("command", ["import", "check"])
def test_a_zip_bomb_is_refused_before_it_is_inflated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    bomb = _docx_with(b"<a>" + b" " * (80 * 1024 * 1024) + b"</a>", tmp_path)
    assert bomb.stat().st_size < 1024 * 1024
    code, text = _run(
        capsys, command, str(bomb), *(["-o", str(tmp_path)] if command == "import" else [])
    )
    assert code == 2 and "压缩炸弹" in text


def test_an_xlsx_zip_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = _docx_with(b"<a>" + b"0" * (80 * 1024 * 1024) + b"</a>", tmp_path, "x.xlsx")
    code, text = _run(capsys, "import", str(bomb), "-o", str(tmp_path))
    assert code == 2 and "压缩炸弹" in text


def test_an_external_entity_is_never_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", "utf-8")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    code, text = _run(capsys, "import", str(_docx_with(xml, tmp_path)), "-o", str(tmp_path / "o"))
    assert code == 2
    assert "TOP-SECRET-VALUE" not in text
    assert not list((tmp_path / "o").rglob("*.yaml")) if (tmp_path / "o").exists() else True


def test_billion_laughs_stay_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE d [{entities}]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&a9;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    code, _ = _run(capsys, "import", str(_docx_with(xml, tmp_path)), "-o", str(tmp_path))
    assert code == 2


def test_a_huge_html_table_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join('<tr><td rowspan="65534" colspan="1000">1</td></tr>' for _ in range(50))
    page = tmp_path / "huge.html"
    page.write_text(
        f"<html><body><div><p>一、总体情况</p><p>二、主动公开政府信息情况</p><table>{rows}</table></div></body></html>",
        "utf-8",
    )
    code, text = _run(capsys, "import", str(page), "-o", str(tmp_path))
    assert code == 2 and "过大" in text


def test_deeply_nested_html_is_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "deep.html"
    body = F.to_html(F.report())
    page.write_text(
        body.replace("<div class=TRS_Editor>", "<div>" * 100_000 + "<div class=TRS_Editor>"),
        "utf-8",
    )
    code, _ = _run(capsys, "import", str(page), "-o", str(tmp_path))
    assert code in (0, 2)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n%%EOF"),
        ("garbage.pdf", os.urandom(4096)),
        ("truncated.docx", b"PK\x03\x04" + os.urandom(200)),
        ("garbage.xlsx", os.urandom(1000)),
        ("empty.html", b""),
        ("notes.txt", "某局2022年政府信息公开工作年度报告".encode()),
    ],
)
def test_a_damaged_or_unsupported_source_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes
) -> None:
    source = tmp_path / name
    source.write_bytes(data)
    for command in (["import", str(source), "-o", str(tmp_path / "o")], ["check", str(source)]):
        code, text = _run(capsys, *command)
        assert code == 2
        assert name in text


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_is_refused_without_blocking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    code, text = _run(capsys, "import", str(fifo), "-o", str(tmp_path))
    assert code == 2 and "不是普通文件" in text


def test_an_agency_name_cannot_lead_the_output_outside_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "p.html"
    page.write_text(F.to_html(F.report()), "utf-8")
    out = tmp_path / "out"
    code, _ = _run(capsys, "import", str(page), "-o", str(out), "--agency", "../../escape")
    assert code == 0
    written = list(tmp_path.rglob("*.yaml"))
    assert len(written) == 1 and out in written[0].parents
