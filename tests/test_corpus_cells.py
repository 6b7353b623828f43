"""Every case of the development corpus (../shared/corpus) as a nianbao report.

Each truth file is turned into YAML (tests/support.py: truth_report; test code, not
product code), validated beside the other years of the same agency, and checked: each
known error of the publisher on its cell with its severity, nothing else but the
not-assessable warnings a case with "?" cells must give (narrative N-* findings aside:
the truth files carry no narrative), and every figure printed as it was published in
DOCX, HTML and Markdown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.validate import Outcome, check_file

from .support import (
    CORPUS,
    docx_figures,
    html_figures,
    known_error_subject,
    markdown_cells,
    markdown_expected,
    printed_figures,
    report_despite_errors,
    truth_cells,
    truth_printed,
    truth_report,
)

CASES = sorted([*CORPUS.glob("truth/*.json"), *CORPUS.glob("truth_only/*.json")])
pytestmark = pytest.mark.skipif(not CASES, reason=f"the corpus is not here ({CORPUS})")

UNASSESSABLE = {"R-UNASSESSABLE", "W-UNREADABLE"}
"""What a case with unreadable cells must say besides its known errors."""


def _case(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, Any], Outcome]]:
    """Every case written as reports/<agency>/<year>.yaml (so last year's is found) and checked."""
    root = tmp_path_factory.mktemp("corpus")
    written: dict[str, tuple[dict[str, Any], Path]] = {}
    for path in CASES:
        case = _case(path)
        agency = case["id"].split("_")[2]  # 2020_pingtan_gaj_html: gaj
        target = root / agency / f"{case['year']}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(truth_report(case), encoding="utf-8")
        written[case["id"]] = (case, target)
    return {cid: (case, check_file(target)) for cid, (case, target) in written.items()}


def _ids() -> list[str]:
    return [p.stem for p in CASES]


def _unreadable(case: dict[str, Any]) -> bool:
    return "?" in truth_cells(case).values()


def _previous_unreadable(case: dict[str, Any]) -> bool:
    """Last year's case of the same agency has "?" cells: the cross-year checks skip them."""
    cases = [_case(p) for p in CASES]
    return any(
        c["agency"] == case["agency"] and c["year"] == case["year"] - 1 and _unreadable(c)
        for c in cases
    )


@pytest.mark.parametrize("cid", _ids())
def test_each_known_error_is_reported_on_its_cell_with_its_severity(
    outcomes: dict[str, tuple[dict[str, Any], Outcome]], cid: str
) -> None:
    case, outcome = outcomes[cid]
    found = {(d.code, d.subject): d for d in outcome.diagnostics}
    for known in case["known_errors"]:
        key = known_error_subject(known["where"])
        assert key in found, (known["where"], sorted(found))
        assert found[key].severity == known["severity"]


@pytest.mark.parametrize("cid", _ids())
def test_nothing_else_is_found(
    outcomes: dict[str, tuple[dict[str, Any], Outcome]], cid: str
) -> None:
    """No false alarm: only the known errors and, for "?" cells, the skipped checks."""
    case, outcome = outcomes[cid]
    known = {known_error_subject(k["where"]) for k in case["known_errors"]}
    allowed = UNASSESSABLE if _unreadable(case) else set()
    if _previous_unreadable(case):
        allowed |= {"R-UNASSESSABLE"}
    others = [
        d.format()
        for d in outcome.diagnostics
        if (d.code, d.subject) not in known
        and d.code not in allowed
        and not d.code.startswith("N-")
    ]
    assert others == []


@pytest.mark.parametrize("cid", _ids())
def test_unreadable_cases_say_which_checks_were_skipped(
    outcomes: dict[str, tuple[dict[str, Any], Outcome]], cid: str
) -> None:
    case, outcome = outcomes[cid]
    codes = {d.code for d in outcome.diagnostics}
    skipped = [d for d in outcome.diagnostics if d.code == "R-UNASSESSABLE"]
    if _unreadable(case):  # skipped checks only where a rule needs a "?" cell
        assert "W-UNREADABLE" in codes
        assert all(d.severity == "warning" for d in skipped)
    elif _previous_unreadable(case):
        assert "W-UNREADABLE" not in codes
        assert skipped and all(d.subject and d.subject.startswith("X-") for d in skipped)
    else:
        assert codes.isdisjoint(UNASSESSABLE)


@pytest.mark.parametrize("cid", _ids())
def test_figures_survive_docx_html_and_markdown_as_printed(
    outcomes: dict[str, tuple[dict[str, Any], Outcome]], cid: str
) -> None:
    """Blanks blank, dashes as printed, "?" as "?", even where the publisher's sums are wrong."""
    case, outcome = outcomes[cid]
    assert outcome.source is not None
    report = outcome.report or report_despite_errors(outcome.source)
    expected = {p: truth_printed(v) for p, v in truth_cells(case).items()}
    printed = printed_figures(report)
    assert {p: printed[p] for p in expected} == expected
    assert {p: t for p, t in docx_figures(report).items() if p in expected} == expected
    assert {p: t for p, t in html_figures(report).items() if p in expected} == expected
    assert markdown_cells(report) == markdown_expected(report)
