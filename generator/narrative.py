"""Narrative text: the Markdown subset, figure references, and the narrative ↔ table checks.

Authors write the narrative parts of a report as a small Markdown subset.  It is parsed
once into a tiny intermediate form that the DOCX, HTML and Markdown renderers share, so
the three outputs cannot disagree about where a bold run-in head such as
``**一是强化组织保障。**`` ends.  Chinese text has no spaces between wrapped lines and
commonly closes bold right after a full stop, so the subset is defined here rather than
borrowed from CommonMark, whose flanking rules break exactly those cases.

Narrative may cite table figures as ``{{ applications.received.total }}``; such figures
are right by construction.  Templates come from report files, which are untrusted, so
they run in a locked-down sandbox with a work budget; every failure becomes a diagnostic.
Figures the author typed by hand are compared with the tables (format.md, rule R6) by the
patterns declared as data under ``narrative_checks:`` in the format file.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import re
import string
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Final, TypeAlias

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import Context, LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import Diagnostic, Location, label_path
from .spec import Format

__all__ = [
    "Block",
    "Bold",
    "Inline",
    "Link",
    "ListBlock",
    "NarrativeCheck",
    "Paragraph",
    "Text",
    "check_figures",
    "evaluate",
    "known_names",
    "load_checks",
    "parse",
    "pct",
    "plain_text",
    "to_markdown",
]

CellPath: TypeAlias = tuple[str, ...]

# --------------------------------------------------------------------------- the IR


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Bold:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """A link whose ``url`` is http(s) or mailto; other schemes never become links."""

    url: str
    children: tuple[Inline, ...]


Inline: TypeAlias = Text | Bold | Link


@dataclass(frozen=True, slots=True)
class Paragraph:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class ListBlock:
    ordered: bool
    items: tuple[tuple[Inline, ...], ...]


Block: TypeAlias = Paragraph | ListBlock

# --------------------------------------------------------------------------- parsing

_PUNCT: Final = frozenset(string.punctuation)
_BULLET = re.compile(r"[-*][ \t]+(?=\S)")
_ORDERED = re.compile(r"[0-9]{1,9}[.)][ \t]+(?=\S)")
_URL = re.compile(r"(?:https?://|mailto:)[^\s<>*\\]+", re.IGNORECASE)
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^\s<>*\\]+)>", re.IGNORECASE)


def parse(text: str) -> tuple[Block, ...]:
    """Parse narrative Markdown; anything outside the subset is kept as literal text.

    A blank line ends a paragraph.  A line starting with ``- ``, ``* ``, ``1. `` or
    ``1) `` starts a list item, even straight after a paragraph; other lines continue
    the open paragraph or item.  Items of one kind separated by blank lines stay one
    list, so an ordered list keeps counting.
    """
    blocks: list[Block] = []
    para: list[str] = []
    items: list[list[str]] = []
    ordered = gap = False

    def flush() -> None:
        if para:
            blocks.append(Paragraph(_inlines(_join(para))))
        elif items:
            blocks.append(ListBlock(ordered, tuple(_inlines(_join(i)) for i in items)))
        para.clear()
        items.clear()

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            if para:
                flush()
            gap = True
            continue
        marker = _BULLET.match(line) or _ORDERED.match(line)
        if marker:
            is_ordered = line[0] not in "-*"
            if not items or is_ordered != ordered:
                flush()
                ordered = is_ordered
            items.append([line[marker.end() :]])
        elif items and not gap:
            items[-1].append(line)
        else:
            if items:
                flush()
            para.append(line)
        gap = False
    flush()
    return tuple(blocks)


def _join(lines: list[str]) -> str:
    """Join wrapped lines: Chinese needs no space, but two ASCII words do."""
    parts = [lines[0]]
    for line in lines[1:]:
        if _word_char(parts[-1][-1]) and _word_char(line[0]):
            parts.append(" ")
        parts.append(line)
    return "".join(parts)


def _word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _inlines(s: str, bold: bool = True, link: bool = True) -> tuple[Inline, ...]:
    """Inline markup, left to right; bold never nests in bold, links never in links."""
    out: list[Inline] = []
    buf: list[str] = []
    i, n = 0, len(s)
    while i < n:
        node: Inline | None = None
        if s[i] == "\\" and i + 1 < n and s[i + 1] in _PUNCT:
            buf.append(s[i + 1])
            i += 2
            continue
        if bold and s.startswith("<strong>", i):
            close = s.find("</strong>", i + 8)
            if close > i + 8:
                node, j = Bold(_inlines(s[i + 8 : close], bold=False, link=link)), close + 9
        if node is None and bold and s.startswith("**", i):
            end = _closing_stars(s, i + 2)
            if end is None or end == i + 2:
                buf.append("**")
                i += 2
                continue
            node, j = Bold(_inlines(s[i + 2 : end], bold=False, link=link)), end + 2
        elif link and s[i] in "[<":
            found = _link_at(s, i, bold)
            if found:
                node, j = found
        if node is None:
            buf.append(s[i])
            i += 1
            continue
        if buf:
            out.append(Text("".join(buf)))
            buf.clear()
        out.append(node)
        i = j
    if buf:
        out.append(Text("".join(buf)))
    return tuple(out)


def _closing_stars(s: str, i: int) -> int | None:
    while i < len(s) - 1:
        if s[i] == "\\" and s[i + 1] in _PUNCT:
            i += 2
        elif s[i] == "*" and s[i + 1] == "*":
            return i
        else:
            i += 1
    return None


def _link_at(s: str, i: int, bold: bool) -> tuple[Link, int] | None:
    """A link starting at ``s[i]`` and the index after it; None if there is none."""
    if s[i] == "<":
        m = _AUTOLINK.match(s, i)
        return (Link(m[1], (Text(m[1]),)), m.end()) if m else None
    j, n = i + 1, len(s)
    while j < n and s[j] != "]":
        j += 2 if s[j] == "\\" and j + 1 < n and s[j + 1] in _PUNCT else 1
    if j >= n or j == i + 1 or not s.startswith("(", j + 1):
        return None
    depth = 0
    for k in range(j + 2, n):
        if s[k] == "(":
            depth += 1
        elif s[k] == ")":
            if not depth:
                url = s[j + 2 : k]
                if not _URL.fullmatch(url):
                    return None  # javascript:, data:, file: ... stay literal text
                return Link(url, _inlines(s[i + 1 : j], bold=bold, link=False)), k + 1
            depth -= 1
    return None


# --------------------------------------------------------------------------- writing back

_ESCAPE = re.compile(r"([\\`*_\[\]<>|&~!])")
_LINE_START = re.compile(r"[-+#]|[0-9]+(?=[.)](?:\s|$))")


def to_markdown(blocks: tuple[Block, ...]) -> str:
    """Normalised Markdown for ``blocks``; ``parse`` reads it back to the same blocks.

    Every literal character that this parser or a CommonMark reader could take as
    markup is backslash-escaped, so the Markdown output shows what the DOCX shows.
    """
    chunks: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            chunks.append(_md_line(block.inlines))
        else:
            chunks.append(
                "\n".join(
                    f"{f'{n}.' if block.ordered else '-'} {_md_line(item)}"
                    for n, item in enumerate(block.items, 1)
                )
            )
    return "\n\n".join(chunks) + "\n" if chunks else ""


def _md_line(inlines: tuple[Inline, ...]) -> str:
    line = _md_inlines(inlines)
    m = _LINE_START.match(line)
    if m:  # would read as a heading or a list marker
        at = m.end() if line[0].isdigit() else 0
        line = f"{line[:at]}\\{line[at:]}"
    return line


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _delimits(inner: str, before: str, after: str) -> bool:
    """Whether ``**inner**`` between ``before`` and ``after`` is bold to CommonMark.

    A run-in head such as ``**一是强化组织保障。**我局`` is not: a closing ``**`` after
    punctuation must be followed by a space or punctuation.  Those get ``<strong>``.
    """
    if not inner or inner[0].isspace() or inner[-1].isspace():
        return False
    if _is_punct(inner[0]) and before and not (before.isspace() or _is_punct(before)):
        return False
    return not (_is_punct(inner[-1]) and after and not (after.isspace() or _is_punct(after)))


def _md_inlines(inlines: tuple[Inline, ...]) -> str:
    parts: list[str] = []
    for k, node in enumerate(inlines):
        if isinstance(node, Text):
            parts.append(_ESCAPE.sub(r"\\\1", node.text))
        elif isinstance(node, Bold):
            inner = _md_inlines(node.children)
            before = parts[-1][-1:] if parts else ""
            after = _md_inlines(inlines[k + 1 : k + 2])[:1]
            ok = _delimits(inner, before, after)
            parts.append(f"**{inner}**" if ok else f"<strong>{inner}</strong>")
        elif node.children == (Text(node.url),):
            parts.append(f"<{node.url}>")
        else:
            parts.append(f"[{_md_inlines(node.children)}]({node.url})")
    return "".join(parts)


def plain_text(blocks: tuple[Block, ...]) -> str:
    """The words alone: markup dropped, link text kept, one list item per line."""

    def flat(inlines: tuple[Inline, ...]) -> str:
        return "".join(n.text if isinstance(n, Text) else flat(n.children) for n in inlines)

    chunks = [
        flat(b.inlines)
        if isinstance(b, Paragraph)
        else "\n".join(
            f"{f'{n}.' if b.ordered else '•'} {flat(item)}" for n, item in enumerate(b.items, 1)
        )
        for b in blocks
    ]
    return "\n\n".join(chunks)


# --------------------------------------------------------------------------- figure references

_MAX_RANGE: Final = 10_000
_MAX_OUTPUT: Final = 200_000
_MAX_STEPS: Final = 100_000
_MAX_BITS: Final = 10_000
_FILTERS: Final = ("abs", "count", "d", "default", "first", "int", "last", "length", "max",
                   "min", "round", "sum")  # fmt: skip
_LOOP_GUARD: Final = "_nianbao_loop_guard"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""What a DOCX cannot hold; string literals in a template can make it with escapes."""
_TEMPLATE_MARK = re.compile(r"\{[{%#]")
_REFUSED: Final[tuple[tuple[type[nodes.Node], str], ...]] = (
    (nodes.Include, "{% include %}：叙述不能引入其他文件或模板"),
    (nodes.Import, "{% import %}：叙述不能引入其他文件或模板"),
    (nodes.FromImport, "{% from … import %}：叙述不能引入其他文件或模板"),
    (nodes.Extends, "{% extends %}：叙述不能引入其他文件或模板"),
    (nodes.Block, "{% block %}：叙述不是模板文件，不需要定义区块"),
    (nodes.Macro, "{% macro %}：叙述中不支持定义宏"),
    (nodes.CallBlock, "{% call %}：叙述中不支持调用宏"),
    (nodes.FilterBlock, "{% filter %}：请对单个数据使用过滤器，如 {{ x|abs }}"),
    (nodes.AssignBlock, "块形式的 {% set %}…{% endset %}：请用 {% set x = … %}"),
    (nodes.Concat, "“~” 拼接：把两段直接写在一起即可，如 {{ a }}{{ b }}"),
)


