"""The development corpus (../shared/corpus): every figure as transcribed, attachment pages refused.

Skipped with the reason when the corpus is not beside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.cli import main
from generator.importer import Unreadable, import_file

from .import_fixtures import as_truth, truth_figures
from .support import ROOT

CORPUS = ROOT.parent / "shared" / "corpus"
TRUTH = sorted((CORPUS / "truth").glob("*.json")) if CORPUS.is_dir() else []

pytestmark = pytest.mark.skipif(not TRUTH, reason=f"corpus not found at {CORPUS}")


def _truth(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


READABLE = [p for p in TRUTH if _truth(p)["readable"]]
REFUSED = [p for p in TRUTH if not _truth(p)["readable"]]


@pytest.mark.parametrize("truth_path", READABLE, ids=lambda p: p.stem)
def test_every_figure_of_a_readable_document_equals_its_transcription(truth_path: Path) -> None:
    truth = _truth(truth_path)
    imported = import_file(CORPUS / "files" / str(truth["file"]))
    expected = truth_figures(truth)
    got = {path: as_truth(imported.figure(path)) for path in expected}
    assert got == expected
    assert imported.fmt.id == truth["format"]
    assert imported.meta.year == truth["year"]
    assert not imported.missing


@pytest.mark.parametrize("truth_path", READABLE, ids=lambda p: p.stem)
def test_the_fee_stated_in_section_six_is_read(truth_path: Path) -> None:
    truth = _truth(truth_path)
    imported = import_file(CORPUS / "files" / str(truth["file"]))
    fee = truth["section6_fee_yuan"]
    assert imported.fields.get("fee") == (None if fee is None else str(fee))


@pytest.mark.parametrize("truth_path", REFUSED, ids=lambda p: p.stem)
def test_a_document_without_readable_figures_is_refused_not_zero_filled(
    truth_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CORPUS / "files" / str(_truth(truth_path)["file"])
    with pytest.raises(Unreadable, match="附件"):
        import_file(source)
    assert main(["import", str(source), "-o", str(tmp_path)]) == 2
    assert "附件" in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.yaml"))


def test_check_over_the_corpus_finds_nothing_on_the_clean_report_and_refuses_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(CORPUS / "files" / str(_truth(p)["file"])) for p in TRUTH]
    code = main(["check", "--format", "json", "-j", "2", *files])
    results = json.loads(capsys.readouterr().out)
    by_file = {Path(r["file"]).name: r for r in results}
    for path in TRUTH:
        truth = _truth(path)
        result = by_file[str(truth["file"])]
        if truth["readable"]:
            known = truth["known_errors"]
            assert isinstance(known, list)
            errors = [f for f in result["findings"] if f["severity"] == "error"]
            assert len(errors) >= len(known)
            if not known:
                assert errors == []
        else:
            assert result["error"]
    assert code == 2  # an unreadable source is in the set


ALL_TRUTH = TRUTH + (sorted((CORPUS / "truth_only").glob("*.json")) if CORPUS.is_dir() else [])
READABLE_TRUTH = [p for p in ALL_TRUTH if _truth(p)["readable"]]
RULES = {"R1": "T3-BALANCE", "R3": "T3-COLUMN-TOTAL", "R2": "T3-ROW-TOTAL", "R4": "T4-GROUP-TOTAL"}


def _printed(value: object) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("truth_path", READABLE_TRUTH, ids=lambda p: p.stem)
def test_a_page_printing_a_case_imports_as_transcribed_and_check_finds_its_errors(
    truth_path: Path, tmp_path: Path
) -> None:
    """Every case, also those kept as figures only, printed as a portal page by our fixture."""
    from generator.importer.check import check_one

    from . import import_fixtures as F

    truth = _truth(truth_path)
    figures = truth_figures(truth)
    rep = F.report(
        str(truth["format"]), agency=str(truth["agency"]), year=int(str(truth["year"])),
        values={p: _printed(v) for p, v in figures.items()},
    )  # fmt: skip
    page = tmp_path / f"{truth_path.stem}.html"
    page.write_text(F.to_html(rep), "utf-8")
    imported = import_file(page)
    got = {
        p: imported.figure(p).printed if isinstance(v, str) else as_truth(imported.figure(p))
        for p, v in figures.items()
    }
    assert got == figures
    result = check_one(str(page))
    assert not any(f.code.startswith("SCHEMA") for f in result.findings), result.findings
    found = {(f.code, f.column) for f in result.findings if f.severity == "error"}
    known = truth["known_errors"]
    assert isinstance(known, list)
    for error in known:
        rule, _, where = str(error["where"]).partition(" ")
        if rule in ("R1", "R3"):
            column = where.split()[-1]
            assert any(code == RULES[rule] and col == column for code, col in found), found
