"""``nianbao init`` and what ``new`` and ``validate`` do with the repository's schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import run_cli
from .support import ROOT


def test_init_creates_a_reports_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "init", "repo")[0] == 0
    repo = tmp_path / "repo"
    settings = json.loads((repo / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert settings["yaml.schemas"] == {
        "./schema/report.schema.json": ["reports/**/*.yaml", "reports/**/*.yml"]
    }
    extensions = json.loads((repo / ".vscode" / "extensions.json").read_text(encoding="utf-8"))
    assert extensions["recommendations"] == ["redhat.vscode-yaml"]
    assert "/build/" in (repo / ".gitignore").read_text(encoding="utf-8")
    assert "--with-next" in (repo / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert (repo / "Makefile").is_file() and (repo / "reports").is_dir()
    assert (repo / "nianbao.toml").is_file() and (repo / "schema" / "report.schema.json").is_file()


def test_init_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Makefile").write_text("mine\n", encoding="utf-8")
    assert run_cli(capsys, "init")[0] == 0
    assert (tmp_path / "Makefile").read_text(encoding="utf-8") == "mine\n"
    assert run_cli(capsys, "init")[0] == 0  # twice: everything kept


def test_init_does_not_write_through_a_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "victim").mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".vscode").symlink_to("../victim")
    monkeypatch.chdir(tmp_path)
    code, _ = run_cli(capsys, "init", "repo")
    assert code == 2 and list((tmp_path / "victim").iterdir()) == []


def test_the_examples_makefile_is_the_one_init_writes() -> None:
    from generator.init_repo import repository_files

    files = repository_files()
    assert (ROOT / "examples" / "Makefile").read_text(encoding="utf-8") == files[Path("Makefile")]
    workflow = (ROOT / "examples" / "ci" / "github-workflow.yml").read_text(encoding="utf-8")
    assert workflow == files[Path(".github") / "workflows" / "nianbao.yml"]


def test_new_writes_the_schema_and_points_at_it_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No schema/ yet, run from reports/: the modeline still reaches schema/ at the root."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "reports" / "某局").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "reports")
    assert run_cli(capsys, "new", "某局/2025.yaml", "--agency", "某局")[0] == 0
    text = (tmp_path / "reports" / "某局" / "2025.yaml").read_text(encoding="utf-8")
    modeline = text.splitlines()[0]
    assert modeline == "# yaml-language-server: $schema=../../schema/report.schema.json"
    target = (tmp_path / "reports" / "某局" / modeline.split("=", 1)[1]).resolve()
    assert target == (tmp_path / "schema" / "report.schema.json").resolve() and target.is_file()


def test_new_takes_the_agency_from_a_chinese_folder_name(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (reports_repo / "reports" / "测试县民政局").mkdir()
    assert run_cli(capsys, "new", "reports/测试县民政局/2025.yaml")[0] == 0
    text = (reports_repo / "reports" / "测试县民政局" / "2025.yaml").read_text(encoding="utf-8")
    assert 'agency: "测试县民政局"' in text


def test_new_keeps_the_placeholder_for_an_ascii_folder(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (reports_repo / "reports" / "abc").mkdir()
    assert run_cli(capsys, "new", "reports/abc/2025.yaml")[0] == 0
    text = (reports_repo / "reports" / "abc" / "2025.yaml").read_text(encoding="utf-8")
    assert "agency: abc" not in text


def test_validate_warns_about_a_schema_from_another_nianbao(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator.schema import schema_json

    schema = reports_repo / "schema" / "report.schema.json"
    schema.parent.mkdir()
    schema.write_text(schema_json(), encoding="utf-8")
    assert "schema" not in run_cli(capsys, "validate", "reports")[1]
    old = json.loads(schema_json())
    old["x-nianbao-version"], old["x-nianbao-digest"] = "0.0.1", "0" * 16
    schema.write_text(json.dumps(old), encoding="utf-8")
    code, err = run_cli(capsys, "validate", "reports")
    assert code == 0 and "schema/report.schema.json 由 nianbao 0.0.1 生成" in err
    assert "nianbao schema -o schema/report.schema.json" in err


def test_the_schema_carries_its_stamp() -> None:
    from generator import __version__
    from generator.schema import schema_json, schema_stamp

    version, digest = schema_stamp(schema_json())
    assert version == __version__ and digest is not None and len(digest) == 16
    committed = (ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8")
    assert committed == schema_json()


def test_every_property_has_its_label_path_for_the_editor() -> None:
    from generator.schema import format_schema

    def walk(node: dict, trail: tuple[str, ...]) -> None:
        for key, child in node.get("properties", {}).items():
            here = (*trail, child["title"])
            assert child["description"].startswith(" › ".join(here)), key
            assert child["markdownDescription"].startswith(f"**{' › '.join(here)}**")
            walk(child, here)

    walk(format_schema("2021"), ())
    third = format_schema("2021")["properties"]["applications"]["properties"]["withheld"]
    person = third["properties"]["third_party"]["properties"]["natural_person"]
    assert person["description"] == "表三 › （三）不予公开 › 4.保护第三方合法权益 › 自然人"
    assert person["errorMessage"] == "“自然人”应为不小于 0 的整数（件数）"