class _Refused(SecurityError):
    """Something the narrative sandbox will not do; the message is written for the author."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.lineno = lineno


class _UnknownData(UndefinedError):
    """Narrative named data the report does not have; the message is the dotted name."""


class _Scope(Mapping[str, Any]):
    """A read-only view of one level of the context that knows its dotted name."""

    __slots__ = ("_data", "path")

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self._data, self.path = data, path

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key], f"{self.path}.{key}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def _wrap(value: Any, path: str) -> Any:
    return _Scope(value, path) if isinstance(value, Mapping) else value


class _Budget:
    """The work one rendering may do, shared by every loop and ``range()`` in it."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = _MAX_STEPS

    def range(self, *args: int) -> range:
        r = range(*args)
        try:
            size = len(r)
        except OverflowError:
            size = _MAX_RANGE + 1
        if size > _MAX_RANGE:
            raise _Refused(f"range() 最多产生 {_MAX_RANGE} 个数，这里要产生 {size} 个以上")
        return r

    def loop(self, iterable: Any, weight: int = 1) -> list[Any]:
        """The items of a loop; each costs ``weight`` steps, the size of the loop body."""
        items = []
        for item in iterable:
            self.charge(weight)
            items.append(item)
        return items

    def charge(self, steps: int) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise _Refused(f"叙述中的循环和计算量超过 {_MAX_STEPS} 步，已停止计算")


