"""Figure references in narrative text: ``{{ applications.received.total }}``.

Narrative may cite table figures instead of typing them, so text and tables cannot
disagree.  Report files are untrusted, so the references run in a locked-down Jinja
sandbox with a work budget, and every failure becomes a located diagnostic.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import re
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Final

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import Context, LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import Diagnostic, Location
from .source import _FORBIDDEN
from .values import Blank, Dash, Unreadable, describe_mark

__all__ = ["evaluate", "known_names", "pct"]

# --------------------------------------------------------------------------- figure references

_MAX_RANGE: Final = 10_000
_MAX_OUTPUT: Final = 200_000
_MAX_STEPS: Final = 100_000
_MAX_BITS: Final = 10_000
_FILTERS: Final = ("abs", "count", "d", "default", "first", "int", "last", "length", "max",
                   "min", "round", "sum")  # fmt: skip
_LOOP_GUARD: Final = "_nianbao_loop_guard"
_CONTROL = _FORBIDDEN
"""What a DOCX cannot hold (the characters source refuses in YAML): string literals in a
template can make them with escapes."""
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
    if isinstance(value, Blank | Dash | Unreadable):
        return _Marked(value, path)
    return _Scope(value, path) if isinstance(value, Mapping) else value


class _Marked:
    """A reference to a cell printed blank, with a dash or unreadable: it has no figure."""

    __slots__ = ("mark", "path")

    def __init__(self, mark: Blank | Dash | Unreadable, path: str) -> None:
        self.mark, self.path = mark, path

    def refuse(self) -> _Refused:
        return _Refused(
            f"“{self.path}” 在表中是{describe_mark(self.mark)}，没有数字可以写进正文；"
            "请改写这句话，或先在表中填上数字"
        )


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
    if isinstance(value, _Marked):
        raise value.refuse()
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        what = f"一组数据 “{value.path}”" if isinstance(value, _Scope) else repr(value)
        raise _Refused(f"pct() 的参数应是数字，实为 {what}")
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def _finalize(value: Any) -> Any:
    if isinstance(value, _Marked):
        raise value.refuse()
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

    intercepted_binops = frozenset({"*", "**", "+", "%", "-", "/", "//"})

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
        for side in (left, right):
            if isinstance(side, _Marked):
                raise side.refuse()
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
        if isinstance(node, Mapping | bool | Blank | Dash | Unreadable) or node is None:
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
