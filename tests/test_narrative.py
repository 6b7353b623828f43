"""Narrative text: the Markdown subset and figure references (claims: tests/test_claims*.py)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import Location
from generator.narrative import (
    Bold,
    Link,
    ListBlock,
    Paragraph,
    Text,
    parse,
    plain_text,
    to_markdown,
)
from generator.references import evaluate, known_names, pct

WHERE = Location("report.yaml", 20, 7)
LABELS = ("一、总体情况", "（二）依申请公开")


def context() -> dict[str, Any]:
    return {
        "agency": "商丘市工业和信息化局",
        "year": 2021,
        "applications": {
            "received": {"natural_person": 0, "business": 1, "total": 95},
            "carried_over": {"total": 3},
            "granted": {"total": 60},
            "total": {"total": 90},
            "withheld": {"third_party": {"total": 1}, "total": 1},
        },
        "review_litigation": {"review": {"upheld": 0, "total": 0}},
        "other_matters": {"fee": Decimal("0.50")},
    }


def run(text: str, *, block: bool = True) -> tuple[str, list[Any]]:
    return evaluate(text, context(), where=WHERE, labels=LABELS, block=block)


# --------------------------------------------------------------------------- parsing


def test_bold_run_in_head_closes_after_a_full_stop() -> None:
    """A bold head ending in 。 is bold even when text follows without a space."""
    assert parse("**一是强化组织保障。**成立了领导小组。") == (
        Paragraph((Bold((Text("一是强化组织保障。"),)), Text("成立了领导小组。"))),
    )


def test_wrapped_chinese_lines_join_without_a_space() -> None:
    """Lines of one paragraph join directly, as Chinese has no spaces between words."""
    assert parse("加强信息公开\n平台建设") == (Paragraph((Text("加强信息公开平台建设"),)),)


def test_wrapped_ascii_words_join_with_one_space() -> None:
    """Two ASCII words split across lines keep a space between them."""
    assert parse("see\nthis") == (Paragraph((Text("see this"),)),)


def test_blank_line_separates_paragraphs() -> None:
    """A blank line ends a paragraph."""
    assert parse("甲\n\n  \n乙") == (Paragraph((Text("甲"),)), Paragraph((Text("乙"),)))


def test_bullet_and_ordered_lists() -> None:
    """'- ' and '* ' start bullet items; '1. ' and '2) ' start ordered items."""
    assert parse("- 甲\n* 乙\n\n1. 丙\n2) 丁") == (
        ListBlock(False, ((Text("甲"),), (Text("乙"),))),
        ListBlock(True, ((Text("丙"),), (Text("丁"),))),
    )


def test_list_item_continues_on_the_next_line() -> None:
    """A plain line right after an item continues that item."""
    assert parse("1. 甲\n乙\n\n丙") == (
        ListBlock(True, ((Text("甲乙"),),)),
        Paragraph((Text("丙"),)),
    )


def test_number_without_space_is_not_a_list() -> None:
    """'1.属于国家秘密' is text, as Chinese authors write it, not a list item."""
    assert parse("1.属于国家秘密") == (Paragraph((Text("1.属于国家秘密"),)),)


def test_links_and_autolinks() -> None:
    """[text](url) and <url> become links for http, https and mailto."""
    assert parse("见[门户网站](https://a.gov.cn/x)或<http://b.gov.cn/>，<mailto:a@b.cn>") == (
        Paragraph(
            (
                Text("见"),
                Link("https://a.gov.cn/x", (Text("门户网站"),)),
                Text("或"),
                Link("http://b.gov.cn/", (Text("http://b.gov.cn/"),)),
                Text("，"),
                Link("mailto:a@b.cn", (Text("mailto:a@b.cn"),)),
            )
        ),
    )


@pytest.mark.parametrize(
    "source",
    [
        "[点此](javascript:alert(1))",
        "[x](data:text/html,hi)",
        "[x](file:///etc/passwd)",
        "<javascript:x>",
    ],
)
def test_links_with_other_schemes_stay_plain_text(source: str) -> None:
    """A link to any scheme but http(s) or mailto is kept as the literal text."""
    assert parse(source) == (Paragraph((Text(source),)),)


def test_raw_html_is_literal_text() -> None:
    """<script> is text; escaping it is the renderers' job."""
    assert parse("<script>alert(1)</script>") == (Paragraph((Text("<script>alert(1)</script>"),)),)


def test_backslash_escapes_markup() -> None:
    """A backslash before punctuation makes it literal."""
    assert parse(r"\*\*不是粗体\*\*") == (Paragraph((Text("**不是粗体**"),)),)