_CURRENT: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "nianbao_budget", default=None
)


def _metered(func: Any) -> Any:
    """A filter that charges the budget one step per item it may go through (``max``…)."""

    @functools.wraps(func)  # keeps Jinja's pass_environment mark
    def run(*args: Any, **kwargs: Any) -> Any:
        budget = _CURRENT.get()
        if budget is not None:
            budget.charge(
                1 + sum(len(a) for a in args if isinstance(a, str | list | tuple | range | Mapping))
            )
        return func(*args, **kwargs)

    return run


def pct(part: Any, whole: Any, digits: Any = 1) -> str:
    """``part`` as a percentage of ``whole``: ``pct(1, 3)`` is "33.3%", ``pct(1, 2)`` is "50%".

    Rounds half up, as people do by hand; an all-zero fraction is dropped, and a zero
    whole gives "0%" rather than an error because reports say 0% when nothing came in.
    """
    p, w = _decimal(part), _decimal(whole)
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 6:
        raise _Refused(f"pct() 的小数位数应是 0 到 6 的整数，实为 {digits!r}")
    if w == 0:
        return "0%"
    with localcontext() as ctx:
        ctx.prec = 40
        value = (p * 100 / w).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{value:f}"
    if "." in text and not text.split(".")[1].strip("0"):
        text = text.split(".")[0]
    return f"{text}%"


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        what = f"一组数据 “{value.path}”" if isinstance(value, _Scope) else repr(value)
        raise _Refused(f"pct() 的参数应是数字，实为 {what}")
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def _finalize(value: Any) -> Any:
    if isinstance(value, _Scope):
        raise _Refused(f"“{value.path}” 是一组数据，不能直接写进正文；请写到其中具体的一项")
    if isinstance(value, list | tuple | range | Mapping):  # str() of nested lists can be huge
        raise _Refused("一组值（列表）不能直接写进正文；请写到其中具体的一项")
    if value is not None and not isinstance(value, str | int | float | Decimal | Undefined):
        # Jinja objects such as ``self`` or ``loop`` would print their Python repr.
        raise _Refused("正文中只能写出数字和文字")
    return value


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed to what a narrative needs: read data, do sums.

    Attribute access works only on the report data and ``loop``; calls only reach
    ``pct`` and ``range``; operators that can build huge values are size-checked.
    """

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=_finalize,
        )
        self.globals.clear()
        self.filters = {name: _metered(self.filters[name]) for name in _FILTERS}
        self.filters["pct"] = pct

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        sizes = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
        ints = [x for x in (left, right) if isinstance(x, int)]
        if operator == "%" and isinstance(left, str):
            raise _Refused("叙述中不支持用 % 格式化文字；百分比请用 pct(部分, 总数)")
        if operator == "+" and sum(sizes) > _MAX_OUTPUT:
            raise _Refused("叙述中拼接出的文字过长")
        if operator == "*" and sizes and ints and sizes[0] * max(ints) > _MAX_OUTPUT:
            raise _Refused("叙述中重复出的文字过长")
        items = sum(sizes) if operator == "+" else sizes[0] * max(ints, default=1) if sizes else 0
        if items > _MAX_RANGE and any(isinstance(x, list | tuple) for x in (left, right)):
            raise _Refused(f"叙述中构造的列表超过 {_MAX_RANGE} 项")
        if operator in ("*", "**") and len(ints) == 2:
            bits = (
                left.bit_length() * right if operator == "**" else sum(x.bit_length() for x in ints)
            )
            if bits > _MAX_BITS:
                raise _Refused("叙述中的数字计算结果过大")
        result = super().call_binop(context, operator, left, right)
        budget = _CURRENT.get()
        if budget is not None and isinstance(result, str | list | tuple):
            budget.charge(len(result) // 1000)  # copying long values costs time too
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, _Scope):
            return self._child(obj, attribute)
        if isinstance(obj, LoopContext):
            return super().getattr(obj, attribute)
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        raise _Refused(f"叙述中不能读取 {type(obj).__name__} 值的属性 “{attribute}”")

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, _Scope) and isinstance(argument, str):
            return self._child(obj, argument)
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        if isinstance(obj, str | list | tuple | range) and isinstance(argument, int | slice):
            try:
                return obj[argument]
            except IndexError:
                raise _Refused(f"下标 {argument} 超出范围") from None
        raise _Refused(f"叙述中不能这样取值：{type(obj).__name__}[{argument!r}]")

    def _child(self, scope: _Scope, key: str) -> Any:
        if key in scope:
            return scope[key]
        return self.undefined(hint=f"{scope.path}.{key}", name=key, exc=_UnknownData)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        if obj is pct or isinstance(getattr(obj, "__self__", None), _Budget):
            return context.call(obj, *args, **kwargs)
        name = getattr(obj, "__name__", type(obj).__name__)
        raise _Refused(f"叙述中不能调用 {name}()；只能引用数据，计算百分比请用 pct()")


@functools.cache
def _sandbox() -> _Sandbox:
    return _Sandbox()


def known_names(context: Mapping[str, Any]) -> list[str]:
    """Every dotted name the context offers, groups as well as figures, in document order."""
    names: list[str] = []

    def walk(level: Mapping[str, Any], prefix: str) -> None:
        for key, value in level.items():
            names.append(prefix + key)
            if isinstance(value, Mapping):
                walk(value, f"{prefix}{key}.")

    walk(context, "")
    return names


def evaluate(
    text: str,
    context: Mapping[str, Any],
    *,
    where: Location,
    labels: tuple[str, ...],
    block: bool = False,
) -> tuple[str, list[Diagnostic]]:
    """Expand ``{{ … }}`` figure references; on failure, the text unchanged and one error.

    ``where`` is the YAML location of the value; ``block`` says it is a ``|`` block
    scalar, whose text starts on the next line, so a line inside the template can be
    mapped to a line of the file.
    """
    if not _TEMPLATE_MARK.search(text):
        return text, []
    simple = _simple(text, context)
    if simple is not None:
        return simple, []
    env, budget = _sandbox(), _Budget()
    try:
        tree = env.parse(text)
        for kind, reason in _REFUSED:
            for node in tree.find_all(kind):
                raise _Refused(f"叙述中不能使用 {reason}", node.lineno)
        for loop in tree.find_all(nodes.For):  # every loop draws on the budget
            guard = nodes.Name(_LOOP_GUARD, "load", environment=env)
            # An iteration costs as many steps as the body has nodes: a long body of
            # comparisons of long texts cannot run 100 000 times.
            weight = nodes.Const(
                1 + sum(1 + sum(1 for _ in n.find_all(nodes.Node)) for n in loop.body)
            )
            loop.iter = nodes.Call(guard, [loop.iter, weight], [], None, None, environment=env)
            loop.iter.set_lineno(loop.lineno)
        template = env.from_string(
            tree, globals={"range": budget.range, "pct": pct, _LOOP_GUARD: budget.loop}
        )
        token = _CURRENT.set(budget)
        try:
            return _render(template, {k: _wrap(v, k) for k, v in context.items()}), []
        finally:
            _CURRENT.reset(token)
    except Exception as exc:  # noqa: BLE001 - every failure, even an unforeseen one, is a diagnostic
        message, hint = _explain(exc, context)
        lineno = getattr(exc, "lineno", None) or _template_line(exc)
        diag = Diagnostic(
            "error", "NARRATIVE-TEMPLATE", _at(where, lineno, block), message, labels, hint=hint
        )
        return text, [diag]


_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_SIMPLE_REF = re.compile(rf"\{{\{{\s*({_NAME})(?:\s*\|\s*pct\(\s*({_NAME})\s*\))?\s*\}}\}}")


def _simple(text: str, context: Mapping[str, Any]) -> str | None:
    """Expand text whose only markup is ``{{ a.b }}`` or ``{{ a.b | pct(c.d) }}``.

    Nearly every narrative is like that, and compiling a Jinja template per paragraph
    costs more than all the rest of validation.  Anything else (a loop, a filter, a
    name that does not resolve to a figure) returns None and takes the sandbox path,
    which also explains errors.
    """
    if "{%" in text or "{#" in text:
        return None

    def value(name: str) -> Any:
        node: Any = context
        for part in name.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise LookupError(name)
            node = node[part]
        if isinstance(node, Mapping | bool) or node is None:
            raise LookupError(name)
        return node

    out: list[str] = []
    literal: list[str] = []
    at = 0
    for m in _SIMPLE_REF.finditer(text):
        try:
            figure = value(m[1])
            shown = pct(figure, value(m[2])) if m[2] else str(figure)
        except (LookupError, _Refused):
            return None
        literal.append(text[at : m.start()])
        out += [literal[-1], shown]
        at = m.end()
    literal.append(text[at:])
    if any(_TEMPLATE_MARK.search(seg) or seg.endswith("{") for seg in literal):
        return None
    return "".join([*out, literal[-1]])


def _render(template: Template, context: dict[str, Any]) -> str:
    out: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > _MAX_OUTPUT:
            raise _Refused(f"叙述展开后超过 {_MAX_OUTPUT} 个字符，已停止计算")
        out.append(chunk)
    text = "".join(out)
    bad = _CONTROL.search(text)
    if bad:
        raise _Refused(
            f"叙述展开后含有不可见的控制字符 U+{ord(bad[0]):04X}（来自模板中的转义写法）"
        )
    return text


def _explain(exc: Exception, context: Mapping[str, Any]) -> tuple[str, str | None]:
    """The author's message and hint for a failed template."""
    detail = str(exc)[:200]
    if isinstance(exc, _Refused):
        return detail, "叙述只能引用本报告的数据（如 {{ applications.received.total }}）和 pct()"
    if isinstance(exc, TemplateSyntaxError):
        m = re.match(r"No (filter|test) named '([^']+)'", exc.message or "")
        if m and m[1] == "filter":
            return f"叙述中不能使用过滤器 “{m[2]}”", f"可用的过滤器：{'、'.join(_FILTERS)}、pct"
        return f"叙述中的模板写法有误：{exc.message}", (
            "引用数据的写法是 {{ applications.received.total }}；"
            "正文要写 “{{” 本身时，请写成 {{ '{{' }}"
        )
    if isinstance(exc, UndefinedError):
        m = re.fullmatch(r"'([^']+)' is undefined", detail)
        name = detail if isinstance(exc, _UnknownData) else m[1] if m else None
        if name is None:
            return f"叙述中引用了不存在的数据（{detail}）", None
        names = known_names(context)
        same = [n for n in names if n.count(".") == name.count(".")] or names
        close = difflib.get_close_matches(name, same, n=1, cutoff=0.6)
        return f"叙述中引用了不存在的数据 “{name}”", f"是否应为 “{close[0]}”？" if close else None
    if isinstance(exc, SecurityError):
        return f"叙述中的写法不安全，已拒绝执行：{detail}", None
    if isinstance(exc, RecursionError):
        return "叙述中的表达式嵌套过深", None
    if isinstance(exc, ZeroDivisionError):
        return "叙述中的计算除数为 0", "计算百分比请用 pct(部分, 总数)，总数为 0 时得 0%"
    return f"叙述中的表达式无法计算：{type(exc).__name__}: {detail}", None


