"""Hostile narratives: templates that try to escape the sandbox or run away, and markup
that must stay text in every output.

Every case must end with exit 1 (the report is wrong) or 2 (the file or the environment
is wrong), a message that names the problem and the file, and no code run on the
report's behalf, within the bounds of ``tests/support.py`` (``SECONDS``, ``PEAK`` for
in-process runs; ``CHILD_SECONDS``, ``CHILD_RSS`` for child processes).
"""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.cli import main

from .support import CANARY, REPORT_2022, dump, measured, report_data, within_bounds, write

pytestmark = pytest.mark.usefixtures("in_tmp", "hostile_measurements")


# --------------------------------------------------------------------------- narrative


def narrative_report(tmp_path: Path, template: str) -> Path:
    data = report_data()
    data["problems"]["text"] = f"存在的问题：{template}"
    return write(tmp_path / "ag" / "2022.yaml", dump(data))


SANDBOX_ESCAPES = [
    ("{{ ''.__class__.__mro__ }}", "__class__"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "__class__"),
    ("{{ ().__class__.__base__.__subclasses__()[0] }}", "__class__"),
    ("{{ cycler.__init__.__globals__.os.popen('touch " + CANARY + "') }}", "cycler"),
    ("{{ joiner.__init__.__globals__.os.system('touch " + CANARY + "') }}", "joiner"),
    ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
    ("{{ self.__init__.__globals__ }}", "__init__"),
    ("{{ lipsum.__globals__['os'].system('touch " + CANARY + "') }}", "lipsum"),
    ("{{ request.application.__globals__ }}", "request"),
    ("{{ config.items() }}", "config"),
    ("{{ namespace.__init__ }}", "namespace"),
    ("{{ year|attr('__class__') }}", "attr"),
    ("{{ applications.__class__ }}", "applications.__class__"),
    ("{{ applications.received.total.__class__ }}", "__class__"),
    ("{{ pct.__globals__ }}", "__globals__"),
    ("{{ range.__self__ }}", "__self__"),
    ("{% for x in [1] %}{{ loop.__class__ }}{% endfor %}", "__class__"),
    ("{{ '{0.__class__}'.format(year) }}", "format"),
    ("{{ '%s' % year }}", "%"),
    ("{% include '/etc/passwd' %}", "{% include %}"),
    ("{% import '/etc/passwd' as p %}", "{% import %}"),
    ("{% extends '/etc/passwd' %}", "{% extends %}"),
    ("{% from '/etc/passwd' import x %}", "{% from … import %}"),
    ("{% for i in range(10**9) %}x{% endfor %}", "range()"),
    ("{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}", "100000"),
    ("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "{% macro %}"),
    ("{{ 'a' * 10**9 }}", "过长"),
    ("{{ ('a' * 100000) * 100000 }}", "过长"),
    ("{{ [[1] * 9999] * 9999 }}", "列表"),
    ("{{ ([1] * 10000) * 10000 }}", "过长"),
    ("{{ 9 ** 999999 }}", "过大"),
    ("{% set s = 'x' * 199999 %}{{ s|max }}", "100000"),
    ("{% set s = 'x' * 99999 %}{% for i in range(9999) %}{% if s == s ~ '' %}{% endif %}"
     "{% endfor %}", "~"),
    ("{% for i in range(9999) %}{% set t = 'x' * 199999 %}{% endfor %}", "100000"),
    ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "嵌套"),
    ("{{ '\\x07' }}", "U+0007"),
    ("{{ '\\ud800' }}", "U+D800"),
    ("{{ '\\uffff' }}", "U+FFFF"),
]  # fmt: skip


@pytest.mark.parametrize(("template", "named"), SANDBOX_ESCAPES)
def test_narrative_templates_cannot_escape_or_run_away(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str, named: str
) -> None:
    """Python internals, other files, huge loops, macros, giant values and characters a
    DOCX cannot hold: one located NARRATIVE-TEMPLATE error naming the problem, within
    2 s and 64 MiB, and nothing executed (the canary file is never created)."""
    path = narrative_report(tmp_path, template)
    code, err, seconds, peak = measured(capsys, "validate", str(path.relative_to(tmp_path)))
    assert code == 1, err
    assert re.search(r"ag/2022\.yaml:\d+:\d+: 错误\[NARRATIVE-TEMPLATE\]", err), err
    assert named in err, err
    within_bounds(seconds, peak)
    assert not (tmp_path / CANARY).exists()


def test_script_in_a_report_is_text_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``<script>``, event handlers and ``javascript:`` links from the YAML are escaped in the
    HTML (no element from the report), escaped in Markdown, and plain text in the DOCX."""
    data = report_data()
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    data["agency"] = f"某局{attack}"
    data["problems"]["text"] = (
        f"问题{attack}\n\n[点我](javascript:alert(1)) <javascript:alert(2)> "
        "[图](data:text/html,<script>alert(3)</script>)"
    )
    data["wechat"] = "</title><script>alert(4)</script>"
    path = write(tmp_path / "ag" / "2022.yaml", dump(data))
    code, err, _, _ = measured(capsys, "build", "-q", "-j", "1", "-o", "out", str(path))
    assert code == 0, err
    clean = write(tmp_path / "clean" / "2022.yaml", REPORT_2022.read_text(encoding="utf-8"))
    assert main(["build", "-q", "-j", "1", "-o", "out-clean", str(clean)]) == 0

    html = (tmp_path / "out" / "ag" / "2022.html").read_text(encoding="utf-8")
    baseline = (tmp_path / "out-clean" / "clean" / "2022.html").read_text(encoding="utf-8")
    tags, links = _elements(html), _elements(baseline)
    assert tags["script"] == links["script"], "a <script> element came from the report"
    assert tags["img"] == links["img"]
    assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*(?:javascript|data):""", html, re.I)
    assert _attr_text(html) == _attr_text(baseline), "an event handler came from the report"
    assert "&lt;script&gt;" in html

    md = (tmp_path / "out" / "ag" / "2022.md").read_text(encoding="utf-8")
    assert "<script>" not in md and not re.search(r"(?<!\\)\]\((?:javascript|data):", md)
    with zipfile.ZipFile(tmp_path / "out" / "ag" / "2022.docx") as z:
        parts = {n: z.read(n) for n in z.namelist()}
    assert b"&lt;script&gt;" in parts["word/document.xml"]
    assert not any(b"javascript:" in body for n, body in parts.items() if n.endswith(".rels"))


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs += [name for name, _ in attrs]


def _elements(html: str) -> dict[str, int]:
    p = _Collect()
    p.feed(html)
    return {"script": p.tags.get("script", 0), "img": p.tags.get("img", 0)}


def _attr_text(html: str) -> str:
    p = _Collect()
    p.feed(html)
    return " ".join(a for a in p.attrs if a.startswith("on"))
