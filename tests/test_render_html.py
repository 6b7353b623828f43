"""The HTML renderer: one self-contained page whose tables are the official tables.

The page is read back with ``html.parser`` and its tables rebuilt square by square
(honouring rowspan and colspan), so the tests check what a browser would draw:
every figure under the header cells that name it, the official merges, and that
nothing from the YAML can become markup.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from generator import narrative
from generator.errors import UsageError
from generator.model import Report
from generator.render import RenderOptions, get_renderer
from generator.render.html import RENDERER
from generator.source import loads
from generator.validate import check_source

from .conftest import example_reports, report_of
from .support import (
    MD,
    PageParser,
    _number,
    expected_figures,
    figures,
    markdown_figures,
    parse,
    random_reports,
)

EXAMPLES = example_reports()


# --------------------------------------------------------------------------- reading HTML


def render(report: Report, options: RenderOptions | None = None) -> str:
    return RENDERER.render(report, options or RenderOptions()).decode("utf-8")


def with_narrative(report: Report, blocks: tuple[narrative.Block, ...]) -> Report:
    """The report with its 总体情况概述 replaced by ``blocks``."""
    return dataclasses.replace(
        report, narrative={**report.narrative, ("overview", "summary"): blocks}
    )


@pytest.fixture(scope="module")
def seed_page(seed: Report) -> PageParser:
    return parse(render(seed))


# --------------------------------------------------------------------------- the page


def test_page_is_chinese_html5_with_charset_and_viewport(seed: Report) -> None:
    """The page is HTML5 in zh-CN with a UTF-8 charset and a mobile viewport."""
    html = render(seed)
    page = parse(html)
    assert html.startswith("<!DOCTYPE html>\n")
    assert ("html", {"lang": "zh-CN"}) in page.tags
    assert ("meta", {"charset": "utf-8"}) in page.tags
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in (
        page.tags
    )


def test_page_needs_nothing_from_outside(seed_page: PageParser) -> None:
    """No scripts, no linked stylesheets or fonts, no src attributes: the style is inline."""
    names = [tag for tag, _ in seed_page.tags]
    assert "script" not in names
    assert "link" not in names
    assert not [a for _, a in seed_page.tags if "src" in a]
    assert "@import" not in seed_page.texts["style"][0]
    assert "url(" not in seed_page.texts["style"][0]


def test_only_narrative_links_point_anywhere(seed: Report, seed_page: PageParser) -> None:
    """Every href on the page is a link the narrative wrote."""
    written = {url for blocks in seed.narrative.values() for url in _urls(blocks)}
    hrefs = {a["href"] for tag, a in seed_page.tags if "href" in a}
    assert hrefs == written == {"http://gxj.shangqiu.gov.cn/"}


def _urls(nodes: Any) -> Iterator[str]:
    for node in nodes:
        if isinstance(node, narrative.Link):
            yield node.url
        for attr in ("inlines", "children"):
            yield from _urls(getattr(node, attr, ()))
        for item in getattr(node, "items", ()):
            yield from _urls(item)


def test_links_open_without_opener(seed_page: PageParser) -> None:
    """Links carry rel="noopener"."""
    assert [a.get("rel") for tag, a in seed_page.tags if tag == "a"] == ["noopener"]


def test_title_and_headings_follow_the_format(seed: Report, seed_page: PageParser) -> None:
    """h1 is the title, h2 the six section headings, h3 the （一）… sub-headings."""
    assert seed_page.texts["title"] == [seed.title]
    assert seed_page.texts["h1"] == [seed.title]
    assert seed_page.texts["h2"] == [s.heading for s in seed.format.sections]
    assert seed_page.texts["h3"] == [
        "（一）主动公开",
        "（二）依申请公开",
        "（三）政府信息管理",
        "（四）政府信息公开平台建设",
        "（五）监督保障",
    ]


def test_signature_gives_agency_and_publication_date(seed_page: PageParser) -> None:
    """The page ends with the agency and the publication date written the Chinese way."""
    assert seed_page.texts["p"][-2:] == ["商丘市工业和信息化局", "2022年1月20日"]
    assert ("time", {"datetime": "2022-01-20"}) in seed_page.tags


def test_rendering_is_deterministic(seed: Report) -> None:
    """Two renders with different build times give the same bytes."""
    from datetime import UTC, datetime

    early = RenderOptions(timestamp=datetime(2001, 1, 1, tzinfo=UTC))
    late = RenderOptions(timestamp=datetime(2031, 1, 1, tzinfo=UTC))
    assert RENDERER.render(seed, early) == RENDERER.render(seed, late)


def test_renderer_is_registered_for_html() -> None:
    """get_renderer("html") is this renderer, writing .html files."""
    assert get_renderer("html") is RENDERER
    assert RENDERER.suffix == "html"


# --------------------------------------------------------------------------- tables


def test_each_table_has_its_caption(seed: Report, seed_page: PageParser) -> None:
    """One table per official table, in order, captioned with its number and name."""
    assert [t.caption for t in seed_page.tables] == [
        "表二 主动公开政府信息情况",
        "表三 收到和处理政府信息公开申请情况",
        "表四 政府信息公开行政复议、行政诉讼情况",
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_figure_sits_under_its_labels(path: Path) -> None:
    """Each value cell shows report.values for the one cell its header cells name."""
    report = report_of(path)
    shown = dict(figures(parse(render(report)), report.format))
    assert shown == expected_figures(report)


def test_table_three_header_merges(seed_page: PageParser) -> None:
    """表三: corner 3×3, 申请人情况 over 7 columns, 法人或其他组织 over 5, 三、 down 22 rows."""
    t3 = seed_page.tables[1]
    corner = t3.find("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
    assert (corner.rowspan, corner.colspan) == (3, 3)
    assert t3.find("申请人情况").colspan == 7
    assert t3.find("法人或其他组织").colspan == 5
    assert t3.find("自然人").rowspan == 2
    assert t3.find("三、本年度办理结果").rowspan == 22
    assert t3.find("（三）不予公开").rowspan == 8
    assert t3.find("一、本年新收政府信息公开申请数量").colspan == 3


def test_table_three_has_three_head_rows_and_a_body_per_category(seed_page: PageParser) -> None:
    """表三's header rows are in thead (3); its 25 body rows in one tbody per top-level
    category (一、二、三、四), which printing keeps whole."""
    t3 = seed_page.tables[1]
    assert (t3.head_rows, t3.bodies) == (3, [1, 1, 22, 1])
    assert len({k[1] for k in t3.grid()}) == 10


def test_table_four_header_merges(seed_page: PageParser) -> None:
    """表四: 行政复议 over 5 columns, 行政诉讼 over 10, its two groups over 5 each."""
    t4 = seed_page.tables[2]
    assert t4.find("行政复议").colspan == 5
    assert t4.find("行政诉讼").colspan == 10
    assert t4.find("未经复议直接起诉").colspan == 5
    assert t4.find("复议后起诉").colspan == 5
    assert (t4.head_rows, t4.bodies) == (3, [1])


def test_table_two_blocks_are_tbodies(seed_page: PageParser) -> None:
    """表二: one tbody per 第二十条 block, each opening with a full-width title row."""
    t2 = seed_page.tables[0]
    assert t2.head_rows == 0
    assert t2.bodies == [4, 3, 4, 3]
    titles = [row[0] for row in t2.rows if row[0].colspan == 4]
    assert [c.text for c in titles] == [
        "第二十条第（一）项",
        "第二十条第（五）项",
        "第二十条第（六）项",
        "第二十条第（八）项",
    ]
    assert t2.find("行政许可").attrs["scope"] == "row"


def test_header_cells_are_th_with_scope(seed_page: PageParser) -> None:
    """Column headers scope col/colgroup, row labels row/rowgroup; values are plain td."""
    t3 = seed_page.tables[1]
    assert t3.find("申请人情况").attrs["scope"] == "colgroup"
    assert t3.find("自然人").attrs["scope"] == "col"
    assert t3.find("三、本年度办理结果").attrs["scope"] == "rowgroup"
    assert t3.find("4.保护第三方合法权益").attrs["scope"] == "row"
    for table in seed_page.tables:
        for row in table.rows:
            for cell in row:
                if cell.tag == "td":
                    assert "scope" not in cell.attrs
                    assert _number(cell.text)


def test_tables_scroll_inside_a_wrapper(seed_page: PageParser) -> None:
    """Each table sits in a horizontally scrolling, keyboard-focusable region."""
    wrappers = [a for tag, a in seed_page.tags if "table-wrap" in a.get("class", "").split()]
    assert len(wrappers) == len(seed_page.tables) == 3
    assert all(w["role"] == "region" and w["tabindex"] == "0" for w in wrappers)
    style = seed_page.texts["style"][0]
    assert re.search(r"\.table-wrap\s*\{[^}]*overflow-x:\s*auto", style)


def test_print_stylesheet_sets_a4_and_unclips_tables(seed_page: PageParser) -> None:
    """@page is A4 with margins; in print the scroll wrapper shows the whole table."""
    style = seed_page.texts["style"][0]
    assert re.search(r"@page\s*\{[^}]*size:\s*A4;[^}]*margin:", style)
    printed = style[style.index("@media print") :]
    assert re.search(r"\.table-wrap\s*\{[^}]*overflow:\s*visible", printed)
    assert "thead { display: table-header-group; }" in printed


def test_fonts_are_a_chinese_stack_without_web_fonts(seed_page: PageParser) -> None:
    """The body font stack starts with 仿宋 and ends in a generic family; no @font-face."""
    style = seed_page.texts["style"][0]
    assert re.search(r'--serif:\s*FangSong, "仿宋",[^;]*"Noto Serif CJK SC"[^;]*serif;', style)
    assert "@font-face" not in style


# --------------------------------------------------------------------------- narrative


def test_bold_lists_and_links_become_semantic_html(seed: Report) -> None:
    """Bold → strong, lists → ul/ol with li, links → a with the URL as href."""
    blocks = (
        narrative.Paragraph(
            (
                narrative.Bold((narrative.Text("一是"),)),
                narrative.Text("见"),
                narrative.Link("https://example.gov.cn/a?b=1&c=2", (narrative.Text("网站"),)),
            )
        ),
        narrative.ListBlock(False, ((narrative.Text("甲"),), (narrative.Text("乙"),))),
        narrative.ListBlock(True, ((narrative.Bold((narrative.Text("丙"),)),),)),
    )
    html = render(with_narrative(seed, blocks))
    assert "<p><strong>一是</strong>见" in html
    assert '<a href="https://example.gov.cn/a?b=1&amp;c=2" rel="noopener">网站</a></p>' in html
    assert "<ul>\n<li>甲</li>\n<li>乙</li>\n</ul>" in html
    assert "<ol>\n<li><strong>丙</strong></li>\n</ol>" in html


HOSTILE = '<script>alert(1)</script> 与 " onmouseover="alert(2)" 和 <img src=x onerror=alert(3)>'


def test_markup_in_narrative_stays_text(seed: Report) -> None:
    """Angle brackets and quotes in narrative text are shown, never parsed as markup."""
    blocks = (
        narrative.Paragraph((narrative.Text(HOSTILE),)),
        narrative.Paragraph(
            (narrative.Link('https://a.cn/" onmouseover="x', (narrative.Text(HOSTILE),)),)
        ),
    )
    page = parse(render(with_narrative(seed, blocks)))
    assert not [t for t, _ in page.tags if t in ("script", "img")]
    assert not [k for _, a in page.tags for k in a if k.startswith("on")]
    assert HOSTILE in page.texts["p"][0]
    assert ("a", {"href": 'https://a.cn/" onmouseover="x', "rel": "noopener"}) in page.tags


def test_hostile_yaml_renders_as_text(write_report: Any) -> None:
    """A report file whose narrative and agency hold markup produces no elements from it."""
    path = write_report(
        f"""\
        agency: '测试局<script>alert(0)</script>'
        year: 2022
        overview:
          summary: {json.dumps(HOSTILE, ensure_ascii=False)}
        problems:
          text: '无 " onmouseover="alert(4)'
        other_matters:
          text: 无
        """
    )
    page = parse(render(report_of(path)))
    assert not [t for t, _ in page.tags if t in ("script", "img")]
    assert not [k for _, a in page.tags for k in a if k.startswith("on")]
    assert page.texts["h1"] == ["测试局<script>alert(0)</script>2022年政府信息公开工作年度报告"]
    assert HOSTILE in page.texts["p"][0]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x"])
def test_links_to_scripts_or_data_render_as_plain_text(seed: Report, url: str) -> None:
    """A link whose URL is not http(s) or mailto keeps its text and loses the link."""
    blocks = (narrative.Paragraph((narrative.Link(url, (narrative.Text("点此"),)),)),)
    page = parse(render(with_narrative(seed, blocks)))
    assert not [a for t, a in page.tags if t == "a" and a["href"] == url]
    assert page.texts["p"][0] == "点此"


# --------------------------------------------------------------------------- templates


def test_user_templates_replace_the_shipped_ones(seed: Report, tmp_path: Path) -> None:
    """--templates DIR: a report.html.j2 there is used instead of the shipped one."""
    (tmp_path / "report.html.j2").write_text(
        "<p>{{ report.agency }}|{{ sections | length }}</p>\n", encoding="utf-8"
    )
    html = render(seed, RenderOptions(templates=tmp_path))
    assert html == "<p>商丘市工业和信息化局|6</p>\n"


def test_user_stylesheet_alone_restyles_the_page(seed: Report, tmp_path: Path) -> None:
    """A style.css under DIR/html/ replaces only the stylesheet; the tables stay."""
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "style.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    page = parse(render(seed, RenderOptions(templates=tmp_path)))
    assert [s.strip() for s in page.texts["style"]] == ["body { color: #123456; }"]
    assert len(page.tables) == 3


def test_user_templates_are_autoescaped_too(seed: Report, tmp_path: Path) -> None:
    """Report data in a user's own template is escaped like in the shipped one."""
    (tmp_path / "report.html.j2").write_text("{{ report.agency }}\n", encoding="utf-8")
    hostile = dataclasses.replace(seed, meta={**seed.meta, "agency": "<b>局</b>"})
    assert render(hostile, RenderOptions(templates=tmp_path)) == "&lt;b&gt;局&lt;/b&gt;\n"


