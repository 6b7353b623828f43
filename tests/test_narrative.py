"""Narrative text: the Markdown subset, figure references, and narrative ↔ table checks."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import Location
from generator.figures import check_figures, load_checks
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
from generator.spec import get_format

FMT = get_format("2021")
WHERE = Location("report.yaml", 20, 7)
LABELS = ("一、总体情况", "（二）依申请公开")
SEED = (
    "2021年，市工业和信息化局收到依申请公开事项1项。"
    "由于该信息涉及保护第三方合法权益，属于不予公开范围。"
)


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


def values(**cells: int) -> dict[tuple[str, ...], int | Decimal]:
    """Every cell 0 except the ones given, named with ``__`` for the dots."""
    out: dict[tuple[str, ...], int | Decimal] = dict.fromkeys(FMT.cells, 0)
    out.update({tuple(k.split("__")): v for k, v in cells.items()})
    return out


def check(text: str, vals: dict[tuple[str, ...], int | Decimal], block: bool = True) -> list[Any]:
    return check_figures(text, vals, FMT, where=WHERE, block=block, labels=LABELS)


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


# --------------------------------------------------------------------------- narrative ↔ tables

CASES: list[tuple[str, str, dict[str, int], dict[str, int]]] = [
    ("N-RECEIVED", "本年度共收到政府信息公开申请95件。",
     {"applications__received__total": 95}, {"applications__received__total": 90}),
    ("N-CARRIED-OVER", "上年结转政府信息公开申请3件。",
     {"applications__carried_over__total": 3}, {"applications__carried_over__total": 0}),
    ("N-DONE", "全年办结政府信息公开申请90件。",
     {"applications__total__total": 90}, {"applications__total__total": 88}),
    ("N-CARRIED-FORWARD", "结转下年度继续办理2件。",
     {"applications__carried_forward__total": 2}, {"applications__carried_forward__total": 1}),
    ("N-ALL-DONE", "上述申请均已按时办结。",
     {"applications__carried_forward__total": 0}, {"applications__carried_forward__total": 2}),
    ("N-GRANTED", "其中予以公开60件。",
     {"applications__granted__total": 60}, {"applications__granted__total": 59}),
    ("N-PARTIAL", "部分公开10件。",
     {"applications__partial__total": 10}, {"applications__partial__total": 1}),
    ("N-WITHHELD", "不予公开5件。",
     {"applications__withheld__third_party__total": 3,
      "applications__withheld__state_secret__total": 2},
     {"applications__withheld__third_party__total": 3}),
    ("N-UNAVAILABLE", "无法提供8件。",
     {"applications__unavailable__not_held__total": 6,
      "applications__unavailable__unclear__total": 2},
     {"applications__unavailable__not_held__total": 6}),
    ("N-NOT-PROCESSED", "不予处理4件。",
     {"applications__not_processed__petition__total": 4},
     {"applications__not_processed__petition__total": 3}),
    ("N-OTHER-HANDLING", "其他处理3件。",
     {"applications__other_handling__other__total": 3},
     {"applications__other_handling__other__total": 1}),
    ("N-GRANTED-PCT", "予以公开率为66.7%。",
     {"applications__granted__total": 60, "applications__total__total": 90},
     {"applications__granted__total": 50, "applications__total__total": 90}),
    ("N-PARTIAL-PCT", "部分公开10件，占比11.1%。",
     {"applications__partial__total": 10, "applications__total__total": 90},
     {"applications__partial__total": 10, "applications__total__total": 80}),
    ("N-WITHHELD-PCT", "不予公开5件，占5.6%。",
     {"applications__withheld__third_party__total": 5, "applications__total__total": 90},
     {"applications__withheld__third_party__total": 5, "applications__total__total": 50}),
    ("N-UNAVAILABLE-PCT", "无法提供的占8.9%。",
     {"applications__unavailable__not_held__total": 8, "applications__total__total": 90},
     {"applications__unavailable__not_held__total": 9, "applications__total__total": 90}),
    ("N-NOT-PROCESSED-PCT", "不予处理占总数的4.4%。",
     {"applications__not_processed__repeated__total": 4, "applications__total__total": 90},
     {"applications__not_processed__repeated__total": 4, "applications__total__total": 0}),
    ("N-OTHER-HANDLING-PCT", "其他处理3件，占3.3%。",
     {"applications__other_handling__other__total": 3, "applications__total__total": 90},
     {"applications__other_handling__other__total": 3, "applications__total__total": 30}),
    ("N-REVIEW", "发生政府信息公开行政复议案件2件。",
     {"review_litigation__review__total": 2}, {"review_litigation__review__total": 0}),
    ("N-LITIGATION", "被提起行政诉讼3起。",
     {"review_litigation__direct_suit__total": 1,
      "review_litigation__suit_after_review__total": 2},
     {"review_litigation__direct_suit__total": 1}),
    ("N-REGULATIONS", "本年制发规章1件。",
     {"proactive_disclosure__regulations__issued": 1},
     {"proactive_disclosure__regulations__issued": 0}),
    ("N-NORMATIVE-DOCUMENTS", "印发行政规范性文件4件。",
     {"proactive_disclosure__normative_documents__issued": 4},
     {"proactive_disclosure__normative_documents__issued": 5}),
]  # fmt: skip


def test_every_declared_check_has_a_case() -> None:
    """The cases below cover each narrative_checks entry of the 2021 format."""
    assert {c.id for c in load_checks(FMT)} == {case[0] for case in CASES}


@pytest.mark.parametrize(("code", "text", "agree", "disagree"), CASES, ids=[c[0] for c in CASES])
def test_check_passes_when_the_text_agrees(
    code: str, text: str, agree: dict[str, int], disagree: dict[str, int]
) -> None:
    """A sentence matching the tables raises no warning."""
    assert check(text, values(**agree)) == []


@pytest.mark.parametrize(("code", "text", "agree", "disagree"), CASES, ids=[c[0] for c in CASES])
def test_check_warns_when_the_text_disagrees(
    code: str, text: str, agree: dict[str, int], disagree: dict[str, int]
) -> None:
    """A sentence contradicting the tables raises exactly that check's warning."""
    assert [(d.severity, d.code) for d in check(text, values(**disagree))] == [("warning", code)]


