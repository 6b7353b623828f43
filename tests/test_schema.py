"""Schema errors: all at once, each with position, Chinese label path, expected and found."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.schema import validate_schema
from generator.source import loads
from generator.spec import get_format

from .conftest import SEED


def errors(text: str) -> list[str]:
    src = loads(text, "r.yaml")
    diags = sorted(validate_schema(src, get_format("2021")), key=lambda d: d.sort_key)
    return [d.format() for d in diags]


def test_a_misspelt_cell_names_the_label_path_and_suggests_the_key() -> None:
    """The exact message an author sees for a wrong type deep in 表三."""
    (msg,) = errors(
        "agency: 某局\nyear: 2021\napplications:\n  withheld:\n    third_party: {business: 二}\n"
    )
    assert msg == (
        "r.yaml:5:29: 错误[SCHEMA-TYPE] "
        "表三 › （三）不予公开 › 4.保护第三方合法权益 › 商业企业：类型不对\n"
        "    应为：不小于 0 的整数（件数）\n"
        "    实为：文本 “二”\n"
        "    提示：件数只写阿拉伯数字，不带单位；全角数字（如 １２）请改为半角"
    )


def test_unknown_keys_get_a_did_you_mean() -> None:
    """A typo in a row key points at the key and suggests the closest one."""
    (msg,) = errors("agency: 某局\nyear: 2021\napplications:\n  recieved: {business: 1}\n")
    assert msg.startswith("r.yaml:4:3: 错误[SCHEMA-UNKNOWN] 表三：未知的字段 “recieved”")
    assert "提示：您是否想写 “received”（一、本年新收政府信息公开申请数量）？" in msg


def test_a_chinese_label_used_as_key_suggests_the_ascii_key() -> None:
    """Writing 自然人 instead of natural_person is recognised."""
    (msg,) = errors("agency: 某局\nyear: 2021\napplications:\n  received: {自然人: 1}\n")
    assert "您是否想写 “natural_person”？（自然人）" in msg


def test_every_error_is_reported_not_just_the_first() -> None:
    """Three independent mistakes give three messages, in file order."""
    msgs = errors(
        "agency: 某局\nyear: 2021\n"
        "proactive_disclosure:\n  licensing: -1\n"
        "applications:\n  received: {business: 1.5}\n"
        "review_litigation:\n  review: {totl: 1}\n"
    )
    assert [m.split(" ", 2)[1] for m in msgs] == [
        "错误[SCHEMA-RANGE]",
        "错误[SCHEMA-TYPE]",
        "错误[SCHEMA-UNKNOWN]",
    ]
    assert [m.split(":")[1] for m in msgs] == ["4", "6", "8"]


def test_yaml11_no_where_a_count_is_expected_is_explained() -> None:
    """`no` in a count cell is text, and the hint says to write 0."""
    (msg,) = errors("agency: 某局\nyear: 2021\nproactive_disclosure:\n  penalties: no\n")
    assert "实为：文本 “no”" in msg and "没有就写 0" in msg


def test_counts_must_be_integers() -> None:
    """1.0 is not a count."""
    (msg,) = errors("agency: 某局\nyear: 2021\nproactive_disclosure:\n  penalties: 1.0\n")
    assert "实为：小数 1.0" in msg


def test_fee_amounts_accept_exact_decimals() -> None:
    """行政事业性收费 in 万元 may have decimals, written as a number or as text."""
    assert errors("agency: 某局\nyear: 2021\nproactive_disclosure:\n  fees: 4068.208\n") == []
    assert errors("agency: 某局\nyear: 2021\nproactive_disclosure:\n  fees: '12.50'\n") == []


def test_negative_fees_are_refused() -> None:
    """A fee cannot be negative."""
    (msg,) = errors("agency: 某局\nyear: 2021\nother_matters:\n  fee: -5\n")
    assert "六、其他需要报告的事项 › 信息处理费（元）" in msg and "SCHEMA-RANGE" in msg


def test_missing_required_metadata_is_named_in_chinese() -> None:
    """Without agency and year the report cannot be titled."""
    msgs = errors("overview:\n  summary: 文字\n")
    assert any("缺少必填项 “机关名称”（agency）" in m for m in msgs)
    assert any("缺少必填项 “报告年度”（year）" in m for m in msgs)


def test_an_unquoted_bad_date_is_a_format_error_once() -> None:
    """published must be YYYY-MM-DD; one message, not one per keyword."""
    (msg,) = errors("agency: 某局\nyear: 2021\npublished: 2022-1-5\n")
    assert "发布日期：写法不对" in msg


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(get_format("2021").cells)),
            st.one_of(
                st.integers(-5, 10**18),
                st.decimals(allow_nan=False, allow_infinity=False, places=2),
                st.text(max_size=4),
                st.booleans(),
                st.none(),
                st.just({"x": 1}),
            ),
        ),
        max_size=4,
    )
)
def test_the_quick_check_never_passes_what_jsonschema_rejects(
    changes: list[tuple[tuple[str, ...], object]],
) -> None:
    """schema._conforms is only a shortcut: whenever it says yes, jsonschema agrees."""
    from jsonschema import Draft202012Validator

    from generator.schema import _conforms, format_schema

    data = copy.deepcopy(loads(SEED.read_bytes()).data)
    for path, value in changes:
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = value
    schema = format_schema("2021")
    if _conforms(schema, data):
        assert not list(Draft202012Validator(schema).iter_errors(data))