# --------------------------------------------------------------------------- random reports


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_reports())
def test_random_reports_round_trip_every_figure(text: str) -> None:
    """For any valid report, HTML and Markdown show every figure under its own labels."""
    outcome = check_source(loads(text))
    assert outcome.report is not None, [str(d) for d in outcome.errors]
    report = outcome.report
    expected = expected_figures(report)
    assert dict(figures(parse(render(report)), report.format)) == expected
    md = get_renderer("md").render(report, RenderOptions()).decode("utf-8")
    assert markdown_figures(md, report.format) == expected
    assert parse(render(report)).texts["h1"] == [report.title]
    assert parse(MD.render(md)).texts["h1"] == [report.title]


def test_broken_user_template_names_its_file_and_line(seed: Report, tmp_path: Path) -> None:
    """A syntax error in a user template is a UsageError pointing at file:line."""
    (tmp_path / "report.html.j2").write_text("<p>\n{% if %}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"report\.html\.j2:2: 模板出错："):
        render(seed, RenderOptions(templates=tmp_path))


def test_unknown_name_in_user_template_names_its_file_and_line(
    seed: Report, tmp_path: Path
) -> None:
    """A misspelt name in a user template fails (StrictUndefined) naming file:line and the name."""
    (tmp_path / "report.html.j2").write_text("<p>\n\n{{ report.agnecy }}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"report\.html\.j2:3: 模板出错：.*agnecy"):
        render(seed, RenderOptions(templates=tmp_path))
