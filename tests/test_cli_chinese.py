"""Help and usage errors in Chinese, with did-you-mean; -q/-v on every command."""

from __future__ import annotations

import argparse

import pytest

from generator.cli import _parser, main

ENGLISH = (
    "usage:",
    "positional arguments",
    "options:",
    "show this help",
    "invalid choice",
    "unrecognized arguments",
    "the following arguments are required",
    "error:",
)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("argv", [["--help"], ["build", "--help"], ["validate", "-h"]])
def test_help_has_no_english_from_argparse(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, text = _run(capsys, *argv)
    assert code == 0 and "用法：" in text and "选项：" in text and "显示本帮助并退出" in text
    assert not [e for e in ENGLISH if e in text], text


def test_a_mistyped_command_suggests_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _run(capsys, "biuld")
    assert code == 2 and "无效的选择：'biuld'" in text and "是不是想用 build？" in text
    assert not [e for e in ENGLISH if e in text], text


def test_a_mistyped_option_suggests_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _run(capsys, "validate", "--stirct", "x.yaml")
    assert code == 2 and "无法识别的参数：--stirct" in text and "--strict" in text


def test_a_missing_argument_is_named_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _run(capsys, "validate")
    assert code == 2 and "缺少必需的参数：PATH" in text


def test_a_bad_number_is_named_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _run(capsys, "build", "-j", "x")
    assert code == 2 and "无效的整数值：'x'" in text


def test_argparse_elsewhere_keeps_its_own_language() -> None:
    """The translation is switched on only inside nianbao's parser."""
    _parser()
    other = argparse.ArgumentParser(prog="other")
    assert "usage:" in other.format_usage() and "show this help" in other.format_help()


def test_every_command_takes_quiet_and_verbose() -> None:
    from generator.cli_parser import subcommands

    for name, sub in subcommands(_parser()).items():
        assert {"-q", "-v"} <= set(sub._option_string_actions), name


@pytest.mark.parametrize("shell", ["bash", "zsh", "powershell"])
def test_completion_scripts_name_every_command(
    capsys: pytest.CaptureFixture[str], shell: str
) -> None:
    code, text = _run(capsys, "completion", shell)
    assert code == 0
    for word in ("validate", "build", "init", "--output-format", "--with-next"):
        assert word in text, word


def test_the_bash_completion_completes_commands(capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import subprocess

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("没有 bash")
    _, script = _run(capsys, "completion", "bash")
    probe = script + '\nCOMP_WORDS=(nianbao bu); COMP_CWORD=1; _nianbao; echo "${COMPREPLY[@]}"\n'
    out = subprocess.run([bash, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["build"]


def test_results_on_stdout_findings_on_stderr(
    reports_repo: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """As ruff: what was found on stderr, the outcome (通过, the summary) on stdout."""
    path = "reports/lanxi-sfj/2024.yaml"
    assert main(["validate", path]) == 0
    out, err = capsys.readouterr()
    assert f"{path}: 通过" in out and "检查了 1 个文件" in out and "通过" not in err
