"""Narrative claims: every claim form, in agreement and in contradiction with the tables."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from generator.claims import extract
from generator.claims_check import Placement
from generator.claims_text import chinese_number
from generator.errors import Location
from generator.spec import get_format

from .support import cell_values, claim_findings

A = "applications__"
R = "review_litigation__"
P = "proactive_disclosure__"
WITHHELD = A + "withheld__"
UNAVAILABLE = A + "unavailable__"


def verdicts(text: str, fmt_id: str = "2021", **cells: object) -> list[tuple[str, str]]:
    return [
        (d.severity, d.code) for d in claim_findings(text, cell_values(fmt_id, **cells), fmt_id)
    ]


# Each case: a sentence, cells it agrees with, cells it contradicts, and the finding then.
CASES: list[tuple[str, str, dict[str, object], dict[str, object], tuple[str, str]]] = [
    ("received-chinese", "本年度共收到政府信息公开申请十七件。",
     {A + "received__total": 17}, {A + "received__total": 95}, ("error", "N-COUNT")),
    ("received-new", "本年新收政府信息公开申请一百零三件。",
     {A + "received__total": 103}, {A + "received__total": 13}, ("error", "N-COUNT")),
    ("received-seed", "2021年，市工业和信息化局收到依申请公开事项1项。",
     {A + "received__total": 1}, {A + "received__total": 2}, ("error", "N-COUNT")),
    ("carried-over", "上年结转政府信息公开申请三件。",
     {A + "carried_over__total": 3}, {A + "carried_over__total": 0}, ("error", "N-COUNT")),
    ("done", "全年办结政府信息公开申请90件。",
     {A + "total__total": 90}, {A + "total__total": 88}, ("error", "N-COUNT")),
    ("done-handled", "全年办理政府信息公开申请218件。",
     {A + "total__total": 218}, {A + "total__total": 217}, ("error", "N-COUNT")),
    ("carried-forward", "另有申请转下一年度办理两件。",
     {A + "carried_forward__total": 2}, {A + "carried_forward__total": 1}, ("error", "N-COUNT")),
    ("granted-answer", "申请中同意公开答复9件。",
     {A + "granted__total": 9, A + "total__total": 20}, {A + "total__total": 9},
     ("error", "N-COUNT")),
    ("partial-answer", "申请中部分公开答复〇件。",
     {}, {A + "partial__total": 1}, ("error", "N-COUNT")),
    ("withheld-answer", "申请中不予公开答复2件。",
     {WITHHELD + "third_party__total": 2}, {WITHHELD + "third_party__total": 3},
     ("error", "N-COUNT")),
    ("withheld-category", "申请中不予公开5件。",
     {WITHHELD + "third_party__total": 3, WITHHELD + "state_secret__total": 2},
     {WITHHELD + "third_party__total": 3}, ("error", "N-COUNT")),
    ("compound-and", "申请中予以公开及部分公开共43件。",
     {A + "granted__total": 40, A + "partial__total": 3}, {A + "granted__total": 43,
      A + "partial__total": 3}, ("error", "N-COUNT")),
    ("compound-list", "申请中不予公开、无法提供和不予处理的共六件。",
     {WITHHELD + "inquiry__total": 1, UNAVAILABLE + "unclear__total": 2,
      A + "not_processed__repeated__total": 3},
     {WITHHELD + "inquiry__total": 1}, ("error", "N-COUNT")),
    ("unavailable-whole", "申请中因本机关不掌握等原因无法提供8件。",
     {UNAVAILABLE + "not_held__total": 6, UNAVAILABLE + "unclear__total": 2},
     {UNAVAILABLE + "not_held__total": 1}, ("error", "N-COUNT")),
    ("not-held", "申请中无法提供8件，其中本机关不掌握相关政府信息2件。",
     {UNAVAILABLE + "not_held__total": 2, UNAVAILABLE + "unclear__total": 6},
     {UNAVAILABLE + "not_held__total": 1, UNAVAILABLE + "unclear__total": 7},
     ("error", "N-COUNT")),
    ("state-secret", "申请中不予公开3件，其中属于国家秘密的1件。",
     {WITHHELD + "state_secret__total": 1, WITHHELD + "third_party__total": 2},
     {WITHHELD + "state_secret__total": 0, WITHHELD + "third_party__total": 3},
     ("error", "N-COUNT")),
    ("not-processed", "申请中不予处理四件。",
     {A + "not_processed__petition__total": 4}, {A + "not_processed__petition__total": 3},
     ("error", "N-COUNT")),
    ("other-handling", "申请中其他处理3件，其中逾期不补正的2件。",
     {A + "other_handling__other__total": 1, A + "other_handling__no_correction__total": 2},
     {A + "other_handling__no_correction__total": 3}, ("error", "N-COUNT")),
    ("natural-person", "本年新收政府信息公开申请95件，其中自然人九十件。",
     {A + "received__total": 95, A + "received__natural_person": 90},
     {A + "received__total": 95, A + "received__natural_person": 89}, ("error", "N-COUNT")),
    ("legal-person", "本年新收政府信息公开申请95件，其中法人或其他组织5件。",
     {A + "received__total": 95, A + "received__business": 2, A + "received__other_org": 3},
     {A + "received__total": 95, A + "received__business": 2}, ("error", "N-COUNT")),
    ("business", "申请中予以公开60件，其中商业企业申请12件。",
     {A + "granted__total": 60, A + "granted__business": 12},
     {A + "granted__total": 60, A + "granted__business": 2}, ("error", "N-COUNT")),
    ("review", "发生政府信息公开行政复议案件2件。",
     {R + "review__total": 2}, {R + "review__total": 0}, ("error", "N-COUNT")),
    ("litigation", "被提起行政诉讼三起。",
     {R + "direct_suit__total": 1, R + "suit_after_review__total": 2},
     {R + "direct_suit__total": 1}, ("error", "N-COUNT")),
    ("outcomes", "行政复议2件，其中维持1件、纠正1件。",
     {R + "review__total": 2, R + "review__upheld": 1, R + "review__corrected": 1},
     {R + "review__total": 2, R + "review__upheld": 1, R + "review__other": 1},
     ("error", "N-COUNT")),
    ("corrected-after", "行政复议中有2件答复被纠正。",
     {R + "review__corrected": 2}, {R + "review__corrected": 1}, ("error", "N-COUNT")),
    ("pending", "被提起行政诉讼1件，尚未审结1件。",
     {R + "direct_suit__total": 1, R + "direct_suit__pending": 1},
     {R + "direct_suit__total": 1, R + "direct_suit__upheld": 1}, ("error", "N-COUNT")),
    ("all-upheld", "行政复议2件，均获维持。",
     {R + "review__total": 2, R + "review__upheld": 2},
     {R + "review__total": 2, R + "review__upheld": 1, R + "review__pending": 1},
     ("error", "N-ALL-UPHELD")),
    ("all-upheld-litigation", "被提起行政诉讼3件，结果均被维持。",
     {R + "direct_suit__total": 3, R + "direct_suit__upheld": 3},
     {R + "direct_suit__total": 3, R + "direct_suit__upheld": 2, R + "direct_suit__other": 1},
     ("error", "N-ALL-UPHELD")),
    ("all-done", "所有申请均已按要求办理完成。",
     {}, {A + "carried_forward__total": 1}, ("error", "N-ALL-DONE")),
    ("all-done-short", "上述申请均已办结。",
     {}, {A + "carried_forward__total": 2}, ("error", "N-ALL-DONE")),
    ("regulations", "本年制发规章1件。",
     {P + "regulations__issued": 1}, {}, ("error", "N-COUNT")),
    ("normative-documents", "印发行政规范性文件四件。",
     {P + "normative_documents__issued": 4}, {P + "normative_documents__issued": 5},
     ("error", "N-COUNT")),
    ("repealed", "本年制发行政规范性文件2件，废止3件。",
     {P + "normative_documents__issued": 2, P + "normative_documents__repealed": 3},
     {P + "normative_documents__issued": 2}, ("error", "N-COUNT")),
    ("licensing", "公开行政许可决定52件。",
     {P + "licensing": 52}, {P + "licensing": 25}, ("error", "N-COUNT")),
    ("penalties", "行政处罚决定5件、行政强制决定〇件。",
     {P + "penalties": 5}, {P + "penalties": 5, P + "coercion": 1}, ("error", "N-COUNT")),
    ("fees", "行政事业性收费18651.06万元。",
     {P + "fees": Decimal("18651.06")}, {P + "fees": Decimal("18651.6")},
     ("error", "N-AMOUNT")),
    ("fees-in-yuan", "全年行政事业性收费5000元。",
     {P + "fees": Decimal("0.5")}, {P + "fees": Decimal("5000")}, ("error", "N-AMOUNT")),
    ("fee", "共收取信息处理费120元。",
     {"other_matters__fee": 120}, {"other_matters__fee": 12}, ("error", "N-AMOUNT")),
    ("percent-after-count", "申请中予以公开60件，占66.7%。",
     {A + "granted__total": 60, A + "total__total": 90},
     {A + "granted__total": 60, A + "total__total": 80}, ("error", "N-PERCENT")),
    ("percent-bracket", "申请中予以公开71件（32.57%）。",
     {A + "granted__total": 71, A + "total__total": 218},
     {A + "granted__total": 71, A + "total__total": 200}, ("error", "N-PERCENT")),
    ("percent-rate", "申请中予以公开率为33.9%。",
     {A + "granted__total": 39, A + "total__total": 115},
     {A + "granted__total": 40, A + "total__total": 115}, ("error", "N-PERCENT")),
    ("percent-bare", "申请中部分公开11.1%。",
     {A + "partial__total": 10, A + "total__total": 90},
     {A + "partial__total": 11, A + "total__total": 90}, ("error", "N-PERCENT")),
    ("percent-chinese", "申请中不予公开的占百分之五点六。",
     {WITHHELD + "third_party__total": 5, A + "total__total": 90},
     {WITHHELD + "third_party__total": 6, A + "total__total": 90}, ("error", "N-PERCENT")),
    ("percent-named-base", "其中自然人申请90件，占收到申请总数的94.7%。",
     {A + "received__total": 95, A + "received__natural_person": 90, A + "total__total": 1},
     {A + "received__total": 100, A + "received__natural_person": 90},
     ("error", "N-PERCENT")),
    ("percent-compound", "申请中予以公开和部分公开的占77.8%。",
     {A + "granted__total": 60, A + "partial__total": 10, A + "total__total": 90},
     {A + "granted__total": 60, A + "total__total": 90}, ("error", "N-PERCENT")),
    ("percent-truncated", "申请中予以公开率66.7%。",
     {A + "granted__total": 2, A + "total__total": 3},
     {A + "granted__total": 1, A + "total__total": 3}, ("error", "N-PERCENT")),
    ("none-review", "没有因政府信息公开申请行政复议或行政诉讼的事项。",
     {}, {R + "suit_after_review__total": 1}, ("error", "N-NONE")),
    ("none-litigation", "未发生因政府信息公开被提起行政诉讼的情况。",
     {R + "review__total": 3}, {R + "direct_suit__total": 1}, ("error", "N-NONE")),
    ("none-carried-forward", "年末无结转下年度继续办理的申请。",
     {}, {A + "carried_forward__total": 1}, ("error", "N-NONE")),
    ("none-fee", "本年度未收取政府信息公开信息处理费。",
     {}, {"other_matters__fee": 50}, ("error", "N-NONE")),
    ("none-fees", "本局未收取行政事业性收费。",
     {}, {P + "fees": Decimal("0.01")}, ("error", "N-NONE")),
    ("none-received", "本年度未收到政府信息公开申请。",
     {A + "carried_over__total": 1}, {A + "received__total": 1}, ("error", "N-NONE")),
    ("some-carried-forward", "目前未收到申请人提交的补正，结转下年度办理。",
     {A + "carried_forward__total": 1}, {}, ("warning", "N-SOME")),
]  # fmt: skip


@pytest.mark.parametrize(("text", "agree"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_a_claim_that_agrees_with_the_tables_raises_nothing(
    text: str, agree: dict[str, object]
) -> None:
    assert verdicts(text, **agree) == []


@pytest.mark.parametrize(
    ("text", "disagree", "finding"),
    [(c[1], c[3], c[4]) for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_a_claim_that_contradicts_the_tables_raises_one_finding(
    text: str, disagree: dict[str, object], finding: tuple[str, str]
) -> None:
    assert verdicts(text, **disagree) == [finding]


# --------------------------------------------------------------------------- ambiguous readings


def test_received_counted_with_carried_over_is_a_warning_naming_both_readings() -> None:
    """受理 N 件 may count 一 + 二: accepted, with a warning that says which readings fit."""
    [d] = claim_findings(
        "受理申请98件。",
        cell_values(applications__received__total=95, applications__carried_over__total=3),
    )
    assert (d.severity, d.code) == ("warning", "N-AMBIGUOUS")
    assert "一、本年新收政府信息公开申请数量" in d.message
    assert "二、上年结转政府信息公开申请数量" in d.message


def test_received_that_fits_no_reading_is_an_error_listing_both() -> None:
    [d] = claim_findings(
        "受理申请99件。",
        cell_values(applications__received__total=95, applications__carried_over__total=3),
    )
    assert (d.severity, d.code) == ("error", "N-COUNT")
    assert d.hint is not None and "二、上年结转政府信息公开申请数量" in d.hint


def test_truncated_percentage_is_a_warning() -> None:
    """2/3 is 66.7% rounded; 66.6% is truncated (a warning); 66.5% is wrong (an error)."""
    vals = cell_values(applications__granted__total=2, applications__total__total=3)
    assert claim_findings("申请中予以公开率66.7%。", vals) == []
    assert [(d.severity, d.code) for d in claim_findings("申请中予以公开率66.6%。", vals)] == [
        ("warning", "N-PERCENT-TRUNCATED")
    ]
    assert [(d.severity, d.code) for d in claim_findings("申请中予以公开率66.5%。", vals)] == [
        ("error", "N-PERCENT")
    ]


def test_percentage_is_compared_at_the_printed_decimals() -> None:
    """71/218 = 32.568…%: 33%, 32.6% and 32.57% all agree."""
    vals = cell_values(applications__granted__total=71, applications__total__total=218)
    for shown in ("33%", "32.6%", "32.57%", "32.569%"):
        assert claim_findings(f"予以公开71件，占{shown}。", vals) == [], shown


def test_a_column_share_may_be_of_its_own_row() -> None:
    """自然人……占 95% is read over （七）总计, or over the row's own 总计."""
    vals = cell_values(
        applications__received__total=100,
        applications__received__natural_person=95,
        applications__total__total=50,
    )
    assert claim_findings("本年新收申请100件，其中自然人95件，占95%。", vals) == []


