"""Reading a report's YAML strictly, keeping the line and column of every value.

PyYAML follows YAML 1.1, whose implicit typing turns ``no`` into False, ``010`` into
8 and ``2022-01-20`` into a date, and it keeps the last of two duplicate keys.  An
author never means any of that, so this module composes the node tree with libyaml
and builds the data itself: duplicate keys, octal-looking numbers, aliases, unknown
tags and over-deep nesting become diagnostics naming the line; floats become exact
Decimals; dates stay text.  Positions go into a side table keyed by path, so the
schema, the rules and the model see plain dicts.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic, InvalidReport, Location, UsageError
from .yaml_messages import explain

__all__ = ["MAX_BYTES", "Source", "load", "loads", "read_report"]

MAX_BYTES = 2 * 1024 * 1024
"""Reports are tens of kilobytes; anything this large is a mistake or an attack."""

MAX_DEPTH = 32
"""A report nests five levels deep; deeper input is refused before it can exhaust the stack."""

MAX_ERRORS = 200
"""A file with thousands of errors is not a report; listing the first ones is enough."""

MAX_DIGITS = 40
"""Numbers are counts and sums of money; longer ones (or exponents beyond this) are refused
before they can be expanded into millions of digits."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser and composer without YAML 1.1 implicit typing.

    PyYAML's resolver runs Python regexes on every plain scalar and its answers are
    the YAML 1.1 traps; ``_plain_tag`` decides instead, once, with nianbao's rules.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level table