def _template_line(exc: BaseException) -> int | None:
    """The template line of a runtime error, from the frames Jinja rewrites for templates."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _at(where: Location, lineno: int | None, block: bool) -> Location:
    """Line ``lineno`` of a narrative value that starts at ``where``."""
    if not block or not lineno or not where.line:
        return where
    return Location(where.file, where.line + lineno, 1)


# --------------------------------------------------------------------------- narrative ↔ tables

_OPENERS: Final = ("{{", "{%", "{#")
_CLOSERS: Final = {"{": "}}", "%": "%}", "#": "#}"}
_SENTENCE_END = re.compile(r"[。；;！？!?\n]")
_QUOTE_MAX: Final = 60


@dataclass(frozen=True, slots=True)
class NarrativeCheck:
    """One ``narrative_checks`` entry of a format, compiled.

    The written number must equal the sum of one of ``alternatives``; with
    ``percent_of`` it is a percentage of that sum over the ``percent_of`` sum; with
    ``expect_zero`` the pattern has no number and claims those cells are all 0.
    """

    id: str
    label: str
    regex: re.Pattern[str]
    alternatives: tuple[tuple[CellPath, ...], ...] = ()
    percent_of: tuple[CellPath, ...] = ()
    expect_zero: tuple[CellPath, ...] = ()
    hint: str | None = None


def load_checks(fmt: Format) -> tuple[NarrativeCheck, ...]:
    """Compile a format's ``narrative_checks``; a bad entry is a bug in the format file."""
    if fmt.id not in _CHECKS:
        _CHECKS[fmt.id] = tuple(_compile_check(raw, fmt) for raw in fmt.narrative_checks)
    return _CHECKS[fmt.id]


