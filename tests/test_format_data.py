"""The format data is the single source of truth: its labels, geometry and schema."""

from __future__ import annotations

import json

from generator.layout import table_grid
from generator.schema import schema_json
from generator.spec import all_formats, format_for_year, get_format

from .conftest import ROOT


def grid(table_key: str):  # type: ignore[no-untyped-def]
    table = get_format("2021").tables[table_key]
    return table_grid(table, {c.path: 0 for c in table.cells})


def spans(table_key: str) -> dict[str, tuple[int, int, int, int]]:
    """label → (row, col, rowspan, colspan) of its first occurrence."""
    out: dict[str, tuple[int, int, int, int]] = {}
    for row in grid(table_key).rows:
        for c in row:
            if c.kind != "value":
                out.setdefault(c.text, (c.row, c.col, c.rowspan, c.colspan))
    return out


def test_committed_schema_matches_the_format_data() -> None:
    """schema/report.schema.json is exactly what the format data generates."""
    committed = (ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8")
    assert committed == schema_json(), "run: nianbao schema -o schema/report.schema.json"


def test_schema_is_draft_2020_12_with_a_title_on_every_field() -> None:
    """Editors show the Chinese label of every field."""
    doc = json.loads(schema_json())
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    def walk(node: dict) -> None:  # type: ignore[type-arg]
        for key, sub in node.get("properties", {}).items():
            assert sub.get("title"), key
            walk(sub)

    walk(doc["$defs"]["format-2021"])


def test_years_select_the_2021_format() -> None:
    """Reports for 2021 and later use the 2021 format."""
    assert format_for_year(2021) is get_format("2021")
    assert format_for_year(2030) is get_format("2021")
    assert "2021" in all_formats()


def test_table3_geometry_follows_the_official_table() -> None:
    """表三: 10 columns, 28 rows, 3 header rows, merges as in format.md §2.3."""
    g = grid("applications")
    assert (g.ncols, len(g.rows), g.head) == (10, 28, 3)
    s = spans("applications")
    assert s["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] == (0, 0, 3, 3)
    assert s["申请人情况"] == (0, 3, 1, 7)
    assert s["自然人"] == (1, 3, 2, 1)
    assert s["法人或其他组织"] == (1, 4, 1, 5)
    assert s["总计"] == (1, 9, 2, 1)
    assert s["三、本年度办理结果"] == (5, 0, 22, 1)
    assert s["（三）不予公开"] == (7, 1, 8, 1)
    assert s["（六）其他处理"] == (23, 1, 3, 1)
    assert s["（七）总计"] == (26, 1, 1, 2)
    assert s["四、结转下年度继续办理"] == (27, 0, 1, 3)


def test_table3_labels_use_the_official_characters() -> None:
    """Full-width brackets, curly quotes and ASCII '1.' exactly as printed."""
    labels = set(spans("applications"))
    assert "3.危及“三安全一稳定”" in labels
    assert "（二）部分公开（区分处理的，只计这一情形，不计其他情形）" in labels
    assert "2.其他法律行政法规禁止公开" in labels


def test_table3_has_21_outcome_rows_summed_into_the_total() -> None:
    """（七）总计 is the sum of the 21 leaf outcome rows, per column."""
    table = get_format("2021").tables["applications"]
    rule = next(r for r in table.sums if r.target == ("applications", "total", "business"))
    assert len(rule.operands) == 21


def test_table4_has_a_three_level_header() -> None:
    """表四: 15 columns; 行政复议 over 5, 行政诉讼 over 10, two groups of 5."""
    g = grid("review_litigation")
    assert (g.ncols, len(g.rows), g.head) == (15, 4, 3)
    s = spans("review_litigation")
    assert s["行政复议"] == (0, 0, 1, 5)
    assert s["行政诉讼"] == (0, 5, 1, 10)
    assert s["结果维持"] == (1, 0, 2, 1)
    assert s["未经复议直接起诉"] == (1, 5, 1, 5)
    assert s["复议后起诉"] == (1, 10, 1, 5)


def test_table2_blocks_span_the_grid() -> None:
    """表二: 第二十条 rows span 4 columns; single-value columns span 3."""
    g = grid("proactive_disclosure")
    assert (g.ncols, len(g.rows)) == (4, 14)
    s = spans("proactive_disclosure")
    assert s["第二十条第（一）项"] == (0, 0, 1, 4)
    assert s["本年处理决定数量"] == (5, 1, 1, 3)
    assert s["本年收费金额（单位：万元）"] == (12, 1, 1, 3)
