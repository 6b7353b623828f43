"""The pages the preview draws itself: the index, a report's diagnostics, the reload hook.

Everything here is made per request and never written to disk: the built HTML stays
byte for byte what ``nianbao build`` writes, and the reload script and the notices
are spliced into the response only.  All text from reports, file names and messages
goes through Jinja's autoescaping.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from ..errors import Diagnostic, label_path, printable
from .site import Entry, Snapshot, url_of

__all__ = ["EVENTS", "diagnostics_page", "index_page", "inject", "not_found_page"]

EVENTS = "/_nianbao/events"
"""The server-sent events stream: one ``reload`` event per rebuild."""

_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:60rem;
padding:0 1rem;line-height:1.6;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3rem .6rem;
text-align:left}.ok{color:#176f2c}.warnings{color:#8a5a00}.invalid{color:#b00020}
.diagnostic{margin:0 0 1rem;padding:.5rem .8rem;border-left:4px solid #b00020;background:#fff5f5}
.diagnostic.warning{border-color:#c08000;background:#fffaf0}dl{margin:.3rem 0 0}
dt{float:left;clear:left;margin-right:.5rem;font-weight:bold}dd{margin:0}
.problem{padding:.5rem .8rem;border:2px solid #b00020;white-space:pre-wrap}
code{font-family:"Noto Sans Mono CJK SC",monospace}
"""

_BASE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ style }}</style>
</head>
<body>
{% if problem %}<div class="problem" id="nianbao-problem">{{ problem }}</div>{% endif %}
{% block body %}{% endblock %}
{{ script }}
</body>
</html>
"""

_INDEX = """{% extends "base" %}{% block body %}
<h1>{{ title }}</h1>
<p>修改报告、模板或配置并保存后，页面会自动刷新。</p>
{% if not rows %}<p>没有找到报告。</p>{% else %}
<table id="nianbao-index">
<thead><tr><th>机关</th><th>年度</th><th>状态</th><th>报告</th><th>其他格式</th></tr></thead>
<tbody>
{% for row in rows %}<tr class="{{ row.status }}" data-status="{{ row.status }}">
<td>{{ row.agency }}</td><td>{{ row.year }}</td><td class="{{ row.status }}">{{ row.label }}</td>
<td>{% if row.href %}<a href="{{ row.href }}">{{ row.name }}</a>\
{% else %}{{ row.name }}{% endif %}</td>
<td>{% for kind, href in row.downloads %}<a href="{{ href }}">{{ kind }}</a> {% endfor %}</td>
</tr>
{% endfor %}</tbody>
</table>{% endif %}
{% endblock %}"""

_DIAGNOSTICS = """{% extends "base" %}{% block body %}
<p><a href="/">全部报告</a></p>
<h1 id="nianbao-invalid">{{ title }}</h1>
<p>这份报告有错误，还不能生成；修改 <code>{{ name }}</code> 并保存后，本页会自动刷新。</p>
{% if crash %}<p class="problem">{{ crash }}</p>{% endif %}
<ol id="nianbao-diagnostics">
{% for d in diagnostics %}{{ diagnostic(d) }}{% endfor %}
</ol>
{% endblock %}"""

_DIAGNOSTIC = """{% macro diagnostic(d) %}<li class="diagnostic {{ d.severity }}" \
data-code="{{ d.code }}">
<div><code class="location">{{ d.location }}</code>
<strong>{{ severity(d) }}[{{ d.code }}]</strong>
{% if d.labels %}<span class="labels">{{ label_path(d.labels) }}</span>：{% endif %}\
<span class="message">{{ d.message }}</span>\
{% if d.severity == "warning" %} <code class="fingerprint">[fp:{{ d.fingerprint }}]</code>\
{% endif %}</div>
{% if d.expected is not none or d.found is not none or d.related or d.hint \
or d.acknowledged is not none %}<dl>
{% if d.expected is not none %}<dt>应为</dt><dd class="expected">{{ d.expected }}</dd>{% endif %}
{% if d.found is not none %}<dt>实为</dt><dd class="found">{{ d.found }}</dd>{% endif %}
{% for loc, what in d.related %}<dt><code>{{ loc }}</code></dt><dd>{{ what }}</dd>{% endfor %}
{% if d.hint %}<dt>提示</dt><dd class="hint">{{ d.hint }}</dd>{% endif %}
{% if d.acknowledged is not none %}<dt>已确认</dt><dd class="acknowledged">{{ d.acknowledged }}\
</dd>{% endif %}
</dl>{% endif %}
</li>
{% endmacro %}"""

_NOTICE = """<aside id="nianbao-notice" style="margin:0;padding:.5rem 1rem;\
background:#fffaf0;border-bottom:2px solid #c08000;font:14px/1.5 sans-serif">
{% if problem %}<div class="problem" id="nianbao-problem">{{ problem }}</div>{% endif %}
{% if warnings %}<details><summary>预览：{{ warnings | length }} 个警告</summary><ol>
{% for d in warnings %}{{ diagnostic(d) }}{% endfor %}</ol></details>{% endif %}
</aside>
"""

_NOT_FOUND = """{% extends "base" %}{% block body %}
<h1>{{ title }}</h1><p><a href="/">全部报告</a></p>
{% endblock %}"""

_SCRIPT = """<script>/* nianbao serve: reload after each rebuild (not in the built file) */
(function(){var seen="{{ generation }}";var es=new EventSource("{{ events }}");
es.addEventListener("reload",function(e){if(e.data!==seen){es.close();location.reload();}});
})();</script>"""


@functools.cache
def _env() -> jinja2.Environment:
    templates = {
        "base": _BASE,
        "index": _INDEX,
        "diagnostics": "{% from 'macros' import diagnostic %}" + _DIAGNOSTICS,
        "macros": _DIAGNOSTIC,
        "notice": "{% from 'macros' import diagnostic %}" + _NOTICE,
        "not_found": _NOT_FOUND,
        "script": _SCRIPT,
    }
    env = jinja2.Environment(
        loader=jinja2.DictLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    env.globals["label_path"] = label_path
    env.globals["severity"] = _severity
    return env


def _severity(d: Diagnostic) -> str:
    if d.severity == "error":
        return "错误"
    return "警告" if d.acknowledged is None else "警告（已确认）"


def _shown(value: Any) -> Any:
    """Text as shown: controls and bidi overrides from a file name or a value are escaped
    (as on the terminal) so they cannot reorder or hide what the page says."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return printable(value)
    return value