# --------------------------------------------------------------------------- what is not a claim


@pytest.mark.parametrize(
    "text",
    [
        "全年主动公开各类政府信息10407条，全年发布政策文件解读96篇。",
        "全年通过门户网站开展民意征集53期、网上调查51期。",
        "建设项目环境影响评价受理、拟审批和审批结果公示410条。",
        "2021年12月31日前收到的申请已答复。",
        "收到2021年度申请的按时答复率为100%。",
        "咨询电话：0370-3288888，受理时间为9时至17时。",
        "受理行政复议申请的机关为市政府。",
        "制定内部规章制度3项。",
        "行政处罚决定均在作出后7个工作日内公示。",
        "行政处罚事项根据新修订的法律清理后减少5项。",
        "承办人大代表建议86件、政协提案112件，均已按期办结。",
        "答复网民留言56条。",
        "委托第三方机构开展社会评议，满意度为93.6%。",
        "将政务公开纳入绩效考核，分值占比4%。",
        "未经行政复议直接起诉的案件由法院审理。",
        "同比增长予以公开12件。",
        "每半年组织一次直属单位信息员集中培训。",
        "对5个发挥作用不明显的政务新媒体予以关停注销。",
        "信访举报投诉类申请较上年减少3件。",
    ],
)
def test_ordinary_sentences_are_not_findings(text: str) -> None:
    """Numbers of other things, rates, changes, dates and phone numbers raise nothing."""
    assert claim_findings(text, cell_values()) == []