def test_warning_message_quotes_the_sentence_and_names_the_cell() -> None:
    """The message quotes the clause, the written number and the table's figure by label."""
    [d] = check("收到依申请公开事项17件。", values(applications__received__total=95))
    assert (
        d.message
        == "叙述写“收到依申请公开事项17件”，但表三 › 一、本年新收政府信息公开申请数量 › 总计 为 95"
    )
    assert (d.expected, d.found, d.labels) == ("95", "17", LABELS)


def test_seed_report_sentence_maps_to_received() -> None:
    """The real report's '收到依申请公开事项1项' is checked against 一、本年新收."""
    assert check(SEED, values(applications__received__total=1)) == []
    [d] = check(SEED, values(applications__received__total=17))
    assert d.code == "N-RECEIVED"
    assert d.message.startswith("叙述写“2021年，市工业和信息化局收到依申请公开事项1项”")


def test_received_may_include_carried_over() -> None:
    """'受理 N 件' may count 一 plus 二 (format.md §2.3)."""
    text = "受理申请98件。"
    assert (
        check(text, values(applications__received__total=95, applications__carried_over__total=3))
        == []
    )
    [d] = check(text, values(applications__received__total=95))
    assert d.hint is not None and "二、上年结转政府信息公开申请数量" in d.hint


def test_category_sum_names_the_group() -> None:
    """A category made of sub-rows is named once, with the number of rows summed."""
    [d] = check("不予公开5件。", values())
    assert d.message == "叙述写“不予公开5件”，但表三 › （三）不予公开（8 项之和） › 总计 为 0"


def test_percentage_allows_truncation_as_well_as_rounding() -> None:
    """2/3 may be written 66.7% or 66.6%, but not 66.5%."""
    vals = values(applications__granted__total=2, applications__total__total=3)
    assert check("予以公开率66.7%", vals) == check("予以公开率66.6%", vals) == []
    assert [d.code for d in check("予以公开率66.5%", vals)] == ["N-GRANTED-PCT"]


def test_all_done_warns_when_applications_carry_forward() -> None:
    """'均已办结' contradicts a non-zero 四、结转下年度继续办理."""
    [d] = check("收到的申请全部办结。", values(applications__carried_forward__total=2))
    assert d.code == "N-ALL-DONE"
    assert d.message == "叙述写“收到的申请全部办结”，但表三 › 四、结转下年度继续办理 › 总计 为 2"


def test_all_done_about_proposals_is_not_about_applications() -> None:
    """'均已办结' said of 人大建议 and 政协提案 is not a claim about applications."""
    text = "承办人大代表建议86件、政协提案112件，均已按期办结。"
    assert check(text, values(applications__carried_forward__total=12)) == []


def test_referenced_figures_are_not_checked() -> None:
    """Numbers written as {{ … }} are right by construction; literals beside them are checked."""
    vals = values(applications__received__total=95, applications__total__total=95)
    assert check("收到申请{{ applications.received.total }}件。", vals) == []
    [d] = check("收到申请{{ applications.received.total }}件，办结90件。", vals)
    assert d.code == "N-DONE"


def test_markup_does_not_hide_a_number() -> None:
    """Bold markup around a figure is ignored when matching."""
    [d] = check("**予以公开10件**。", values(applications__granted__total=9))
    assert d.code == "N-GRANTED"


@pytest.mark.parametrize(
    "text",
    [
        "全年通过局网站公开政府信息共820条，其中政务动态381条。",
        "2021年12月31日前收到的申请已答复。",
        "收到2021年度申请的按时答复率为100%。",
        "咨询电话：0370-3288888，受理时间为9时至17时。",
        "受理行政复议申请的机关为市政府。",
        "制定内部规章制度3项。",
    ],
)
def test_other_numbers_are_not_read_as_figures(text: str) -> None:
    """Years, dates, phone numbers, percentages and other nouns' counts raise nothing."""
    assert check(text, values()) == []


def test_warning_points_at_the_sentence_line_in_a_block() -> None:
    """In a | block, the warning's line is the line of the sentence."""
    [d] = check("第一段。\n\n予以公开10件。", values())
    assert d.location == Location("report.yaml", 23, 1)
    [d] = check("第一段。予以公开10件。", values(), block=False)
    assert d.location == WHERE


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
