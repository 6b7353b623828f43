"""PDF and DOC imports, from documents LibreOffice made out of our own DOCX fixtures.

The PDF fixture's narrow columns make LibreOffice break 表三 over pages, with a row cut
in two by the page break: the reader must put it back together.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.importer import Unreadable, import_file
from generator.importer import doc as doc_reader
from generator.spec import get_format

from . import import_fixtures as F

pytestmark = pytest.mark.office
RECEIVED = ("applications", "received", "natural_person")
LOCAL = {"2.其他法律行政法规禁止公开": "2.其他法律行政止公开", "本年废止件数": "本年废纸件数"}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    values = {cell: str(i + 1) for i, cell in enumerate(get_format("2021").cells)}
    values[RECEIVED] = ""
    values[("applications", "granted", "business")] = "-"
    rep = F.report(values=values, labels=LOCAL)
    return F.to_docx(rep, tmp_path_factory.mktemp("office") / "report.docx")


@pytest.fixture(scope="module")
def pdf(source: Path) -> Path:
    return F.convert(source, "pdf")


def _expected() -> dict[tuple[str, ...], str]:
    values = {cell: str(i + 1) for i, cell in enumerate(get_format("2021").cells)}
    values[RECEIVED] = ""
    values[("applications", "granted", "business")] = "-"
    return values


def test_a_pdf_with_tables_across_pages_gives_every_figure(pdf: Path) -> None:
    imported = import_file(pdf)
    assert not imported.missing
    assert {p: imported.figure(p).printed for p in _expected()} == _expected()
    pages = {placed.page for placed in imported.tables.figures.values()}
    assert len(pages) > 1  # the tables really ran over several pages


def test_a_pdf_figure_knows_its_page(pdf: Path) -> None:
    placed = import_file(pdf).tables.figures[RECEIVED]
    assert placed.page is not None and placed.page >= 1


def test_a_doc_is_converted_and_read_like_its_docx(source: Path) -> None:
    legacy = F.convert(source, "doc")
    imported = import_file(legacy)
    assert imported.doc.kind == "doc"
    assert {p: imported.figure(p).printed for p in _expected()} == _expected()


def test_without_libreoffice_a_doc_is_refused_with_what_to_do(
    source: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(doc_reader, "find_soffice", lambda: None)
    legacy = tmp_path / "x.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    with pytest.raises(Unreadable, match="LibreOffice"):
        import_file(legacy)


def _png(width: int = 40, height: int = 20) -> bytes:
    """A small grey PNG, made by hand (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + (chunk(b"IEND", b""))
    )


def test_a_pdf_of_pictures_only_is_refused(tmp_path: Path) -> None:
    import docx

    picture = tmp_path / "table.png"
    picture.write_bytes(_png())
    document = docx.Document()
    document.add_picture(str(picture))
    document.save(str(tmp_path / "scan.docx"))
    scan = F.convert(tmp_path / "scan.docx", "pdf")
    with pytest.raises(Unreadable, match="图片"):
        import_file(scan)


def test_check_on_a_pdf_names_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from generator.cli import main

    rep = F.report(values={("applications", "total", "natural_person"): "5"})
    pdf = F.convert(F.to_docx(rep, tmp_path / "wrong.docx"), "pdf")
    assert main(["check", "--format", "json", str(pdf)]) == 1
    findings = json.loads(capsys.readouterr().out)[0]["findings"]
    located = [f for f in findings if f["table"].startswith("表三") and f["page"]]
    assert located, findings