def test_all_done_said_of_last_years_applications_is_not_about_this_year() -> None:
    """上年结转的3件申请均已办结 says 二 is 3, not that nothing is carried forward."""
    vals = cell_values(applications__carried_over__total=3, applications__carried_forward__total=2)
    assert claim_findings("上年结转的3件申请均已办结。", vals) == []


def test_referenced_figures_are_masked_but_still_give_the_subject() -> None:
    """{{ … }} figures are right by construction; a literal share after one is still checked."""
    vals = cell_values(applications__granted__total=60, applications__total__total=90)
    assert claim_findings("申请中予以公开{{ applications.granted.total }}件，占66.7%。", vals) == []
    [d] = claim_findings("申请中予以公开{{ applications.granted.total }}件，占60%。", vals)
    assert d.code == "N-PERCENT"


def test_application_words_count_only_in_a_text_about_applications() -> None:
    """予以公开 in a paragraph about 主动公开 (no 申请 before it) is not an application figure."""
    assert claim_findings("通过门户网站予以公开政府信息1200件。", cell_values()) == []
    assert claim_findings(
        "收到申请5件。予以公开1200件。", cell_values(applications__received__total=5)
    )


def test_markup_does_not_hide_a_number() -> None:
    [d] = claim_findings("申请中**予以公开10件**。", cell_values(applications__granted__total=9))
    assert d.code == "N-COUNT"


