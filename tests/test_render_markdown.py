"""The Markdown renderer: pipe tables that keep every label, and diff-friendly text.

Output is read back with markdown-it-py (CommonMark plus GitHub tables), the way
GitHub and GitLab would show it.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from generator import narrative
from generator.layout import Grid, GridCell, format_value, table_grid
from generator.model import Report
from generator.render import RenderOptions, get_renderer
from generator.render._jinja import environment
from generator.render.markdown import RENDERER, PipeTable, pipe_tables
from generator.source import loads
from generator.spec import Node, Table
from generator.validate import check_source

from .conftest import SEED, example_reports, report_of

EXAMPLES = example_reports()
CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

md = MarkdownIt("commonmark").enable("table")


def render(report: Report, options: RenderOptions | None = None) -> str:
    data = RENDERER.render(report, options or RenderOptions())
    return data.decode("utf-8")


def tables(text: str) -> list[list[list[str]]]:
    """Every pipe table as parsed by markdown-it: a list of rows of cell texts."""
    tokens = md.parse(text)
    out: list[list[list[str]]] = []
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            out.append([])
        elif token.type == "tr_open":
            out[-1].append([])
        elif token.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            out[-1][-1].append(md.renderInline(token.content).replace("&quot;", '"'))
    return out


def labels(nodes: tuple[Node, ...]) -> list[str]:
    return [x for n in nodes for x in [n.label, *labels(n.children)]]


def official_labels(table: Table) -> list[str]:
    """Every label the official table prints: headers, row labels, block titles, notes."""
    found = labels(table.columns) + labels(table.rows)
    for block in table.blocks:
        found += [block.title, *labels(block.columns), *labels(block.rows)]
    return found + [x for x in (table.corner, table.stub) if x]


@pytest.fixture(scope="module")
def seed_md(seed: Report) -> str:
    return render(seed)


# --------------------------------------------------------------------------- tables


def test_tables_render_as_html_tables(seed_md: str) -> None:
    """Six pipe tables (表二's four blocks, 表三, 表四) become six <table>s."""
    assert md.render(seed_md).count("<table>") == 6


def test_each_table_is_introduced_by_its_title(seed_md: str) -> None:
    """Each official table starts with its number and name as a bold line."""
    assert re.findall(r"^\*\*(表.+)\*\*$", seed_md, re.MULTILINE) == [
        "表二 主动公开政府信息情况",
        "表三 收到和处理政府信息公开申请情况",
        "表四 政府信息公开行政复议、行政诉讼情况",
    ]


def test_table_two_has_one_table_per_block(seed_md: str) -> None:
    """Each 第二十条 block of 表二 is a bold line followed by its own table."""
    blocks = re.findall(r"^\*\*(第二十条.+)\*\*\n\n\| (.+) \|$", seed_md, re.MULTILINE)
    assert blocks == [
        ("第二十条第（一）项", "信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数"),
        ("第二十条第（五）项", "信息内容 | 本年处理决定数量"),
        ("第二十条第（六）项", "信息内容 | 本年处理决定数量"),
        ("第二十条第（八）项", "信息内容 | 本年收费金额（单位：万元）"),
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_official_label_is_kept(path: Path) -> None:
    """Every label of every table appears whole in some table cell (a column header may
    add its unit: 采购总金额（单位：元）)."""
    report = report_of(path)
    cells = [
        part for t in tables(render(report)) for row in t for c in row for part in c.split(" / ")
    ]
    titles = re.findall(r"^\*\*(.+)\*\*$", render(report), re.MULTILINE)
    for table in report.format.tables.values():
        for label in official_labels(table):
            whole = any(c == label or c.startswith(f"{label}（单位：") for c in cells)
            assert whole or label in titles, label


def test_table_three_headers_are_label_paths(seed_md: str) -> None:
    """表三's columns are headed by their path from 申请人情况; the corner note heads the labels."""
    t3 = tables(seed_md)[4]
    assert t3[0] == [
        CORNER,
        "申请人情况 / 自然人",
        "申请人情况 / 法人或其他组织 / 商业企业",
        "申请人情况 / 法人或其他组织 / 科研机构",
        "申请人情况 / 法人或其他组织 / 社会公益组织",
        "申请人情况 / 法人或其他组织 / 法律服务机构",
        "申请人情况 / 法人或其他组织 / 其他",
        "申请人情况 / 总计",
    ]


def test_table_three_rows_are_label_paths(seed_md: str) -> None:
    """表三's rows start with their full label path, then the seven figures."""
    t3 = tables(seed_md)[4]
    assert len(t3) == 1 + 25
    assert t3[1] == ["一、本年新收政府信息公开申请数量", "0", "1", "0", "0", "0", "0", "1"]
    assert t3[8] == [
        "三、本年度办理结果 / （三）不予公开 / 4.保护第三方合法权益",
        "0", "1", "0", "0", "0", "0", "1",
    ]  # fmt: skip
    assert t3[24][0] == "三、本年度办理结果 / （七）总计"


def test_table_four_is_one_row_under_fifteen_header_paths(seed_md: str) -> None:
    """表四 has no row labels: fifteen columns headed 行政复议 / … and 行政诉讼 / … / …."""
    t4 = tables(seed_md)[5]
    assert len(t4) == 2
    assert t4[0][:2] == ["行政复议 / 结果维持", "行政复议 / 结果纠正"]
    assert t4[0][5] == "行政诉讼 / 未经复议直接起诉 / 结果维持"
    assert t4[0][14] == "行政诉讼 / 复议后起诉 / 总计"
    assert t4[1] == ["0"] * 15


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_figures_match_the_report(path: Path) -> None:
    """Read back table by table, the figures are report.values laid out as the grid lays them."""
    report = report_of(path)
    read = tables(render(report))
    expected: list[list[str]] = []
    for table in report.format.tables.values():
        for flat in pipe_tables(table_grid(table, report.values)):
            expected += [
                [c for c, numeric in zip(r, flat.numeric, strict=True) if numeric]
                for r in flat.rows
            ]
    shown = [[c for c in row if re.fullmatch(r"[+-]?[0-9.]+", c)] for t in read for row in t[1:]]
    assert shown == expected
    assert sorted(x for row in shown for x in row) == sorted(
        format_value(v, report.format.cells[p].value) for p, v in report.values.items()
    )


def test_amounts_are_written_exactly_and_unescaped(seed: Report) -> None:
    """A fee of 12.3400 万元 is written digit for digit, with no Markdown escapes."""
    values = {**seed.values, ("proactive_disclosure", "fees"): Decimal("12.3400")}
    text = render(dataclasses.replace(seed, values=values))
    assert "\n| 行政事业性收费 | 12.3400 |\n" in text


def test_figures_are_right_aligned(seed_md: str) -> None:
    """Label columns are left-aligned and figure columns right-aligned."""
    assert "| --- | ---: | ---: | ---: |\n" in seed_md
    assert "| " + " | ".join(["---:"] * 15) + " |\n" in seed_md


def test_pipes_in_cells_are_escaped() -> None:
    """A | inside a cell is written \\| and read back as one cell."""
    grid = Grid(
        2,
        ((GridCell("甲|乙", 0, 0, kind="stub"), GridCell("值|", 0, 1, kind="stub")),
         (GridCell("丙|丁", 1, 0, kind="row"), GridCell("5", 1, 1))),
        0,
        (range(2),),
    )  # fmt: skip
    (flat,) = pipe_tables(grid)
    assert flat == PipeTable((), ("甲|乙", "值|"), (False, True), (("丙|丁", "5"),))
    cell = environment("markdown").filters["md_cell"]
    text = f"| {cell('甲|乙')} | {cell('值|')} |\n| --- | ---: |\n| {cell('丙|丁')} | 5 |\n"
    assert text.startswith(r"| 甲\|乙 | 值\| |")
    assert tables(text) == [[["甲|乙", "值|"], ["丙|丁", "5"]]]


# --------------------------------------------------------------------------- text shape


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_text_is_lf_with_one_final_newline_and_no_trailing_spaces(path: Path) -> None:
    """LF line ends, exactly one final newline, no trailing blanks, no double blank lines."""
    data = RENDERER.render(report_of(path), RenderOptions())
    text = data.decode("utf-8")
    assert b"\r" not in data
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert not [line for line in text.split("\n") if line != line.rstrip()]
    assert "\n\n\n" not in text


def test_document_outline(seed: Report, seed_md: str) -> None:
    """# title, ## the six headings, ### the （一）… sub-headings, in that order."""
    headings = re.findall(r"^(#+) (.+)$", seed_md, re.MULTILINE)
    assert headings[0] == ("#", seed.title)
    assert [h for level, h in headings if level == "##"] == [
        s.heading for s in seed.format.sections
    ]
    assert next(h for level, h in headings if level == "###") == "（一）主动公开"


def test_title_markup_is_escaped(seed: Report) -> None:
    """Markdown syntax in the title is shown literally."""
    hostile = dataclasses.replace(seed, meta={**seed.meta, "title": "*某局* <b>[x](y)</b> | #"})
    html = md.render(render(hostile))
    assert "<h1>*某局* &lt;b&gt;[x](y)&lt;/b&gt; | #</h1>" in html


def test_signature_ends_the_document(seed_md: str) -> None:
    """The last lines are the agency and the publication date."""
    assert seed_md.endswith("\n\n商丘市工业和信息化局\n\n2022年1月20日\n")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("licensing: 0 ", "licensing: 12"),
        ("penalties: 0 ", "penalties: 3 "),
        ("regulations: {issued: 0,", "regulations: {issued: 2,"),
    ],
)
def test_changing_one_figure_changes_one_line(before: str, after: str) -> None:
    """Editing one figure in the YAML changes exactly one line of the Markdown."""
    text = SEED.read_text(encoding="utf-8")
    assert text.count(before) == 1
    old = check_source(loads(text)).report
    new = check_source(loads(text.replace(before, after))).report
    assert old is not None and new is not None
    diff = [
        line
        for line in difflib.unified_diff(render(old).splitlines(), render(new).splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(diff) == 2 and diff[0][0] == "-" and diff[1][0] == "+"


def test_rendering_is_deterministic(seed: Report) -> None:
    """Rendering twice gives the same bytes."""
    assert RENDERER.render(seed, RenderOptions()) == RENDERER.render(seed, RenderOptions())


def test_renderer_is_registered_for_md() -> None:
    """get_renderer("md") is this renderer, writing .md files."""
    assert get_renderer("md") is RENDERER
    assert RENDERER.suffix == "md"


# --------------------------------------------------------------------------- narrative


def _with_summary(report: Report, *blocks: narrative.Block) -> Report:
    return dataclasses.replace(
        report, narrative={**report.narrative, ("overview", "summary"): blocks}
    )


def test_narrative_bold_lists_and_links_survive(seed: Report) -> None:
    """Bold, ordered and unordered lists and links come out as strong, ol, ul and a."""
    report = _with_summary(
        seed,
        narrative.Paragraph(
            (
                narrative.Bold((narrative.Text("一是"),)),
                narrative.Text("详见"),
                narrative.Link("https://example.gov.cn/", (narrative.Text("门户网站"),)),
                narrative.Text("。"),
            )
        ),
        narrative.ListBlock(False, ((narrative.Text("甲"),), (narrative.Text("乙"),))),
        narrative.ListBlock(True, ((narrative.Text("丙"),), (narrative.Text("丁"),))),
    )
    html = md.render(render(report))
    assert "<p><strong>一是</strong>详见" in html
    assert '<a href="https://example.gov.cn/">门户网站</a>。</p>' in html
    assert "<ul>\n<li>甲</li>\n<li>乙</li>\n</ul>" in html
    assert "<ol>\n<li>丙</li>\n<li>丁</li>\n</ol>" in html


def test_run_in_heads_ending_in_a_full_stop_stay_bold(seed: Report) -> None:
    """A bold run-in head that ends with 。 and runs straight into text is still bold."""
    report = _with_summary(
        seed,
        narrative.Paragraph(
            (narrative.Bold((narrative.Text("一是强化组织保障。"),)), narrative.Text("我局"))
        ),
    )
    assert "<p><strong>一是强化组织保障。</strong>我局</p>" in md.render(render(report))


def test_seed_narrative_keeps_its_link(seed_md: str) -> None:
    """The seed's autolinked portal address is still a link."""
    assert '<a href="http://gxj.shangqiu.gov.cn/">' in md.render(seed_md)


# --------------------------------------------------------------------------- templates


def test_user_templates_replace_the_shipped_ones(seed: Report, tmp_path: Path) -> None:
    """--templates DIR: a report.md.j2 there is used, and its output is tidied too."""
    (tmp_path / "report.md.j2").write_text(
        "# {{ report.title }}   \n\n\n\n{{ report.agency }}\n\n", encoding="utf-8"
    )
    text = render(seed, RenderOptions(templates=tmp_path))
    assert text == f"# {seed.title}\n\n{seed.agency}\n"


def test_markdown_is_not_autoescaped(seed: Report, tmp_path: Path) -> None:
    """The Markdown environment does not HTML-escape (escaping there is Markdown's own)."""
    (tmp_path / "report.md.j2").write_text("{{ '<&>' }}\n", encoding="utf-8")
    assert render(seed, RenderOptions(templates=tmp_path)) == "<&>\n"
