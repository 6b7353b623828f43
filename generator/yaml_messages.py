"""libyaml's English, said in Chinese, with a hint that names the likely cause.

A syntax error reached authors as "YAML 语法错误：could not find expected ':'".  The
common messages are translated here; the rest keep their English after the Chinese
lead.  A key written with a full-width colon (``year：2024``, easy with a Chinese
input method) is the most common cause of all: it gets its own message, pointing
at the line where the colon is, which libyaml does not (it stops a line later).
"""

from __future__ import annotations

import re

import yaml

from .errors import Location

__all__ = ["explain"]

_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("could not find expected ':'", "缺少冒号：键后应写半角冒号加空格“: ”"),
    (
        "mapping values are not allowed",
        "这里不能出现“键: 值”：值里含有“: ”时请给值加引号，或检查缩进",
    ),
    ("did not find expected key", "缩进不一致：同一层的键应左对齐"),
    ("did not find expected '-' indicator", "列表缩进不一致：同一列表的各项应以对齐的“- ”开头"),
    (
        "found character that cannot start any token",
        "出现了不能开始一个值的字符（常见的是 Tab：只能用空格缩进）",
    ),
    ("found unexpected end of stream", "文件意外结束：引号或括号没有配对"),
    ("did not find expected ',' or '}'", "花括号 { } 里缺少逗号或右括号 }"),
    ("did not find expected ',' or ']'", "方括号 [ ] 里缺少逗号或右括号 ]"),
    ("did not find expected node content", "缺少值"),
    ("found undefined alias", "引用了没有定义的锚点（*名称）"),
    (
        "found unknown escape character",
        "双引号里有无法识别的转义（\\ 后的字符）：改用单引号或写成 \\\\",
    ),
    ("expected <document start>", "文件顶层的结构不对：检查第一层的缩进"),
    ("found unexpected ':'", "多余的冒号：值里含有冒号时请给值加引号"),
)
_HINT = "检查缩进（只能用空格）、冒号后的空格和引号是否配对"
_FULL_WIDTH_KEY = re.compile(r"^[ \t]*(?:- )?[^\s:#'\"{}\[\]，。]+[ \t]*：", re.MULTILINE)


def _translated(problem: str) -> str:
    for english, chinese in _PROBLEMS:
        if problem.startswith(english):
            return chinese
    return problem


def _full_width_colon(text: str, before_line: int) -> Location | None:
    """The last ``键：`` line at or before ``before_line`` (1-based) without a real colon."""
    found = None
    for match in _FULL_WIDTH_KEY.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if line > before_line:
            break
        start = text.rfind("\n", 0, match.end()) + 1
        end = text.find("\n", match.end())
        if ": " not in text[start : len(text) if end < 0 else end]:
            found = (line, match.end() - start)
    return Location("", found[0], found[1]) if found else None


def explain(exc: yaml.MarkedYAMLError, text: str, name: str) -> tuple[str, Location, str]:
    """(message, location, hint) for a syntax error in ``text`` (the file ``name``)."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    here = Location(name, line, mark.column + 1) if mark else Location(name)
    colon = _full_width_colon(text, line) if line else None
    if colon is not None:
        return (
            "YAML 语法错误：键后用了全角冒号“：”",
            Location(name, colon.line, colon.column),
            "键和值之间应是半角冒号加空格，如 year: 2024（切换到英文标点输入）",
        )
    problem = _translated(str(exc.problem or exc.context or ""))
    return f"YAML 语法错误：{problem}", here, _HINT