def test_unclosed_bold_is_literal() -> None:
    """'**' without a partner stays as typed."""
    assert parse("**未闭合") == (Paragraph((Text("**未闭合"),)),)


# --------------------------------------------------------------------------- writing back


def test_to_markdown_escapes_literal_markup() -> None:
    """Literal *, [, ], <, >, | and backslash are escaped; a leading '1.' cannot start a list."""
    blocks = (Paragraph((Text("1. a*b[c]<d>|e\\"),)),)
    assert to_markdown(blocks) == "1\\. a\\*b\\[c\\]\\<d\\>\\|e\\\\\n"
    assert parse(to_markdown(blocks)) == blocks


def test_to_markdown_writes_normalised_markdown() -> None:
    """Bullets become '-', ordered items are renumbered, blocks are separated by a blank line."""
    source = "**一是**加强\n指导。\n* 甲\n3) 乙\n见<http://a.cn>"
    assert to_markdown(parse(source)) == "**一是**加强指导。\n\n- 甲\n\n1. 乙见<http://a.cn>\n"


def test_plain_text_drops_markup() -> None:
    """plain_text keeps the words and link text, one list item per line."""
    blocks = parse("**一是**见[网站](http://a.cn)。\n\n1. 甲\n2. 乙")
    assert plain_text(blocks) == "一是见网站。\n\n1. 甲\n2. 乙"


_TOKENS = st.sampled_from(
    ["**", "*", "[", "]", "(", ")", "<", ">", "\\", "|", "_", "&", "!", "#", "`", "~", "-", "+",
     ".", "1", "7", "2021", " ", "\t", "\n", "\n\n", "- ", "* ", "1. ", "2) ", "中", "文", "。",
     "，", "a", "z", "　", "http://x.cn/a", "mailto:a@b", "javascript:x", "](", ")"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, max_size=40).map("".join))
def test_to_markdown_round_trips(source: str) -> None:
    """parse(to_markdown(b)) == b, and writing again gives the same Markdown."""
    blocks = parse(source)
    markdown = to_markdown(blocks)
    assert parse(markdown) == blocks
    assert to_markdown(parse(markdown)) == markdown


# --------------------------------------------------------------------------- figure references


def test_reference_expands_to_the_figure() -> None:
    """{{ dotted.name }} is replaced by the value, integers as integers."""
    assert run("收到申请{{ applications.received.total }}件。") == ("收到申请95件。", [])


def test_decimal_renders_as_written() -> None:
    """A Decimal keeps the digits the author wrote."""
    assert run("收费{{ other_matters.fee }}元")[0] == "收费0.50元"


def test_text_without_templates_is_returned_unchanged() -> None:
    """Plain narrative is not run through Jinja at all."""
    assert run("50% {不是模板}") == ("50% {不是模板}", [])


def test_pct_is_a_function_and_a_filter() -> None:
    """pct() and |pct give a rounded percentage of the whole."""
    text = "{{ pct(applications.granted.total, applications.total.total) }}/"
    text += "{{ applications.granted.total|pct(applications.total.total, 2) }}"
    assert run(text) == ("66.7%/66.67%", [])


@pytest.mark.parametrize(
    ("args", "shown"),
    [((1, 3), "33.3%"), ((1, 2), "50%"), ((0, 0), "0%"), ((1, 8, 0), "13%"), ((2, 3, 2), "66.67%"),
     ((Decimal("0.5"), 2), "25%")],
)  # fmt: skip
def test_pct_rounds_half_up_and_drops_a_zero_fraction(args: tuple[Any, ...], shown: str) -> None:
    """pct rounds half up (12.5 → 13) and writes 50% rather than 50.0%."""
    assert pct(*args) == shown


def test_unknown_name_suggests_the_closest_known_name() -> None:
    """A misspelt name is an error naming it, with a did-you-mean hint."""
    text, diags = run("收到{{ applications.recieved.total }}件")
    assert text == "收到{{ applications.recieved.total }}件"
    [d] = diags
    assert (d.severity, d.code, d.labels) == ("error", "NARRATIVE-TEMPLATE", LABELS)
    assert d.message == "叙述中引用了不存在的数据 “applications.recieved”"
    assert d.hint == "是否应为 “applications.received”？"


def test_unknown_top_level_name_is_reported() -> None:
    """An unknown first name is named and matched against the top-level names."""
    [d] = run("{{ aplications.received.total }}")[1]
    assert d.message == "叙述中引用了不存在的数据 “aplications”"
    assert d.hint == "是否应为 “applications”？"


def test_syntax_error_points_at_its_line_in_a_block_scalar() -> None:
    """In a | block the text starts on the line after the key; Jinja's line is added to it."""
    [d] = run("第一行\n第二行\n收到{{ applications.received.total }件")[1]
    assert d.location == Location("report.yaml", 23, 1)
    assert d.message.startswith("叙述中的模板写法有误")


