"""Importing DOCX: merged cells read once from gridSpan/vMerge; runs, links and lists kept."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from generator.importer import import_file, read_document
from generator.importer.document import SourceTable
from generator.importer.yaml_out import to_yaml
from generator.spec import get_format

from . import import_fixtures as F

RECEIVED = ("applications", "received", "natural_person")


def _docx(tmp_path: Path, **kw: object) -> Path:
    return F.to_docx(F.report(**kw), tmp_path / "report.docx")  # type: ignore[arg-type]


def test_every_cell_of_every_official_table_is_found(tmp_path: Path) -> None:
    values = {cell: str(i + 1) for i, cell in enumerate(get_format("2021").cells)}
    imported = import_file(_docx(tmp_path, values=values))
    assert not imported.missing
    assert {p: imported.figure(p).printed for p in values} == values


def test_a_merged_cell_is_one_cell_with_its_spans(tmp_path: Path) -> None:
    path = _docx(tmp_path)
    doc = read_document(path, path.read_bytes())
    t3 = [t for t in doc.tables() if isinstance(t, SourceTable)][1]
    results = [
        c for c in t3.cells if c.text == get_format("2021").tables["applications"].rows[2].label
    ]
    assert len(results) == 1
    assert results[0].rowspan == 22 and results[0].colspan == 1
    corner = t3.cells[0]
    assert (corner.rowspan, corner.colspan) == (3, 3)


def test_blank_cells_and_local_labels(tmp_path: Path) -> None:
    imported = import_file(
        _docx(tmp_path, values={RECEIVED: ""}, labels={"行政规范性文件": "规范性文件"})
    )
    assert imported.figure(RECEIVED).kind == "blank"
    assert any("规范性文件" in m for m in imported.tables.mappings)
    assert not imported.missing


def test_bold_run_in_heads_links_and_list_items_become_narrative_markup(tmp_path: Path) -> None:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml.ns import qn
    from docx.oxml.shared import OxmlElement

    rep = F.report()
    path = F.to_docx(rep, tmp_path / "r.docx")
    document = docx.Document(str(path))
    target = next(p for p in document.paragraphs if p.text == "全年主动公开政府信息120条。")
    target.text = ""
    target.add_run("一是强化组织。").bold = True
    target.add_run("见")
    rid = document.part.relate_to(
        "https://example.gov.cn/", RELATIONSHIP_TYPE.HYPERLINK, is_external=True
    )
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "门户网站"
    run.append(text)
    link.append(run)
    target._p.append(link)
    document.save(str(path))
    imported = import_file(path)
    assert imported.narrative("overview", "proactive") == (
        "**一是强化组织。**见[门户网站](https://example.gov.cn/)"
    )


def test_text_with_markup_characters_is_escaped(tmp_path: Path) -> None:
    import docx

    path = F.to_docx(F.report(), tmp_path / "r.docx")
    document = docx.Document(str(path))
    target = next(p for p in document.paragraphs if p.text == "全年主动公开政府信息120条。")
    target.text = "- 注意 **星号** 与 {{ year }} 和 [括号](javascript:alert(1))"
    document.save(str(path))
    text = to_yaml(import_file(path))
    outcome = F.validate_text(text)
    report = getattr(outcome, "report", None)
    assert report is not None, [d.format() for d in getattr(outcome, "errors", [])]
    from generator import narrative

    assert narrative.plain_text(report.narrative[("overview", "proactive")]) == (
        "- 注意 **星号** 与 {{ year }} 和 [括号](javascript:alert(1))"
    )


def test_python_docx_would_repeat_a_merged_cell_but_the_reader_does_not(tmp_path: Path) -> None:
    import docx

    path = _docx(tmp_path)
    t3 = docx.Document(str(path)).tables[1]
    repeated = [c.text for c in t3.rows[3].cells]
    assert repeated[0] == repeated[1] == repeated[2]  # python-docx: one label, three times
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        assert b"w:vMerge" in z.read("word/document.xml")