def _render(template: str, **context: Any) -> bytes:
    return _env().get_template(template).render(**context).encode("utf-8")


def script(generation: int) -> str:
    """The inline reload hook; the generation it was served with decides whether to reload."""
    return _env().get_template("script").render(generation=generation, events=EVENTS)


def _page(template: str, snap: Snapshot, title: str, **context: Any) -> bytes:
    hook, style = Markup(script(snap.generation)), Markup(_STYLE)  # ours, not a report's
    return _render(template, title=title, style=style, script=hook, problem=snap.problem, **context)


_STATUS = {"ok": "通过", "warnings": "{} 个警告", "invalid": "{} 个错误"}
_KINDS = {"docx": "DOCX", "md": "Markdown", "pdf": "PDF"}


def _row(entry: Entry, snap: Snapshot) -> dict[str, Any]:
    status = entry.status
    count = len(entry.warnings) if status == "warnings" else len(entry.errors)
    label = _STATUS[status].format(count)
    if status == "invalid" and entry.crash:
        label = "生成失败"
    downloads: list[tuple[str, str]] = []
    html = entry.target.outputs.get("html")
    if status != "invalid":  # an invalid report's old files no longer say what it says
        for kind, name in _KINDS.items():
            path = entry.target.outputs.get(kind)
            if kind == "pdf" and html is not None:
                path = html.with_suffix(".pdf")  # converted by the user (LibreOffice, make)
            url = url_of(path, snap.outdir) if path is not None and path.is_file() else None
            if url is not None:
                downloads.append((name, quote(url)))
    return {
        "agency": entry.agency,
        "year": entry.year,
        "status": status,
        "label": label,
        "name": entry.target.name,
        "href": _quoted(entry.url(snap.outdir, "html")),
        "downloads": downloads,
    }


def _quoted(url: str | None) -> str | None:
    """A URL path as a link: ``#``, ``?``, ``%`` and spaces in folder names stay names."""
    return None if url is None else quote(url)


def index_page(snap: Snapshot) -> bytes:
    """Every report with its status, its page and its other formats."""
    rows = [_row(e, snap) for e in snap.entries]
    return _page("index", snap, "报告预览", rows=rows)


def diagnostics_page(entry: Entry, snap: Snapshot) -> bytes:
    """Where an invalid report's page would be: every diagnostic, in the order validated."""
    errors = len(entry.errors)
    title = f"{entry.target.name}：{errors} 个错误" if errors else f"{entry.target.name}：生成失败"
    return _page(
        "diagnostics",
        snap,
        title,
        name=entry.target.name,
        crash=entry.crash,
        diagnostics=entry.diagnostics,
    )


def not_found_page(snap: Snapshot) -> bytes:
    return _page("not_found", snap, "找不到这个页面")


_BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(rb"</body\s*>", re.IGNORECASE)


def inject(html: bytes, snap: Snapshot, entry: Entry | None) -> bytes:
    """A built page as served: notices after ``<body>``, the reload hook before ``</body>``."""
    warnings = entry.warnings if entry is not None else []
    hook = script(snap.generation).encode("utf-8")
    closing = list(_BODY_CLOSE.finditer(html))
    at = closing[-1].start() if closing else len(html)
    html = html[:at] + hook + html[at:]
    if warnings or snap.problem:
        notice = _render("notice", warnings=warnings, problem=snap.problem)
        opening = _BODY_OPEN.search(html)
        start = opening.end() if opening else 0
        html = html[:start] + notice + html[start:]
    return html
