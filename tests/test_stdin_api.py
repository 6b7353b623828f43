"""``validate -`` reads standard input; ``import nianbao`` offers load, validate, render."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .support import ROOT

REPORT = "reports/lanxi-sfj/2024.yaml"


def test_stdin_is_checked_as_the_file_it_names(
    reports_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor's unsaved buffer: last year's file beside --stdin-filename is compared."""
    from generator.cli import main

    text = (reports_repo / REPORT).read_text(encoding="utf-8")
    text = text.replace("carried_over: {natural_person: 3,", "carried_over: {natural_person: 9,")
    stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    capsys.readouterr()
    code = main(["validate", "--format", "json", "--stdin-filename", REPORT, "-"])
    doc = json.loads(capsys.readouterr().out)
    codes = {d["code"] for d in doc["files"][0]["diagnostics"]}
    assert code == 1 and doc["files"][0]["file"] == REPORT and "X-CARRY" in codes


def test_the_api_validates_and_renders(reports_repo: Path) -> None:
    import nianbao

    result = nianbao.validate(REPORT)
    assert result.ok and result.report is not None
    html = nianbao.render(result.report, "html")
    assert html.startswith(b"<!DOCTYPE html>") and "澜溪市司法局".encode() in html
    assert nianbao.load(REPORT).data["agency"] == "澜溪市司法局"


def test_the_api_reports_findings_as_data(reports_repo: Path) -> None:
    import nianbao

    result = nianbao.validate("reports/x/2024.yaml", data="agency: 某局\nyear: 2024\nx: 1\n")
    assert not result.ok and all(isinstance(d, nianbao.Diagnostic) for d in result.diagnostics)
    with pytest.raises(nianbao.UsageError):
        nianbao.render(nianbao.validate(REPORT).report, "odt")  # type: ignore[arg-type]


def test_importing_nianbao_is_cheap_and_typed() -> None:
    """The package marks itself typed and imports neither python-docx nor jsonschema."""
    code = "import sys, nianbao; print('docx' in sys.modules, 'jsonschema' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]
    assert (ROOT / "nianbao" / "py.typed").is_file() and (ROOT / "generator" / "py.typed").is_file()