_CHECKS: dict[str, tuple[NarrativeCheck, ...]] = {}
"""Compiled once per format and process: they are the same for every report."""


def _compile_check(raw: Mapping[str, Any], fmt: Format) -> NarrativeCheck:
    cid = str(raw["id"])

    def cells(names: list[str]) -> tuple[CellPath, ...]:
        # A group row names the sum of its sub-rows: applications.withheld.total is every
        # （三）不予公开 sub-row's 总计, in whichever format has that group.
        paths: list[CellPath] = []
        for name in names:
            p = tuple(str(name).split("."))
            found = (
                [p]
                if p in fmt.cells
                else [c for c in fmt.cells if c[: len(p) - 1] == p[:-1] and c[-1] == p[-1]]
            )
            if not found:
                raise ValueError(f"narrative_checks {cid}: 表中没有单元格 {name}")
            paths.extend(found)
        return tuple(paths)

    units = "|".join(re.escape(str(u)) for u in raw.get("units", ()))
    regex = re.compile(str(raw["pattern"]) + (rf"\s*(?:{units})" if units else ""))
    check = NarrativeCheck(
        id=cid,
        label=str(raw["label"]),
        regex=regex,
        alternatives=tuple(cells(a) for a in raw.get("any_of", ()))
        or ((cells(raw["cells"]),) if "cells" in raw else ()),
        percent_of=cells(raw.get("percent_of", [])),
        expect_zero=cells(raw.get("expect_zero", [])),
        hint=raw.get("hint"),
    )
    if regex.groups != (0 if check.expect_zero else 1) or not (
        check.alternatives or check.expect_zero
    ):
        raise ValueError(f"narrative_checks {cid}: 模式的捕获组或单元格声明不正确")
    return check