def test_full_width_digits_are_numbers() -> None:
    [d] = claim_findings("申请中予以公开１０件。", cell_values(applications__granted__total=9))
    assert (d.expected, d.found) == ("9", "１０件")


# --------------------------------------------------------------------------- messages and places


def test_message_quotes_the_sentence_and_names_the_cell() -> None:
    [d] = claim_findings("收到依申请公开事项17件。", cell_values(applications__received__total=95))
    assert d.message == (
        "叙述写“收到依申请公开事项17件”，但表三 › 一、本年新收政府信息公开申请数量 › 总计 为 95"
    )
    assert (d.expected, d.found) == ("95", "17件")


def test_category_sum_is_named_once_with_the_number_of_rows() -> None:
    [d] = claim_findings("申请中不予公开5件。", cell_values())
    assert d.message == (
        "叙述写“申请中不予公开5件”，但表三 › （三）不予公开（8 项之和） › 总计 为 0"
    )


def test_a_finding_points_at_its_sentence_in_a_literal_block() -> None:
    """Line and column are the sentence's own: the block starts at line 11, indented 4."""
    text = "第一段说申请。\n\n第二段第一句。予以公开10件。"
    [d] = claim_findings(text, cell_values())
    assert d.location == Location("report.yaml", 13, 4 + 7 + 1)


