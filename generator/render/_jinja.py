"""The one Jinja environment per output kind, and what every template is given.

Templates are trusted (the shipped ones, or a user's own copies passed with
``--templates``); report text is not, so HTML autoescapes everything and no
template may mark report data safe.  ``StrictUndefined`` turns a misspelt name in
a template into an error instead of a silently empty cell.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NoReturn

import jinja2
import jinja2.sandbox

from .. import narrative
from ..errors import UsageError
from ..resources import templates_dir
from ..values import cn_date
from . import pagination

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


MAX_OUTPUT = 64 * 2**20
"""Characters one user template may produce (a report renders to well under 1 MB)."""

MAX_SECONDS = 60.0
"""Time one user template may take (a report renders in milliseconds)."""


class _Exhausted(Exception):
    """A user template went over its time or size budget."""


class _Meter(threading.local):
    """The budget of the rendering in progress on this thread (None: not metered)."""

    deadline: float | None = None
    left: int = MAX_OUTPUT

    def charge(self, size: int) -> None:
        if self.deadline is None:
            return
        self.left -= size
        if self.left < 0:
            raise _Exhausted(
                f"模板的运算量或生成的内容超过上限（{MAX_OUTPUT // 2**20} Mi 步或字符），"
                "已停止（可能是死循环或过大的重复）"
            )
        if time.monotonic() > self.deadline:
            raise _Exhausted(f"模板运行超过 {MAX_SECONDS:.0f} 秒（可能是死循环），已停止")


_METER = _Meter()


def _metered_output(value: Any) -> Any:
    """Every ``{{ … }}`` output is counted against the budget (and checks the clock)."""
    _METER.charge(len(value) if isinstance(value, str) else 1)
    return value


class _UserSandbox(jinja2.sandbox.SandboxedEnvironment):
    """Jinja's sandbox for templates from ``--templates``, which may come from a cloned
    repository: no access to Python internals, and every loop, call and operator that
    could run forever or build a huge value draws on the render's budget."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        sizes = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
        ints = [x for x in (left, right) if isinstance(x, int) and not isinstance(x, bool)]
        if operator == "*" and sizes and ints:
            _METER.charge(sizes[0] * max(ints))
        elif operator == "+":
            _METER.charge(sum(sizes))
        elif operator == "**" and len(ints) == 2 and left.bit_length() * right > 100_000:
            raise _Exhausted("模板中的数字计算结果过大")
        return super().call_binop(context, operator, left, right)

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _METER.charge(1)
        return super().call(context, obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _METER.charge(0)
        return super().getattr(obj, attribute)


def _metered_range(*args: int) -> range:
    """``range`` that charges each number it will produce: nested loops cannot run forever."""
    r = jinja2.sandbox.safe_range(*args)
    _METER.charge(len(r))
    return r


def _sized(func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose width argument is charged before it pads (``center(10**9)``)."""

    @functools.wraps(func)
    def run(value: Any, *args: Any, **kwargs: Any) -> Any:
        _METER.charge(sum(a for a in (*args, *kwargs.values()) if isinstance(a, int)))
        return func(value, *args, **kwargs)

    return run


@functools.cache
def environment(kind: Kind, override: Path | None = None) -> jinja2.Environment:
    """The Jinja environment for ``kind``, built once per (kind, override directory).

    With user templates, the environment is a metered sandbox (``_UserSandbox``).
    """
    cls = jinja2.Environment if override is None else _UserSandbox
    env = cls(
        loader=jinja2.FileSystemLoader([str(p) for p in _search_path(kind, override)]),
        undefined=jinja2.StrictUndefined,
        autoescape=kind == "html",
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        finalize=None if override is None else _metered_output,
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
        "keep_rows": pagination.html_keeps,
    }
    env.filters.update(filters)
    if override is not None:
        env.globals["range"] = _metered_range
        for name in ("center", "indent", "wordwrap", "truncate", "format"):
            env.filters[name] = _sized(env.filters[name])
    return env


def render(kind: Kind, override: Path | None, name: str, **context: Any) -> str:
    """Render template ``name`` of ``kind`` with ``context``.

    A broken template (most likely a user's own, from ``--templates``) is a UsageError
    naming the template file and line, not an internal error.
    """
    if override is not None:
        _METER.deadline, _METER.left = time.monotonic() + MAX_SECONDS, MAX_OUTPUT
    try:
        return environment(kind, override).get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        where = "、".join(str(p) for p in _search_path(kind, override))
        raise UsageError(f"找不到模板 {exc.name}（查找了：{where}）") from None
    except jinja2.TemplateError as exc:
        raise UsageError(f"{_where(exc)}: 模板出错：{exc.message or exc}") from None
    except _Exhausted as exc:
        raise UsageError(f"{_where(exc)}: {exc}") from None
    except RecursionError as exc:
        raise UsageError(f"{_where(exc)}: 模板递归过深（宏调用了自己？）") from None
    except MemoryError as exc:
        raise UsageError(f"{_where(exc)}: 模板用尽了内存") from None
    except Exception as exc:
        if override is None:
            raise  # a shipped template failing is nianbao's bug: let it say so
        raise UsageError(f"{_where(exc)}: 模板出错：{type(exc).__name__}: {exc}") from None
    finally:
        _METER.deadline = None


def _where(exc: BaseException) -> str:
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