def check_figures(
    raw_text: str,
    values: Mapping[CellPath, int | Decimal],
    fmt: Format,
    *,
    where: Location,
    block: bool,
    labels: tuple[str, ...],
) -> list[Diagnostic]:
    """Warn where a number the author typed disagrees with the tables.

    ``raw_text`` is the narrative before expansion: figures written as ``{{ … }}`` are
    right by construction and are masked out, as is Markdown markup.  ``values`` holds
    every table cell's value, 0 for omitted cells.
    """
    clean, spans = _mask(raw_text)
    ends = [m.start() for m in _SENTENCE_END.finditer(clean)]
    found: list[tuple[int, Diagnostic]] = []
    for check in load_checks(fmt):
        for m in check.regex.finditer(clean):
            verdict = None if "\n" in m[0] else _judge(check, m, values, fmt)
            if verdict is None:
                continue
            tail, expected, written, hint = verdict
            at = m.start(1) if check.regex.groups else m.start()
            k = bisect_left(ends, at)
            start, stop = (ends[k - 1] + 1 if k else 0), (ends[k] if k < len(ends) else len(clean))
            lo, hi = start, stop
            if stop - start > _QUOTE_MAX:  # a long sentence: quote the clauses of the match
                lo = max(start, clean.rfind("，", 0, m.start()) + 1)
                hi = min(stop, _find(clean, "，", m.end()))
            quote = raw_text[spans[lo][0] : spans[hi - 1][1]].replace("**", "").strip()
            quote = ("…" if lo > start else "") + quote + ("…" if hi < stop else "")
            line = raw_text.count("\n", 0, spans[at][0]) + 1
            found.append((at, Diagnostic(
                "warning", check.id, _at(where, line, block), f"叙述写“{quote}”，但{tail}",
                labels, expected=expected, found=written, hint=hint,
            )))  # fmt: skip
    return [d for _, d in sorted(found, key=lambda f: f[0])]