_PLAIN_TAGS = (
    ("null", re.compile(r"~|null|Null|NULL|")),
    ("bool", re.compile(
        r"true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N"
    )),
    ("int", re.compile(r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*)")),
    ("float", re.compile(
        r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    )),
)  # fmt: skip
"""What a plain (unquoted) scalar is, by its text; anything else is text."""


def _plain_tag(text: str) -> str:
    for name, pattern in _PLAIN_TAGS:
        if pattern.fullmatch(text):
            return _T + name
    return _T + "str"


DataPath = tuple[str | int, ...]

_BOOL_WORDS = {"yes", "no", "on", "off", "y", "n"}
_INT_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_T = "tag:yaml.org,2002:"


@dataclass(slots=True)
class Source:
    """A loaded report: the plain data plus where each value was written."""

    name: str
    data: Any
    positions: dict[DataPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[DataPath, tuple[int, int]] = field(default_factory=dict)
    blocks: frozenset[DataPath] = frozenset()
    """Paths written as block scalars (``|`` or ``>``), whose text starts on the next line."""
    path: Path | None = None
    styles: dict[DataPath, tuple[str, int]] = field(default_factory=dict)
    """Each scalar's style (``|``, ``>``, ``"``, ``'``, or ``""`` when plain) and the column its
    text starts at (a block's indentation), so a finding can point inside a narrative."""

    def locate(self, path: DataPath, *, key: bool = False) -> Location:
        """The location of ``path``, or of its nearest written ancestor."""
        p = tuple(path)
        table = self.key_positions if key else self.positions
        while p:
            if p in table:
                line, col = table[p]
                return Location(self.name, line, col)
            if p in self.positions:
                line, col = self.positions[p]
                return Location(self.name, line, col)
            p = p[:-1]
        line, col = self.positions.get((), (1, 1))
        return Location(self.name, line, col)

    def written(self, path: DataPath) -> bool:
        """Whether the author wrote a non-empty value at ``path``."""
        node: Any = self.data
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return node is not None


def load(path: Path, name: str | None = None) -> Source:
    """Read and parse one report file; raises InvalidReport or UsageError."""
    shown = name or str(path)
    src = loads(read_report(path, shown), shown)
    src.path = path
    return src


def read_report(path: Path, shown: str) -> bytes:
    """The bytes of a report file, with the checks ``load`` makes (regular file, size)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"{shown}: 文件不存在") from None
    except OSError as exc:
        raise UsageError(f"{shown}: 无法读取（{exc.strerror}）") from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{shown}: 是目录，不是 YAML 文件")
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{shown}: 不是普通文件（可能是管道或设备），不读取")
    if st.st_size > MAX_BYTES:
        _fail(shown, "文件过大", f"不超过 {MAX_BYTES // 1024} KiB", f"{st.st_size // 1024} KiB")
    try:  # non-blocking, and checked again once open: a pipe swapped in cannot hang us
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise UsageError(f"{shown}: 不是普通文件（可能是管道或设备），不读取")
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{shown}: 无法读取（{exc.strerror}）") from None
    return raw


def loads(raw: bytes | str, name: str = "<report>") -> Source:
    """Parse report text; ``name`` is what messages call the file."""
    text = _decode(raw, name) if isinstance(raw, bytes) else raw
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        _fail(name, "文件过大", f"不超过 {MAX_BYTES // 1024} KiB", "更大的文件")
    found = _FORBIDDEN.search(text)
    bad = found.start() if found else None
    if bad is not None:
        line = text.count("\n", 0, bad) + 1
        col = bad - (text.rfind("\n", 0, bad) + 1) + 1
        _fail(
            name,
            f"文件含有不可见的控制字符 U+{ord(text[bad]):04X}",
            "可打印的文字",
            "控制字符",
            Location(name, line, col),
            hint="可能是从其他程序复制时带入的，请删除该字符",
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        if "nesting depth" in str(exc.problem):  # libyaml stops at 1000 levels
            _fail(name, "嵌套层次过深", f"不超过 {MAX_DEPTH} 层", "更深的嵌套", loc)
        message, loc, hint = explain(exc, text, name)  # yaml_messages: libyaml in Chinese
        _fail(name, message, location=loc, hint=hint)
    except yaml.YAMLError as exc:
        _fail(name, f"YAML 无法解析：{exc}")
    except RecursionError:
        _fail(name, "嵌套层次过深", f"不超过 {MAX_DEPTH} 层", "更深的嵌套")
    finally:
        loader.dispose()
    if node is None:
        _fail(
            name,
            "文件是空的（或只有注释）",
            "一份年度报告的 YAML 内容",
            "没有内容",
            hint="可运行 nianbao new 路径 生成一份完整的空白报告",
        )
    builder = _Builder(name, text)
    data = builder.build(node, (), 0)
    if builder.dropped:
        builder.diagnostics.append(
            Diagnostic(
                "error",
                "LOAD",
                Location(name, 1, 1),
                f"另有 {builder.dropped} 个同类错误未列出（只列前 {MAX_ERRORS} 个）",
            )
        )
    if builder.diagnostics:
        raise InvalidReport(builder.diagnostics)
    if not isinstance(data, dict):
        _fail(  # not a report: its content is not quoted (it may be a .env or a key file)
            name,
            "文件顶层应是“键: 值”的映射",
            "映射（如 agency: 某局）",
            _kind(data),
            Location(name, node.start_mark.line + 1, node.start_mark.column + 1),
        )
    return Source(
        name, data, builder.positions, builder.key_positions, frozenset(builder.blocks),
        styles=builder.styles,
    )  # fmt: skip


_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Control characters (other than tab and line breaks), lone surrogates, U+FFFE and U+FFFF.

None of them can be written to a DOCX (XML 1.0 forbids them) or shown by an editor.  The
raw text is checked before parsing, and every decoded value again, since a YAML escape
such as ``"\\x01"`` or ``"\\uFFFE"`` makes them out of printable characters.
"""


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        _fail(
            name,
            "文件是 UTF-16/UTF-32 编码",
            "UTF-8 编码",
            "UTF-16/UTF-32",
            hint="在编辑器中“另存为”并选择 UTF-8 编码",
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    head = raw[:4096]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) >= 8 and max(even, odd) * 5 >= len(head) // 2 >= min(even, odd) * 20:
        _fail(  # ASCII keys in UTF-16 leave a zero byte in every other place
            name,
            "文件像是没有 BOM 的 UTF-16 编码",
            "UTF-8 编码",
            "UTF-16",
            hint="在编辑器中“另存为”并选择 UTF-8 编码",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        loc = Location(name, line, exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1)
        try:
            raw.decode("gb18030")
        except UnicodeDecodeError:
            _fail(
                name,
                "文件不是 UTF-8 编码的文本",
                "UTF-8 文本",
                "无法识别的字节（可能是二进制文件）",
                loc,
            )
        _fail(
            name,
            "文件是 GBK/GB18030 编码（中文 Windows 记事本的默认编码），不是 UTF-8",
            "UTF-8 编码",
            "GBK/GB18030 编码",
            loc,
            hint=f"用编辑器“另存为 UTF-8”，或运行：iconv -f GB18030 -t UTF-8 {name} > 新文件.yaml",
        )
    raise AssertionError("unreachable")


def _fail(
    name: str,
    message: str,
    expected: str | None = None,
    found: str | None = None,
    location: Location | None = None,
    hint: str | None = None,
) -> Any:
    raise InvalidReport(
        [
            Diagnostic(
                "error",
                "LOAD",
                location or Location(name, 1, 1),
                message,
                expected=expected,
                found=found,
                hint=hint,
            )
        ]
    )


def _kind(value: Any) -> str:
    """What a value is, without quoting any of it."""
    if isinstance(value, str):
        return f"文本（{len(value)} 个字符，不予显示）"
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return "数字"
    return _describe(value)


def _describe(value: Any) -> str:
    """How a message names a found value: its kind, in Chinese, and the value."""
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return f"布尔值 {str(value).lower()}"
    if isinstance(value, int):
        return f"整数 {value}"
    if isinstance(value, Decimal):
        return f"小数 {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"文本 “{shown}”"
    if isinstance(value, dict):
        return "映射（键: 值）"
    if isinstance(value, list):
        return "列表"
    return type(value).__name__


class _Builder:
    """Turns a composed node tree into plain data, collecting every problem found."""

    def __init__(self, name: str, text: str = "") -> None:
        self.name = name
        self.text = text
        self.styles: dict[DataPath, tuple[str, int]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.positions: dict[DataPath, tuple[int, int]] = {}
        self.key_positions: dict[DataPath, tuple[int, int]] = {}
        self._seen: set[int] = set()
        self.dropped = 0
        self.blocks: set[DataPath] = set()

    def _loc(self, node: yaml.Node) -> Location:
        return Location(self.name, node.start_mark.line + 1, node.start_mark.column + 1)

    def _error(self, node: yaml.Node, message: str, **kw: Any) -> None:
        if len(self.diagnostics) < MAX_ERRORS:
            self.diagnostics.append(Diagnostic("error", "LOAD", self._loc(node), message, **kw))
        else:
            self.dropped += 1

    def build(self, node: yaml.Node, path: DataPath, depth: int) -> Any:
        if id(node) in self._seen:
            self._error(
                node,
                "不允许使用 YAML 别名（*名称）引用其他内容",
                hint="请直接写出数值；别名会让文件难以核对，也可能被用来制造超大数据",
            )
            return None
        self._seen.add(id(node))
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if depth > MAX_DEPTH:
            self._error(node, "嵌套层次过深", expected=f"不超过 {MAX_DEPTH} 层")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag not in (_T + "seq",):
                self._error(node, f"不支持的 YAML 标签 {node.tag}")
                return None
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.style in ("|", ">"):
            self.blocks.add(path)
        self.styles[path] = (node.style or "", self._text_column(node))
        return self._scalar(node)

    def _text_column(self, node: yaml.ScalarNode) -> int:
        """Where the text of a scalar starts: for a block, the indentation of its first line."""
        if node.style not in ("|", ">"):
            return node.start_mark.column
        start = self.text.find("\n", node.start_mark.index) + 1
        for line in self.text[start : node.end_mark.index].split("\n"):
            if line.strip():
                return len(line) - len(line.lstrip(" "))
        return node.start_mark.column

    def _mapping(self, node: yaml.MappingNode, path: DataPath, depth: int) -> Any:
        if node.tag != _T + "map":
            self._error(node, f"不支持的 YAML 标签 {node.tag}")
            return None
        out: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        for knode, vnode in node.value:
            if knode.tag == _T + "merge" or (knode.value == "<<" and not knode.style):
                self._error(knode, "不允许使用 YAML 合并键 <<", hint="请直接写出各项内容")
                continue
            if not isinstance(knode, yaml.ScalarNode):
                self._error(knode, "键必须是简单的名称", found=_describe_node(knode))
                continue
            key = str(knode.value)
            if self._forbidden(knode):
                continue
            if key in first:
                prev = first[key]
                self._error(
                    knode,
                    f"键 “{key}” 重复出现，第一次在第 {prev.start_mark.line + 1} 行",
                    hint="YAML 只会保留其中一个值；请删除或合并重复的键",
                    related=((self._loc(prev), "第一次出现"),),
                )
                continue
            first[key] = knode
            self.key_positions[(*path, key)] = (
                knode.start_mark.line + 1,
                knode.start_mark.column + 1,
            )
            out[key] = self.build(vnode, (*path, key), depth + 1)
        return out

    def _forbidden(self, node: yaml.ScalarNode) -> bool:
        """Report a control character that a YAML escape put into a value (or a key)."""
        found = _FORBIDDEN.search(node.value)
        if found is None:
            return False
        self._error(
            node,
            f"文本中含有不可见的控制字符 U+{ord(found[0]):04X}",
            expected="可打印的文字",
            found=f"第 {found.start() + 1} 个字符是控制字符（由转义写法如 \\x01、\\u0007 写出）",
            hint="这类字符无法写入 DOCX，也无法显示；请删除它",
        )
        return True

    def _too_big(self, node: yaml.ScalarNode) -> None:
        shown = node.value if len(node.value) <= 40 else node.value[:40] + "…"
        self._error(
            node,
            "数字过大或位数过多",
            expected=f"不超过 {MAX_DIGITS} 位的数字",
            found=shown,
        )

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag, text = node.tag, node.value
        plain = not node.style  # libyaml says '' where PyYAML says None
        if self._forbidden(node):
            return None
        if plain and tag == _T + "str":
            tag = _plain_tag(text)
        if tag == _T + "str" or (not plain and tag in (_T + "int", _T + "float", _T + "bool")):
            return text
        if tag == _T + "null":
            return None
        if tag == _T + "bool":
            if text.lower() in _BOOL_WORDS:
                return (
                    text  # YAML 1.2 reads these as text; the schema explains if a number was meant
                )
            return text.lower() == "true"
        if tag in (_T + "int", _T + "float") and sum(c.isdigit() for c in text) > MAX_DIGITS:
            return self._too_big(node)
        if tag == _T + "int":
            if _INT_DECIMAL.fullmatch(text):
                return int(text)
            if re.fullmatch(r"[-+]?0[0-9_]+", text):
                self._error(
                    node,
                    f"数字 {text} 以 0 开头，YAML 会把它当作八进制数",
                    expected=f"十进制数 {int(text.replace('_', ''), 10)}",
                    found=text,
                    hint="去掉开头的 0",
                )
                return int(text.replace("_", ""), 10)
            if ":" in text:
                return text  # YAML 1.1 sexagesimal: keep what was written
            self._error(node, f"数字 {text} 的写法无法识别", expected="十进制整数", found=text)
            return text
        if tag == _T + "float":
            try:
                value = Decimal(text.replace("_", ""))
            except InvalidOperation:
                return text  # .nan, .inf: not a figure; the schema reports it as text
            if value.is_finite() and abs(value.adjusted()) > MAX_DIGITS:
                return self._too_big(node)
            return value if value.is_finite() else text
        if tag == _T + "timestamp":
            return text
        self._error(
            node,
            f"不支持的 YAML 标签 {tag}",
            hint="报告中只能写文本和数字；!!python 等标签会被拒绝，不会执行任何代码",
        )
        return None


def _describe_node(node: yaml.Node) -> str:
    return "映射" if isinstance(node, yaml.MappingNode) else "列表"


def iter_paths(data: Any, path: DataPath = ()) -> Iterator[tuple[DataPath, Any]]:
    """Every (path, value) in a loaded document, depth first."""
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from iter_paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from iter_paths(v, (*path, i))