def test_a_finding_points_inside_a_plain_or_quoted_scalar() -> None:
    vocab = get_format("2021").claims
    assert vocab is not None
    plain = Placement(Location("r.yaml", 5, 9))
    quoted = Placement(Location("r.yaml", 5, 9), '"')
    assert plain.at(0, 4) == Location("r.yaml", 5, 13)
    assert quoted.at(0, 4) == Location("r.yaml", 5, 14)


def test_a_long_sentence_is_quoted_by_its_clauses() -> None:
    text = (
        "本年度我局认真贯彻落实条例要求，进一步健全工作机制，规范办理流程，提高答复质量，"
        "全年共办结政府信息公开申请12件，群众满意度持续提升。"
    )
    [d] = claim_findings(text, cell_values())
    assert "…全年共办结政府信息公开申请12件…" in d.message


def test_fingerprint_is_stable_when_other_text_moves() -> None:
    """The same contradiction keeps its fingerprint in another paragraph, not another cell."""
    vocab = get_format("2021").claims
    assert vocab is not None
    from generator.claims_check import assess

    def prints(text: str, **cells: object) -> list[str]:
        claims, _, _ = extract(text, vocab)
        return [f.fingerprint for f in assess(claims, vocab, cell_values(**cells).get)]

    one = prints("申请中予以公开10件。")
    assert prints("新增一段说明。\n\n  申请中予以公开10件。") == one
    assert prints("申请中予以公开10件。", applications__granted__total=3) == one
    assert prints("申请中部分公开10件。") != one


