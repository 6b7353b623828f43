"""Importing a saved portal page: the article body, spans, split labels, blanks, local wordings."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from generator.importer import Imported, Unreadable, import_file
from generator.importer.yaml_out import to_yaml
from generator.spec import get_format

from . import import_fixtures as F

RECEIVED = ("applications", "received", "natural_person")
GRANTED = ("applications", "granted", "business")
LOCAL = {
    "2.其他法律行政法规禁止公开": "2.其他法律行政止公开",
    "本年废止件数": "本年废纸件数",
    "行政规范性文件": "规范性文件",
    "1.属于国家秘密": "1、属于国家秘密",
}


def _page(tmp_path: Path, rep: F.Report, name: str = "page.html", **kw: bool) -> Path:
    path = tmp_path / name
    path.write_text(F.to_html(rep, **kw), "utf-8")
    return path


def _import(tmp_path: Path, **kw: object) -> Imported:
    return import_file(_page(tmp_path, F.report(**kw)))  # type: ignore[arg-type]


def test_every_cell_of_every_official_table_is_found(tmp_path: Path) -> None:
    values = {cell: str(i + 1) for i, cell in enumerate(get_format("2021").cells)}
    imported = _import(tmp_path, values=values)
    assert not imported.missing
    assert {p: imported.figure(p).printed for p in values} == values


def test_labels_split_over_paragraphs_with_nbsp_match_like_whole_ones(tmp_path: Path) -> None:
    rep = F.report(values={RECEIVED: "3"})
    split = import_file(_page(tmp_path, rep, "a.html", split_labels=True))
    whole = import_file(_page(tmp_path, rep, "b.html", split_labels=False))
    assert split.figure(RECEIVED).printed == whole.figure(RECEIVED).printed == "3"
    assert not split.missing and not whole.missing


def test_a_blank_cell_is_blank_not_zero(tmp_path: Path) -> None:
    imported = _import(tmp_path, values={RECEIVED: ""})
    assert imported.figure(RECEIVED).kind == "blank"
    assert "received: {natural_person: null," in to_yaml(imported)


@pytest.mark.parametrize("dash", ["-", "/", "—", "－"])
def test_a_dash_is_kept_as_printed(tmp_path: Path, dash: str) -> None:
    imported = _import(tmp_path, values={GRANTED: dash})
    assert imported.figure(GRANTED).printed == dash
    assert f'business: "{dash}"' in to_yaml(imported)


def test_a_figure_with_its_unit_is_kept_as_a_string(tmp_path: Path) -> None:
    path = ("proactive_disclosure", "procurement", "amount")
    imported = _import(tmp_path, format_id="2019", year=2020, values={path: "251000元"})
    assert imported.figure(path).printed == "251000元"
    assert 'amount: "251000元"' in to_yaml(imported)


def test_an_amount_keeps_its_printed_decimals(tmp_path: Path) -> None:
    imported = _import(tmp_path, values={("proactive_disclosure", "fees"): "18651.060"})
    assert "  fees: 18651.060\n" in to_yaml(imported)


def test_local_wordings_and_typos_map_to_the_official_cells_and_are_reported(
    tmp_path: Path,
) -> None:
    path = ("applications", "withheld", "prohibited_by_law", "natural_person")
    values = {path: "7", ("proactive_disclosure", "normative_documents", "repealed"): "2"}
    imported = _import(tmp_path, values=values, labels=LOCAL)
    assert not imported.missing
    assert imported.figure(path).printed == "7"
    assert (
        imported.figure(("proactive_disclosure", "normative_documents", "repealed")).printed == "2"
    )
    said = "\n".join(imported.tables.mappings)
    for official, printed in LOCAL.items():
        if printed != "1、属于国家秘密":  # the same label once numbering is normalized
            assert f"“{printed}” → {official}" in said
    assert "2.其他法律行政止公开" in to_yaml(imported)


def test_a_note_under_a_table_is_kept_not_read_as_a_row(tmp_path: Path) -> None:
    note = "注：行政复议、行政诉讼数量含上年度结转数量。"
    imported = _import(tmp_path, notes={"review_litigation": note})
    assert imported.tables.notes == {"review_litigation": [note]}
    assert not imported.tables.unplaced and not imported.missing
    assert note in to_yaml(imported)


def test_agency_year_and_date_come_from_the_title_and_signature(tmp_path: Path) -> None:
    imported = _import(tmp_path, agency="某县交通运输局", year=2023)
    assert (imported.meta.agency, imported.meta.year, imported.meta.published) == (
        "某县交通运输局",
        2023,
        "2024-01-20",
    )


def test_the_2019_format_is_chosen_by_the_year(tmp_path: Path) -> None:
    imported = _import(tmp_path, format_id="2019", year=2020)
    assert imported.fmt.id == "2019"
    assert not imported.missing


def test_the_narrative_goes_to_its_sections_and_parts(tmp_path: Path) -> None:
    imported = _import(tmp_path)
    assert imported.narrative("overview", "proactive") == "全年主动公开政府信息120条。"
    assert imported.narrative("problems", "text").startswith("信息发布还不够及时")
    assert imported.narrative("other_matters", "text") == "无"


def test_the_yaml_names_its_source_and_hash_and_validates(tmp_path: Path) -> None:
    page = _page(tmp_path, F.report())
    text = to_yaml(import_file(page))
    assert hashlib.sha256(page.read_bytes()).hexdigest() in text.splitlines()[1]
    outcome = F.validate_text(text)
    assert getattr(outcome, "ok", False), [d.format() for d in getattr(outcome, "errors", [])]


def test_text_outside_the_sections_is_kept_in_a_marked_part(tmp_path: Path) -> None:
    html = F.to_html(F.report()).replace(
        "<div class=TRS_Editor>", "<div class=TRS_Editor><p>本报告依据《条例》编制。</p>"
    )
    page = tmp_path / "p.html"
    page.write_text(html, "utf-8")
    text = to_yaml(import_file(page))
    assert "【未归入】" in text and "本报告依据《条例》编制。" in text


def test_a_gbk_page_is_read(tmp_path: Path) -> None:
    html = F.to_html(F.report()).replace("<head>", '<head><meta charset="gbk">')
    page = tmp_path / "gbk.html"
    page.write_bytes(html.encode("gbk"))
    assert not import_file(page).missing


def test_a_page_with_only_an_attachment_is_refused_naming_it(tmp_path: Path) -> None:
    page = tmp_path / "att.html"
    page.write_text(
        "<html><body><div class=TRS_Editor><p>某局2020年政府信息公开工作年度报告</p></div>"
        "<a href='./report.doc'>某局2020年政府信息公开工作年度报告.doc</a></body></html>",
        "utf-8",
    )
    with pytest.raises(Unreadable, match=r"附件 \./report\.doc"):
        import_file(page)


def test_a_page_whose_tables_are_pictures_is_refused(tmp_path: Path) -> None:
    html = F.to_html(F.report())
    start, end = html.index("<table"), html.rindex("</table>") + len("</table>")
    page = tmp_path / "img.html"
    page.write_text(html[:start] + "<p><img src='t.png'></p>" + html[end:], "utf-8")
    with pytest.raises(Unreadable, match="图片"):
        import_file(page)


def test_tables_split_per_block_are_read_like_one(tmp_path: Path) -> None:
    rep = F.report(values={("proactive_disclosure", "licensing"): "9"})
    _, t2 = rep.grids[0]
    blocks, current = [], []  # one <table> per 第二十条 block, as some portals print it
    for row in t2:
        if len(row) == 1 and current:
            blocks.append(current)
            current = []
        current.append(row)
    blocks.append(current)
    heading = rep.grids[0][0]
    rep.grids[0:1] = [(heading if i == 0 else "", grid) for i, grid in enumerate(blocks)]
    imported = import_file(_page(tmp_path, rep))
    assert not imported.missing
    assert imported.figure(("proactive_disclosure", "licensing")).printed == "9"


def test_an_extra_local_row_is_kept_not_mistaken_for_an_official_one(tmp_path: Path) -> None:
    rep = F.report()
    _, t2 = rep.grids[0]
    t2.insert(4, [("其他主动公开文件", 1, 1), ("3", 1, 1), ("0", 1, 1), ("8", 1, 1)])
    imported = import_file(_page(tmp_path, rep))
    assert not imported.missing
    assert any("其他主动公开文件" in row for row in imported.tables.unplaced)
    assert "其他主动公开文件" in to_yaml(imported).split("【未归入】")[1]


def test_a_category_printed_as_one_row_goes_to_its_last_sub_row(tmp_path: Path) -> None:
    one = {
        ("applications", row, col): "1"
        for row in ("received", "total")
        for col in ("natural_person", "total")
    }
    rep = F.report(values=one)
    _, t3 = rep.grids[1]
    results_node = get_format("2021").tables["applications"].rows[2]  # 三、本年度办理结果
    group = results_node.children[5]  # （六）其他处理
    start = next(i for i, row in enumerate(t3) if row[0][0] == group.label)
    values = [(str(n), 1, 1) for n in (1, 0, 0, 0, 0, 0, 1)]
    t3[start : start + len(group.children)] = [[(group.label, 1, 2), *values]]
    results = next(i for i, row in enumerate(t3) if row[0][0] == results_node.label)
    text, rows, cols = t3[results][0]
    t3[results][0] = (text, rows - len(group.children) + 1, cols)
    imported = import_file(_page(tmp_path, rep))
    assert not imported.missing
    assert imported.figure(("applications", "other_handling", "other", "total")).printed == "1"
    yaml_text = to_yaml(imported)
    assert "merged_rows: [other_handling]" in yaml_text
    assert "no_correction:" not in yaml_text
    outcome = F.validate_text(yaml_text)
    assert getattr(outcome, "ok", False), [d.format() for d in getattr(outcome, "errors", [])]


def test_local_wordings_extra_rows_and_notes_are_written_under_local(tmp_path: Path) -> None:
    rep = F.report(
        labels={"行政规范性文件": "规范性文件"}, notes={"review_litigation": "注：含上年度结转。"}
    )
    rep.grids[0][1].insert(4, [("其他主动公开文件", 1, 1), ("3", 1, 1), ("0", 1, 1), ("8", 1, 1)])
    local = to_yaml(import_file(_page(tmp_path, rep))).split("\nlocal:\n")[1]
    assert 'rows: {normative_documents: "规范性文件"}' in local
    assert (
        '- {after: normative_documents, label: "其他主动公开文件", '
        "values: {issued: 3, repealed: 0, in_force: 8}}"
    ) in local
    assert 'notes: ["注：含上年度结转。"]' in local


def test_yaml_with_blank_dash_and_local_variants_validates(tmp_path: Path) -> None:
    rep = F.report(
        values={RECEIVED: "", GRANTED: "-"},
        labels=LOCAL,
        notes={"review_litigation": "注：行政复议、行政诉讼数量含上年度结转数量。"},
    )
    rep.grids[0][1].insert(4, [("其他主动公开文件", 1, 1), ("3", 1, 1), ("0", 1, 1), ("8", 1, 1)])
    outcome = F.validate_text(to_yaml(import_file(_page(tmp_path, rep))))
    assert getattr(outcome, "ok", False), [d.format() for d in getattr(outcome, "errors", [])]
    codes = {d.code for d in getattr(outcome, "warnings", [])}
    assert codes, "a blank and a dash that the rules read are warnings"


def test_yaml_with_unreadable_cells_validates_with_warnings(tmp_path: Path) -> None:
    html = F.to_html(F.report())
    start = html.index("<p><span>四、")
    end = html.index("</table>", start) + len("</table>")
    page = tmp_path / "no-t4.html"
    page.write_text(html[:start] + html[end:], "utf-8")
    outcome = F.validate_text(to_yaml(import_file(page)))
    assert getattr(outcome, "ok", False), [d.format() for d in getattr(outcome, "errors", [])]
    assert any("UNREADABLE" in d.code for d in getattr(outcome, "warnings", []))