def _judge(
    check: NarrativeCheck, m: re.Match[str], values: Mapping[CellPath, int | Decimal], fmt: Format
) -> tuple[str, str, str, str | None] | None:
    """None when the match agrees with the tables, else (message tail, expected, found, hint)."""

    def total(paths: tuple[CellPath, ...]) -> Decimal:
        return sum((Decimal(values.get(p, 0)) for p in paths), Decimal(0))

    if check.expect_zero:
        value = total(check.expect_zero)
        tail = f"{_name(check.expect_zero, fmt)} 为 {value}"
        return None if value == 0 else (tail, "0", str(value), check.hint)
    if check.percent_of:
        written = Decimal(m[1])
        part, whole = total(check.alternatives[0]), total(check.percent_of)
        exponent = written.as_tuple().exponent
        quantum = Decimal(1).scaleb(min(0, exponent if isinstance(exponent, int) else 0))
        ratio = part * 100 / whole if whole else Decimal(0)
        expected = ratio.quantize(quantum, ROUND_HALF_UP)
        if written in (expected, ratio.quantize(quantum, ROUND_DOWN)):
            return None
        tail = (
            f"{_name(check.alternatives[0], fmt)} 为 {part}，"
            f"占 {_name(check.percent_of, fmt)}（{whole}）的 {expected}%"
        )
        return tail, f"{expected}%", f"{written}%", check.hint
    number = int(m[1])
    sums = [(alt, total(alt)) for alt in check.alternatives]
    if any(number == value for _, value in sums):
        return None
    (first, value), others = sums[0], sums[1:]
    hint = check.hint
    if others:
        also = "；".join(f"{_name(alt, fmt)} 为 {v}" for alt, v in others)
        hint = f"{hint}（{also}）" if hint else f"也核对了：{also}"
    return f"{_name(first, fmt)} 为 {value}", str(value), str(number), hint