# --------------------------------------------------------------------------- numerals and formats


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("〇", "0"), ("两", "2"), ("十七", "17"), ("一百零三", "103"), ("二〇二一", "2021"),
        ("三十三点九", "33.9"), ("一千二百", "1200"), ("三万零五", "30005"), ("十", "10"),
    ],
)  # fmt: skip
def test_chinese_numerals(text: str, value: str) -> None:
    parsed = chinese_number(text)
    assert parsed is not None and parsed[0] == Decimal(value)


def test_2019_format_documents_are_new_made() -> None:
    """In the 2019 format 本年新制作 is the documents figure; 新公开 is its own column."""
    text = "本年新制作规范性文件5件，新公开4件。"
    cells = "proactive_disclosure__normative_documents__"
    assert verdicts(text, "2019", **{cells + "new_made": 5, cells + "new_published": 4}) == []
    assert verdicts(text, "2019", **{cells + "new_made": 5}) == [("error", "N-COUNT")]


def test_2019_other_handling_is_one_row() -> None:
    assert verdicts("申请中其他处理3件。", "2019", applications__other_handling__total=3) == []
    assert verdicts("申请中其他处理3件。", "2019") == [("error", "N-COUNT")]


def test_2019_format_has_no_fee_claims() -> None:
    """The 2019 format has no 信息处理费 field, so a sentence about it names no cell."""
    assert verdicts("本年度收取信息处理费100元。", "2019") == []


REALISTIC = """\
2022年，本机关共收到政府信息公开申请56件，其中自然人申请50件，法人或其他组织申请6件；上年结转申请3件。\
从申请方式看，网络申请40件，信函申请10件，当面申请6件。全年办结申请57件，其中予以公开23件（占40.4%），\
部分公开8件，不予公开5件，无法提供15件，不予处理4件，其他处理2件；结转下年度继续办理2件。\
所有申请均在法定期限内答复，未出现逾期答复情况。自然人申请占申请总量的89.3%。

在不予公开的申请中，属于国家秘密的1件，涉及第三方合法权益的4件。因本机关不掌握相关政府信息而无法提供的12件。

本年度发生政府信息公开行政复议案件3件，其中结果维持2件，结果纠正1件；行政诉讼案件2件，\
均为未经复议直接起诉，其中尚未审结1件，结果维持1件。全年依托门户网站主动公开政府信息3520条，\
发布解读材料45篇，召开新闻发布会12场，办理人大代表建议和政协提案31件，均已按期办结。本年度新制发规范性文件3件，\
废止1件，现行有效28件。公开行政许可事项办理结果1250条。本年度未收取信息处理费。
"""

