"""spec is the one interpreter of the format data: everything is parsed when a format loads."""

from __future__ import annotations

import copy
from typing import Any

from generator.spec import get_format
from generator.spec_reader import raw_formats


def _raw_2021() -> dict[str, Any]:
    return copy.deepcopy(raw_formats()["2021"])


def test_cross_year_rules_are_parsed_into_paths_and_links() -> None:
    """X-CARRY links each 上年结转 cell to last year's 结转下年度继续办理 cell."""
    carry = next(r for r in get_format("2021").cross_year if r.id == "X-CARRY")
    assert carry.this == ("applications", "carried_over")
    link = next(k for k in carry.links if k.here[-1] == "business")
    assert link.there == ("applications", "carried_forward", "business")
    assert len(carry.links) == 7  # six applicant columns and 总计


def test_roll_forward_links_name_the_cells_they_add_and_subtract() -> None:
    """X-IN-FORCE: this year's 现行有效件数 = last year's + 本年制发 − 本年废止."""
    rule = next(r for r in get_format("2021").cross_year if r.id == "X-IN-FORCE")
    first = rule.links[0]
    assert first.here == first.there == ("proactive_disclosure", "regulations", "in_force")
    assert first.plus == ("proactive_disclosure", "regulations", "issued")
    assert first.minus == ("proactive_disclosure", "regulations", "repealed")
    assert rule.carries == "现行有效件数"


def test_a_single_column_block_cell_has_no_column_level() -> None:
    """表二's 行政许可 is one number in the YAML; 规章 is a mapping of three columns."""
    table = get_format("2021").tables["proactive_disclosure"]
    paths = {
        b.title: [b.path(table.key, r, c) for r in b.rows for c in b.columns] for b in table.blocks
    }
    assert ("proactive_disclosure", "licensing") in [p for ps in paths.values() for p in ps]
    assert ("proactive_disclosure", "regulations", "issued") in [
        p for ps in paths.values() for p in ps
    ]


def test_meta_labels_come_from_the_format() -> None:
    """Messages name metadata fields by the labels in the format data."""
    fmt = get_format("2019")
    assert (fmt.meta_label("agency"), fmt.meta_label("year")) == ("机关名称", "报告年度")
