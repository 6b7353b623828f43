"""The claims engine on real published reports (``../shared/corpus``, when present).

Each truth file lists the narrative claims a person read in the report (quote, value, the
cells referred to) and the publisher's known errors.  The engine must find every listed
claim with the same value and cells, report every ``N`` known error with its severity, and
raise nothing on the claims that agree with the tables — nor on the whole narrative of the
one report whose full text is in the corpus.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from generator.claims import Claim, extract
from generator.claims_check import Placement, check_narrative
from generator.claims_vocab import Vocabulary
from generator.errors import Location
from generator.spec import get_format

from .conftest import ROOT

CORPUS = ROOT.parent / "shared" / "corpus"
TRUTHS = sorted([*CORPUS.glob("truth/*.json"), *CORPUS.glob("truth_only/*.json")])
pytestmark = pytest.mark.skipif(not TRUTHS, reason=f"没有开发语料库（{CORPUS}）")

COLUMNS = ["natural_person", "business", "research", "nonprofit", "legal_service", "other_org"]
COLUMN_NAMES = dict(
    zip(["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
        [*COLUMNS, "total"], strict=True)
)  # fmt: skip
ROWS = {
    "new": "received", "carried_over": "carried_over", "granted": "granted",
    "partly_granted": "partial", "total": "total", "carry_forward": "carried_forward",
    "withheld": "withheld", "unavailable": "unavailable", "not_processed": "not_processed",
    "other": "other_handling",
    "withheld_state_secret": "withheld.state_secret",
    "withheld_prohibited_by_law": "withheld.prohibited_by_law",
    "withheld_three_safeties": "withheld.three_safeties",
    "withheld_third_party": "withheld.third_party",
    "withheld_internal_affairs": "withheld.internal_affairs",
    "withheld_process_info": "withheld.process_info",
    "withheld_enforcement_files": "withheld.enforcement_file",
    "withheld_query_matters": "withheld.inquiry",
    "unavailable_not_held": "unavailable.not_held",
    "unavailable_needs_creation": "unavailable.needs_creation",
    "unavailable_unclear": "unavailable.unclear",
    "not_processed_petition": "not_processed.petition",
    "not_processed_repeated": "not_processed.repeated",
    "not_processed_publications": "not_processed.publication",
    "not_processed_massive_repeated": "not_processed.excessive",
    "not_processed_confirm_reissue": "not_processed.confirmation",
    "other_no_correction": "other_handling.no_correction",
    "other_fee_unpaid": "other_handling.unpaid_fee",
    "other_misc": "other_handling.other",
}  # fmt: skip
GROUPS = {"review": "review", "litigation_direct": "direct_suit",
          "litigation_after_review": "suit_after_review"}  # fmt: skip
OUTCOMES = dict(zip(["维持", "纠正", "其他", "尚未审结", "总计"],
                    ["upheld", "corrected", "other", "pending", "total"], strict=True))  # fmt: skip
T2 = {"punishment": "penalties", "made": "new_made", "published": "new_published",
      "total_public": "total_published", "prev_items": "previous_items",
      "fees_wan_yuan": "fees"}  # fmt: skip


def number(raw: Any) -> Decimal | None:
    """A cell as the claims engine sees it: blank, lost ("?") and odd strings are unreadable."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def values_of(truth: dict[str, Any]) -> dict[tuple[str, ...], Decimal | None]:
    """The truth file's figures under nianbao's YAML cell paths."""
    out: dict[tuple[str, ...], Decimal | None] = {}
    for row, cells in truth["t3"]["rows"].items():
        for col, raw in zip([*COLUMNS, "total"], cells, strict=True):
            out[("applications", *ROWS[row].split("."), col)] = number(raw)
    for group, cells in truth["t4"].items():
        for col, raw in zip(OUTCOMES.values(), cells, strict=True):
            out[("review_litigation", GROUPS[group], col)] = number(raw)
    for key, raw in truth["t2"].items():
        if isinstance(raw, dict):
            for col, v in raw.items():
                out[("proactive_disclosure", T2.get(key, key), T2.get(col, col))] = number(v)
        else:
            out[("proactive_disclosure", T2.get(key, key))] = number(raw)
    out[("other_matters", "fee")] = number(truth.get("section6_fee_yuan"))
    return out


def cells_of(refers_to: str, vocab: Vocabulary) -> set[tuple[str, ...]]:
    """The leaf cells a truth file's ``refers_to`` (t3.new.总计+…) sums."""
    out: set[tuple[str, ...]] = set()
    for ref in refers_to.split("+"):
        table, row, col = ref.strip().split(".")
        if table == "t3":
            cols = COLUMNS[1:] if col == "法人或其他组织" else [COLUMN_NAMES[col]]
            for c in cols:
                out |= group_cells(("applications", *ROWS[row].split("."), c), vocab)
        elif table == "t4":
            out.add(("review_litigation", GROUPS[row], OUTCOMES[col]))
        else:
            out |= group_cells(("proactive_disclosure", T2.get(row, row), T2.get(col, col)), vocab)
    return out


