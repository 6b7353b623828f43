"""User templates (``--templates``) may come from a cloned repository: they fail with
their own file and line, never with 内部错误, and are bounded in time and size."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "reports" / "shangqiu-gxj" / "2021.yaml"


def _build_with(tmp_path: Path, body: str) -> tuple[int, str]:
    template = tmp_path / "tpl" / "markdown" / "report.md.j2"
    template.parent.mkdir(parents=True)
    template.write_text(f"第一行\n{body}\n", encoding="utf-8")
    out = str(tmp_path / "out")
    args = ["build", "-q", str(SEED), "-o", out, "-f", "md", "-j", "1", "--force"]
    return main([*args, "--templates", str(tmp_path / "tpl")]), str(template)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{{ 1/0 }}", "ZeroDivisionError"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "递归"),
        ("{{ 'x' * 10**9 }}", "上限"),
        ("{{ 'x' | center(10**9) }}", "上限"),
        ("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}", "上限"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
    ],
    ids=["zero-division", "recursion", "huge-string", "huge-padding", "endless-loop", "escape"],
)
def test_a_failing_user_template_names_its_file_and_line(
    body: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, template = _build_with(tmp_path, body)
    err = capsys.readouterr().err
    assert code == 2
    assert f"{template}:2:" in err and says in err
    assert "内部错误" not in err


def test_a_working_user_template_is_rendered(tmp_path: Path) -> None:
    code, _ = _build_with(tmp_path, "{{ report.agency }}{% for i in range(3) %}{{ i }}{% endfor %}")
    assert code == 0
    assert (
        (tmp_path / "out" / "shangqiu-gxj" / "2021.md")
        .read_text(encoding="utf-8")
        .endswith("商丘市工业和信息化局012\n")
    )