def _name(paths: tuple[CellPath, ...], fmt: Format) -> str:
    """How a message names cells: label paths, or a group and a count for many cells."""
    labels = [fmt.cells[p].labels for p in paths]
    first, head, tail = labels[0], 0, 0
    while all(len(lab) > head + 1 and lab[head] == first[head] for lab in labels):
        head += 1
    while all(len(lab) > head + tail + 1 and lab[-1 - tail] == first[-1 - tail] for lab in labels):
        tail += 1
    if len(labels) <= 2 or not head or not tail:
        return " + ".join(label_path(lab) for lab in labels)
    group = f"{first[head - 1]}（{len(labels)} 项之和）"
    return label_path((*first[: head - 1], group, *first[len(first) - tail :]))


def _find(text: str, sub: str, start: int) -> int:
    at = text.find(sub, start)
    return len(text) if at < 0 else at


_PLAIN_RUN = re.compile(r"[^{\\*\]<]+")
"""Characters that cannot start markup or a template in ``_mask``."""


def _mask(raw: str) -> tuple[str, list[tuple[int, int]]]:
    """``raw`` with templates masked and markup removed, and each kept character's raw span.

    A ``{{ … }}`` becomes one ``＿`` (so the figure it stands for is never matched) plus
    the line breaks inside it, so that lines still correspond.
    """
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    i, n = 0, len(raw)
    while i < n:
        plain = _PLAIN_RUN.match(raw, i)
        if plain and plain.end() > i:  # ordinary text, copied in one go
            k = plain.end()
            chars.append(raw[i:k])
            spans.extend(zip(range(i, k), range(i + 1, k + 1), strict=True))
            i = k
            continue
        j = i + 1
        close = raw.find(_CLOSERS[raw[i + 1]], i + 2) if raw.startswith(_OPENERS, i) else -1
        if close >= 0:
            j = close + 2
            breaks = raw.count("\n", i, j)
            chars.append("＿" + "\n" * breaks)
            spans.extend([(i, j)] * (1 + breaks))
        elif raw[i] == "\\" and i + 1 < n and raw[i + 1] in _PUNCT:
            j = i + 2
            chars.append(raw[i + 1])
            spans.append((i, j))
        elif raw.startswith("**", i):
            j = i + 2
        elif raw.startswith("](", i) and (close := raw.find(")", i)) >= 0:
            j = close + 1
        elif (m := _AUTOLINK.match(raw, i)) is not None:
            j = m.end()
        else:
            chars.append(raw[i])
            spans.append((i, j))
        i = j
    return "".join(chars), spans