def group_cells(path: tuple[str, ...], vocab: Vocabulary) -> set[tuple[str, ...]]:
    if path in vocab.labels:
        return {path}
    if path[1] == "normative_documents" and path[-1] == "issued" and path not in vocab.labels:
        return group_cells((*path[:-1], "new_made"), vocab)  # the 2019 format's 本年新制作
    return {c for c in vocab.labels if c[: len(path) - 1] == path[:-1] and c[-1] == path[-1]}


def load(path: Path) -> tuple[dict[str, Any], Vocabulary]:
    truth = json.loads(path.read_text(encoding="utf-8"))
    vocab = get_format(truth["format"]).claims
    assert vocab is not None
    return truth, vocab


def claims_listed() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in TRUTHS:
        truth = json.loads(path.read_text(encoding="utf-8"))
        out += [(path.name, c) for c in truth.get("narrative_claims", ())]
    return out


def matches(claim: Claim, listed: dict[str, Any], cells: set[tuple[str, ...]]) -> bool:
    """Whether the engine's claim is the one listed: same cells and same statement."""
    if set(claim.readings[0]) != cells:
        return False
    value = Decimal(str(listed["value"]))
    if claim.kind in ("count", "amount", "percent"):
        return claim.written is not None and claim.written * claim.factor == value
    if claim.kind == "none":
        return value == 0
    return claim.kind == "some" and value > 0


CLAIMS = claims_listed()


@pytest.mark.parametrize(("name", "listed"), CLAIMS, ids=[c["quote"][:16] for _, c in CLAIMS])
def test_every_listed_claim_is_found_with_its_value_and_cells(
    name: str, listed: dict[str, Any]
) -> None:
    _, vocab = load(next(p for p in TRUTHS if p.name == name))
    claims, _, _ = extract(listed["quote"], vocab)
    cells = cells_of(listed["refers_to"], vocab)
    assert any(matches(c, listed, cells) for c in claims), [
        (c.kind, c.written, c.readings[0]) for c in claims
    ]


def place() -> Placement:
    return Placement(Location("corpus", 1, 1))


@pytest.mark.parametrize("path", TRUTHS, ids=[p.stem for p in TRUTHS])
def test_known_narrative_errors_are_found_and_no_others(path: Path) -> None:
    """Each ``N`` known error is reported with its severity; the other claims raise nothing."""
    truth, vocab = load(path)
    values = values_of(truth)
    known = {k["where"]: k for k in truth.get("known_errors", ()) if k["where"].startswith("N ")}
    for listed in truth.get("narrative_claims", ()):
        where = f"N {listed['section']} «{listed['quote']}» → {listed['refers_to']}"
        found = check_narrative(listed["quote"], vocab, values.get, place=place())
        if where in known:
            assert [d.severity for d in found] == [known[where]["severity"]], where
        else:
            assert found == [], where


def narrative_of(page: str) -> str:
    """The text of a published HTML report around its tables, one paragraph per line."""
    body = page[page.index("TRS_Editor") :]
    body = re.sub(r"<table.*?</table>", "\n", body, flags=re.S)
    body = re.sub(r"<(script|style).*?</\1>", "", body, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "\n", body))
    lines = [line.strip() for line in text.split("\n")]
    return "\n\n".join(line for line in lines if line)


@pytest.mark.parametrize(
    "path", [p for p in TRUTHS if p.parent.name == "truth"], ids=lambda p: p.stem
)
def test_a_whole_published_narrative_raises_no_false_alarm(path: Path) -> None:
    """Every sentence of a real report whose text agrees with its tables: no finding at all."""
    truth, vocab = load(path)
    page = (CORPUS / "files" / truth["file"]).read_text(encoding="utf-8")
    if "TRS_Editor" not in page:
        pytest.skip("page without report text")
    text = narrative_of(page)
    assert check_narrative(text, vocab, values_of(truth).get, place=place()) == []
    claims, _, _ = extract(text, vocab)
    for listed in truth.get("narrative_claims", ()):
        cells = cells_of(listed["refers_to"], vocab)
        assert any(matches(c, listed, cells) for c in claims), listed["quote"]


def falsified(
    truth: dict[str, Any], listed: dict[str, Any], vocab: Vocabulary
) -> dict[tuple[str, ...], Decimal | None]:
    """The truth file's tables changed so that the listed claim no longer holds."""
    values = values_of(truth)
    cells = sorted(cells_of(listed["refers_to"], vocab))
    if Decimal(str(listed["value"])) > 0 and listed["refers_to"].startswith("t3.carry_forward"):
        return {**values, **dict.fromkeys(cells, Decimal(0))}  # 结转下年度办理 with none carried
    first = values.get(cells[0]) or Decimal(0)
    return {**values, cells[0]: first + 1}


@pytest.mark.parametrize(("name", "listed"), CLAIMS, ids=[c["quote"][:16] for _, c in CLAIMS])
def test_every_listed_claim_is_reported_once_the_tables_contradict_it(
    name: str, listed: dict[str, Any]
) -> None:
    truth, vocab = load(next(p for p in TRUTHS if p.name == name))
    found = check_narrative(
        listed["quote"], vocab, falsified(truth, listed, vocab).get, place=place()
    )
    assert [d.location for d in found] == [Location("corpus", 1, 1)]