def test_error_in_a_one_line_value_points_at_the_value() -> None:
    """Outside a block scalar the value's own location is used."""
    [d] = run("收到{{ applications.received.total }件", block=False)[1]
    assert d.location == WHERE


def test_runtime_error_points_at_its_line() -> None:
    """An unknown name on the second line of a block is reported on that line."""
    [d] = run("第一行\n{{ nothing }}")[1]
    assert d.location == Location("report.yaml", 22, 1)


def test_known_names_flattens_to_dotted_paths() -> None:
    """Groups and figures alike, in document order."""
    names = known_names({"a": {"b": 1, "c": {"d": 2}}, "e": 3})
    assert names == ["a", "a.b", "a.c", "a.c.d", "e"]


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ applications.__class__ }}",
        "{{ applications.received.items() }}",
        "{{ 'abc'.upper() }}",
        "{{ range.__self__ }}",
        "{{ pct.__globals__ }}",
        "{{ lipsum() }}",
        "{{ '%s' % year }}",
        "{{ applications }}",
        "{% for x in applications %}{{ loop.cycle(1, 2) }}{% endfor %}",
    ],
)
def test_sandbox_escapes_are_errors_not_output(source: str) -> None:
    """Attempts to reach Python internals, call methods or print groups give one error."""
    text, diags = run(source)
    assert text == source
    assert [(d.severity, d.code) for d in diags] == [("error", "NARRATIVE-TEMPLATE")]


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("{% include 'secret.yaml' %}", "{% include %}"),
        ("{% import 'x' as y %}", "{% import %}"),
        ("{% from 'x' import y %}", "{% from … import %}"),
        ("{% extends 'base' %}", "{% extends %}"),
    ],
)
def test_templates_cannot_pull_in_other_files(source: str, named: str) -> None:
    """include, import and extends are refused with a message naming the tag."""
    [d] = run(source)[1]
    assert named in d.message


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(10**9) %}x{% endfor %}",
        "{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}",
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "{% for i in range(9999) %}{{ 'x' * 1000 }}{% endfor %}",
        "{{ 'x' * 10**9 }}",
        "{{ [0] * 10**9 }}",
        "{{ 7 ** 100000 }}",
        "{% set s = 'x' * 100000 %}{{ s ~ s ~ s }}",
        "{% set s %}{% for i in range(9999) %}xxxxxxxxxx{% endfor %}{% endset %}{{ s }}",
        "{{" + "(" * 500 + "1" + ")" * 500 + "}}",
    ],
)
def test_runaway_templates_stop_quickly_with_an_error(source: str) -> None:
    """Huge ranges, nested loops, macros and giant values end in an error within a second."""
    start = time.monotonic()
    _, diags = run(source)
    assert time.monotonic() - start < 1.0
    assert [d.code for d in diags] == ["NARRATIVE-TEMPLATE"]


def test_small_loops_still_work() -> None:
    """Loops within the budget render normally."""
    assert run("{% for i in range(3) %}{{ i }}{% endfor %}") == ("012", [])


def test_plain_references_take_the_fast_path_with_the_same_result() -> None:
    """Texts with only {{ name }} and {{ a | pct(b) }} skip Jinja but expand identically."""
    from decimal import Decimal

    from generator.references import _simple

    context = {"a": {"b": 3, "c": Decimal("12.50")}, "n": 7}
    text = "共{{ a.b }}件，占{{ a.b|pct(n) }}，金额{{a.c}}万元；{ 单个括号 }"
    fast = _simple(text, context)
    assert fast == "共3件，占42.9%，金额12.50万元；{ 单个括号 }"
    slow, problems = evaluate(text + "{% if true %}{% endif %}", context, where=WHERE, labels=())
    assert (slow, problems) == (fast, [])


def test_anything_else_falls_back_to_the_sandbox() -> None:
    """Unknown names, groups, loops and filters are not handled by the fast path."""
    from generator.references import _simple

    context = {"a": {"b": 3}}
    for text in (
        "{{ a.x }}",
        "{{ a }}",
        "{% for i in range(2) %}{{ i }}{% endfor %}",
        "{{ a.b|abs }}",
    ):
        assert _simple(text, context) is None


def test_template_objects_cannot_be_printed() -> None:
    """{{ self }} would print a Python repr; it is refused like any non-figure."""
    text, problems = evaluate("{{ self }}", {}, where=WHERE, labels=())
    assert text == "{{ self }}"
    assert [p.message for p in problems] == ["正文中只能写出数字和文字"]
