"""``--format text|json|github|sarif``: findings in the form CI reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import run_cli

BROKEN = "reports/lanxi-sfj/2024.yaml"


def _break(repo: Path) -> None:
    path = repo / BROKEN
    text = path.read_text(encoding="utf-8").replace("licensing: 52", "licensing: 很多", 1)
    path.write_text(text, encoding="utf-8")


def _out(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    from generator.cli import main

    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_json_is_versioned_and_has_positions_and_fingerprints(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break(reports_repo)
    code, out = _out(capsys, "validate", "--format", "json", BROKEN)
    doc = json.loads(out)
    assert code == 1 and doc["version"] == 1 and doc["tool"]["name"] == "nianbao"
    d = doc["files"][0]["diagnostics"][0]
    assert d["file"] == BROKEN and d["line"] > 0 and d["column"] > 0
    assert {"end_line", "end_column", "key_path", "fingerprint", "label_path"} <= set(d)
    assert isinstance(d["fingerprint"], str) and d["fingerprint"]


def test_the_json_flag_is_the_json_format(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = json.loads(_out(capsys, "validate", "--json", "reports")[1])
    b = json.loads(_out(capsys, "validate", "--format", "json", "reports")[1])
    assert a == b and a["errors"] == 0


def test_a_missing_file_is_a_json_error_too(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _out(capsys, "validate", "--format", "json", "reports/nope/2024.yaml")
    doc = json.loads(out)
    assert code == 2 and doc["version"] == 1 and doc["files"] == []
    assert "文件不存在" in doc["error"]["message"] and doc["error"]["exit_code"] == 2


def test_github_annotations_name_file_line_and_column(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break(reports_repo)
    code, out = _out(capsys, "validate", "--format", "github", BROKEN)
    line = out.splitlines()[0]
    assert code == 1 and line.startswith(f"::error file={BROKEN},line=")
    head, message = line[2:].split("::", 1)
    props = dict(p.split("=", 1) for p in head.split(" ", 1)[1].split(","))
    assert int(props["line"]) > 0 and int(props["col"]) > 0 and "title" in props
    assert "\n" not in message and "%0A" in message  # a multi-line message stays one line


def test_github_escapes_what_would_end_a_property() -> None:
    from generator.errors import Diagnostic, Location
    from generator.report_formats import FileResult, render

    d = Diagnostic("warning", "X", Location("a,b:c.yaml", 3, 4), "50% 完成")
    out = render("github", [FileResult("a,b:c.yaml", True, None, [d])])
    assert out == "::warning file=a%2Cb%3Ac.yaml,line=3,col=4,title=X::50%25 完成\n"


def test_sarif_is_2_1_0_with_rules_regions_and_fingerprints(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break(reports_repo)
    code, out = _out(capsys, "validate", "--format", "sarif", BROKEN)
    doc = json.loads(out)
    assert code == 1 and doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    run = doc["runs"][0]
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    result = run["results"][0]
    assert result["ruleId"] in rules and result["level"] == "error"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == BROKEN
    assert physical["region"]["startLine"] > 0 and physical["region"]["startColumn"] > 0
    assert result["message"]["text"] and result["partialFingerprints"]


def test_sarif_meets_the_constraints_code_scanning_checks() -> None:
    """The parts of the SARIF 2.1.0 schema GitHub enforces, checked with jsonschema."""
    from jsonschema import Draft7Validator

    from generator.errors import Diagnostic, Location
    from generator.report_formats import FileResult, sarif_document

    subset = {
        "type": "object",
        "required": ["version", "runs"],
        "properties": {
            "version": {"const": "2.1.0"},
            "runs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["tool", "results"],
                    "properties": {
                        "tool": {
                            "required": ["driver"],
                            "properties": {"driver": {"required": ["name"]}},
                        },
                        "results": {
                            "type": "array",
                            "items": {
                                "required": ["message", "ruleId", "locations"],
                                "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]},
                                    "message": {"required": ["text"]},
                                    "locations": {
                                        "items": {
                                            "properties": {
                                                "physicalLocation": {
                                                    "properties": {
                                                        "region": {
                                                            "properties": {
                                                                "startLine": {"minimum": 1},
                                                                "startColumn": {"minimum": 1},
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    }
    diags = [
        Diagnostic("error", "A", Location("r/2024.yaml", 2, 3), "甲"),
        Diagnostic("warning", "B", Location("r/2024.yaml"), "乙"),  # no line: no region
    ]
    doc = sarif_document([FileResult("r/2024.yaml", False, "2021", diags)])
    assert list(Draft7Validator(subset).iter_errors(doc)) == []
    assert "region" not in doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]


def test_build_reports_findings_in_the_format_asked(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break(reports_repo)
    code, out = _out(capsys, "build", "-q", "-j", "1", "-f", "md", "--output-format", "json")
    doc = json.loads(out)
    failed = [f for f in doc["files"] if not f["valid"]]
    assert code == 1 and [f["file"] for f in failed] == [BROKEN]


def test_text_stays_the_default(reports_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _break(reports_repo)
    code, err = run_cli(capsys, "validate", BROKEN)
    assert code == 1 and "错误" in err