REALISTIC_TABLES = {
    A + "received__total": 56, A + "received__natural_person": 50, A + "received__business": 6,
    A + "carried_over__total": 3, A + "total__total": 57, A + "granted__total": 23,
    A + "partial__total": 8,
    WITHHELD + "state_secret__total": 1, WITHHELD + "third_party__total": 4,
    UNAVAILABLE + "not_held__total": 12, UNAVAILABLE + "unclear__total": 3,
    A + "not_processed__repeated__total": 4, A + "other_handling__other__total": 2,
    A + "carried_forward__total": 2,
    R + "review__total": 3, R + "review__upheld": 2, R + "review__corrected": 1,
    R + "direct_suit__total": 2, R + "direct_suit__pending": 1, R + "direct_suit__upheld": 1,
    P + "normative_documents__issued": 3, P + "normative_documents__repealed": 1,
    P + "normative_documents__in_force": 28, P + "licensing": 1250,
}  # fmt: skip


def test_a_realistic_narrative_that_agrees_with_its_tables_raises_nothing() -> None:
    """Every figure of an ordinary on_request paragraph is read, and none is a false alarm."""
    vocab = get_format("2021").claims
    assert vocab is not None
    claims, _, _ = extract(REALISTIC, vocab)
    assert len([c for c in claims if c.kind in ("count", "percent")]) == 26
    assert claim_findings(REALISTIC, cell_values(**REALISTIC_TABLES)) == []


def test_the_same_narrative_with_other_tables_names_each_figure() -> None:
    wrong = {**REALISTIC_TABLES, A + "partial__total": 9, R + "direct_suit__pending": 0}
    found = claim_findings(REALISTIC, cell_values(**wrong))
    assert [d.found for d in found] == ["8件", "1件"]


def test_a_sub_item_before_its_category_is_the_sub_item_unless_generalised() -> None:
    """因……不掌握……而无法提供的12件 is 1.本机关不掌握; with 等 it is the whole （四）."""
    vals = cell_values(
        applications__unavailable__not_held__total=12, applications__unavailable__unclear__total=3
    )
    assert claim_findings("申请中，因本机关不掌握相关政府信息而无法提供的12件。", vals) == []
    assert claim_findings("申请中，因本机关不掌握等原因无法提供15件。", vals) == []
    [d] = claim_findings("申请中，因本机关不掌握相关政府信息而无法提供的15件。", vals)
    assert (d.severity, d.code) == ("warning", "N-AMBIGUOUS")


@pytest.mark.parametrize(
    "unit",
    [
        "申请中予以公开5件，",
        "申请中予以公开5件。",
        "无无无无结转下年度",
        "均已均已办结",
        "申" * 7,
        "1" * 50 + "件",
    ],
)
def test_a_huge_narrative_is_read_in_bounded_time_with_bounded_findings(unit: str) -> None:
    """1 MiB of claims, words or digits: a safety limit, and at most 100 findings listed."""
    text = unit * (1024 * 1024 // len(unit.encode()))
    start = time.monotonic()
    found = claim_findings(text, cell_values())
    assert time.monotonic() - start < 20
    assert len(found) <= 101


def test_a_sum_over_two_levels_names_each_level_once() -> None:
    """行政诉讼……均获维持: both kinds of suit, three outcomes, in one label path."""
    vals = cell_values(review_litigation__direct_suit__pending=1)
    [d] = claim_findings("被提起行政诉讼的案件均获维持。", vals)
    assert d.message.endswith(
        "表四 › （未经复议直接起诉＋复议后起诉） › （结果纠正＋其他结果＋尚未审结） 为 1"
    )


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("未发生行政复议被纠正的情况。", {R + "review__total": 2, R + "review__upheld": 2}),
        ("未发生因政府信息公开引起的行政诉讼败诉案件。", {R + "direct_suit__total": 1}),
        ("未发生因政府信息公开工作被追究责任的情况。", {}),
    ],
)
def test_a_denial_of_something_narrower_is_not_a_denial_of_the_cases(
    text: str, cells: dict[str, object]
) -> None:
    """未发生行政复议被纠正 denies 纠正 only; 败诉 and 追责 are not table figures."""
    assert claim_findings(text, cell_values(**cells)) == []
    if "纠正" in text:
        [d] = claim_findings(text, cell_values(**cells, review_litigation__review__corrected=1))
        assert d.code == "N-NONE"
