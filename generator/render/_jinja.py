"""The one Jinja environment per output kind, and what every template is given.

Templates are trusted (the shipped ones, or a user's own copies passed with
``--templates``); report text is not, so HTML autoescapes everything and no
template may mark report data safe.  ``StrictUndefined`` turns a misspelt name in
a template into an error instead of a silently empty cell.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NoReturn

import jinja2

from .. import narrative
from ..errors import UsageError
from ..resources import templates_dir
from ..values import cn_date

__all__ = ["Kind", "environment", "render"]

Kind = Literal["html", "markdown"]


def _unknown_node(node: object) -> NoReturn:
    """Fail loudly on a narrative node no template knows, rather than drop its text."""
    raise TypeError(f"no template handles narrative node {type(node).__name__}")


def _is(cls: type) -> Callable[[object], bool]:
    return lambda value: isinstance(value, cls)


_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _safe_url(url: object) -> bool:
    """Links may leave the page only for the web or e-mail, never ``javascript:`` and kin."""
    return isinstance(url, str) and url.strip().lower().startswith(_SAFE_SCHEMES)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_MD_LINE_START = re.compile(r"[-+=]|[0-9]+(?=[.)])")


def _md_inline(text: object) -> str:
    """Text inside a Markdown line: every character Markdown could act on escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _md_text(text: object) -> str:
    """Text that may open a line: ``md_inline``, plus a leading list or underline marker.

    A line starting ``-``, ``+``, ``1.`` or ``=`` would become a list or a heading.
    """
    escaped = _md_inline(text)
    m = _MD_LINE_START.match(escaped)
    if m:
        at = m.end() if escaped[0].isdigit() else 0
        escaped = f"{escaped[:at]}\\{escaped[at:]}"
    return escaped


def _md_cell(text: object) -> str:
    """Text for one pipe-table cell: escaped like ``md_inline`` (``|`` included), on one line."""
    return _md_inline(" ".join(str(text).split()))


def _search_path(kind: Kind, override: Path | None) -> list[Path]:
    """User templates first (``DIR/<kind>/`` then ``DIR/``), the shipped ones last."""
    paths: list[Path] = []
    if override is not None:
        if (override / kind).is_dir():
            paths.append(override / kind)
        paths.append(override)
    paths.append(templates_dir() / kind)
    return paths


@functools.cache
def environment(kind: Kind, override: Path | None = None) -> jinja2.Environment:
    """The Jinja environment for ``kind``, built once per (kind, override directory)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in _search_path(kind, override)]),
        undefined=jinja2.StrictUndefined,
        autoescape=kind == "html",
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    tests: dict[str, Callable[..., bool]] = {
        "paragraph": _is(narrative.Paragraph),
        "list_block": _is(narrative.ListBlock),
        "text_node": _is(narrative.Text),
        "bold_node": _is(narrative.Bold),
        "link_node": _is(narrative.Link),
        "safe_url": _safe_url,
    }
    env.tests.update(tests)
    env.globals["unknown_node"] = _unknown_node
    filters: dict[str, Callable[..., Any]] = {
        "cn_date": cn_date,
        "markdown": narrative.to_markdown,
        "md_cell": _md_cell,
        "md_text": _md_text,
    }
    env.filters.update(filters)
    return env


def render(kind: Kind, override: Path | None, name: str, **context: Any) -> str:
    """Render template ``name`` of ``kind`` with ``context``.

    A broken template (most likely a user's own, from ``--templates``) is a UsageError
    naming the template file and line, not an internal error.
    """
    try:
        return environment(kind, override).get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        where = "、".join(str(p) for p in _search_path(kind, override))
        raise UsageError(f"找不到模板 {exc.name}（查找了：{where}）") from None
    except jinja2.TemplateError as exc:
        raise UsageError(f"{_where(exc)}: 模板出错：{exc.message or exc}") from None


def _where(exc: jinja2.TemplateError) -> str:
    """``file:line`` of the template line that failed, from the error or its traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    where = "模板"
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".j2", ".css")):
            where = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where
