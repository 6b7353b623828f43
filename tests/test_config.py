"""Settings: flags are merged over nianbao.toml, and the result is checked once.

Whatever a value came from, a wrong one is a usage error (exit 2) whose message
names its origin: the config file and key, or the flag.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.cli import main
from generator.config import Origin, load_config
from generator.errors import UsageError

from .conftest import SEED


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A reports repository with one report, as the current directory."""
    (tmp_path / "reports" / "a").mkdir(parents=True)
    shutil.copy(SEED, tmp_path / "reports" / "a" / "2021.yaml")
    (tmp_path / ".git").mkdir()  # stops the config search here
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _toml(repo: Path, text: str) -> None:
    (repo / "nianbao.toml").write_text(text, "utf-8")


def test_missing_reference_docx_in_the_file_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """reference_docx = "nope.docx" stops the build with exit 2 and names the file and key."""
    _toml(repo, 'reference_docx = "nope.docx"\n')
    assert main(["build", "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert "nianbao.toml: 配置项 reference_docx nope.docx: 文件不存在" in err
    assert "内部错误" not in err
    assert not (repo / "build").exists()


def test_missing_reference_docx_as_a_flag_names_the_flag(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same value given as a flag fails the same way, naming the flag."""
    assert main(["build", "--reference-docx", "nope.docx"]) == 2
    assert "--reference-docx nope.docx: 文件不存在" in capsys.readouterr().err


def test_missing_templates_folder_in_the_file_is_not_ignored(repo: Path) -> None:
    """templates = "my-templats" (a typo) is an error, not silently the shipped templates."""
    _toml(repo, 'templates = "my-templats"\n')
    with pytest.raises(UsageError, match="配置项 templates my-templats: 目录不存在"):
        load_config()


@pytest.mark.parametrize("value", ["true", "0", "-1", '"4"', "2.5"])
def test_jobs_in_the_file_must_be_a_positive_integer(repo: Path, value: str) -> None:
    """jobs = true is not one job (bool is an int in Python), and 0 is not "all cores"."""
    _toml(repo, f"jobs = {value}\n")
    with pytest.raises(UsageError, match="配置项 jobs 应为正整数"):
        load_config()


def test_jobs_flag_zero_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-j 0 is refused like jobs = 0 in the file."""
    assert main(["build", "-j", "0"]) == 2
    assert "-j/--jobs 应为正整数" in capsys.readouterr().err


def test_unknown_output_format_in_the_file_names_the_file(repo: Path) -> None:
    """formats = ["odt"] is refused before anything is planned, naming where it came from."""
    _toml(repo, 'formats = ["odt"]\n')
    with pytest.raises(UsageError, match="配置项 formats: 未知的输出格式：odt"):
        load_config()


def test_flags_override_the_file(repo: Path) -> None:
    """A flag wins over the file, and the origin of each setting is recorded."""
    _toml(repo, 'output = "site"\njobs = 3\n')
    config = load_config(flags={"output": "elsewhere", "jobs": None})
    assert config.output == repo / "elsewhere"
    assert config.jobs == 3
    assert config.origins["output"] is Origin.FLAG
    assert config.origins["jobs"] is Origin.FILE
    assert config.origins["formats"] is Origin.DEFAULT


def test_a_wrong_file_value_is_not_checked_when_a_flag_replaces_it(repo: Path) -> None:
    """Only the value in force is checked: a flag can override a broken setting."""
    _toml(repo, 'reference_docx = "nope.docx"\n')
    (repo / "style.docx").write_bytes(b"")
    config = load_config(flags={"reference_docx": "style.docx"})
    assert config.reference_docx == repo / "style.docx"


def test_paths_in_the_file_are_relative_to_the_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from a subfolder, the file's templates folder is still found beside the file."""
    (repo / "my-templates").mkdir()
    _toml(repo, 'templates = "my-templates"\n')
    monkeypatch.chdir(repo / "reports")
    assert load_config().templates == repo / "my-templates"


def test_paths_given_as_flags_are_relative_to_the_current_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flag's path is read where the user typed it."""
    (repo / "reports" / "look").mkdir()
    monkeypatch.chdir(repo / "reports")
    assert load_config(flags={"templates": "look"}).templates == repo / "reports" / "look"


def test_comma_separated_formats_flag(repo: Path) -> None:
    """-f html,md narrows the formats; blanks around commas are ignored."""
    assert load_config(flags={"formats": "html, md"}).formats == ("html", "md")


def test_a_config_file_in_the_current_directory_is_named_by_its_name(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run beside nianbao.toml, the message starts with "nianbao.toml:", not a long path."""
    _toml(repo, "jobs = 0\n")
    assert main(["build"]) == 2
    assert capsys.readouterr().err.startswith("nianbao: nianbao.toml: 配置项 jobs 应为正整数")
