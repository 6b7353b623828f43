"""The claim vocabulary is format data, compiled and checked when a format loads."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from generator.spec import FormatDataError, get_format
from generator.spec_reader import load_format, raw_formats


def _raw(fmt_id: str = "2021") -> dict[str, Any]:
    return copy.deepcopy(raw_formats()[fmt_id])


def test_both_formats_carry_a_compiled_vocabulary() -> None:
    for fmt_id in ("2019", "2021"):
        vocab = get_format(fmt_id).claims
        assert vocab is not None
        assert vocab.words["不予公开"].term is not None
        assert "negations" in vocab.words["没有"].roles


def test_a_term_naming_a_missing_cell_fails_when_the_format_loads() -> None:
    """Every combination of axis values is expanded at load, so a typo cannot wait for a report."""
    raw = _raw()
    term = next(t for t in raw["claims"]["terms"] if t["id"] == "granted")
    term["set"] = {"row": "grantd"}
    with pytest.raises(FormatDataError, match="在表中没有对应的单元格"):
        load_format(raw)


def test_a_word_given_to_two_terms_fails_when_the_format_loads() -> None:
    raw = _raw()
    term = next(t for t in raw["claims"]["terms"] if t["id"] == "partial")
    term["words"].append("予以公开")
    with pytest.raises(FormatDataError, match="同时属于"):
        load_format(raw)


def test_a_term_setting_an_axis_its_frame_lacks_fails_when_the_format_loads() -> None:
    raw = _raw()
    term = next(t for t in raw["claims"]["terms"] if t["id"] == "review")
    term["set"] = {"row": "received"}
    with pytest.raises(FormatDataError, match="不是 review_litigation 的维度"):
        load_format(raw)


def test_the_2019_format_states_only_its_differences() -> None:
    """2019: no 信息处理费 or 收费金额 frames, 表二 documents count 本年新制作, one （六） row."""
    vocab = get_format("2019").claims
    assert vocab is not None
    assert "fee" not in vocab.frames and "fees" not in vocab.frames
    issued = vocab.words["制发"].term
    assert issued is not None and issued.reading == {"measure": ("new_made",)}
    assert "逾期不补正" not in vocab.words
    assert vocab.frames["decisions"].template == "proactive_disclosure.{item}.decisions"


def test_group_paths_stand_for_the_cells_under_them() -> None:
    vocab = get_format("2021").claims
    assert vocab is not None
    frame = vocab.frames["applications"]
    cells = vocab.expand(frame, {"row": ("withheld",), "column": ("total",)})
    assert len(cells) == 8 and all(c[1] == "withheld" and c[-1] == "total" for c in cells)
