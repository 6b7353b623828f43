"""Writing an imported report as nianbao's YAML, every figure as printed.

Blank cells are ``null``, dashes and other printed text are quoted strings, unreadable
cells ``"?"`` (issue 11 §1); stated totals are written like any cell, so the rules check
them instead of computing them.  A comment at the top names the source and its SHA-256;
mappings that were not word for word and text that could not be placed follow as
comments, so nothing read is lost and everything guessed is visible.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import Imported
from .text import Figure

__all__ = ["to_yaml"]

_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:0|[1-9]\d*)(?:\.\d+)?$")


class _Block(str):
    """A narrative text, written as a literal block scalar."""


def _quote(text: str) -> str:
    return json.dumps(_FORBIDDEN.sub("", text), ensure_ascii=False)


def scalar(figure: Figure) -> str:
    """The YAML of one cell: a plain number when printed as one, else what was printed."""
    if figure.kind == "blank":
        return "null"
    if figure.kind == "unreadable":
        return '"?"'
    if figure.kind == "number" and _PLAIN_NUMBER.match(figure.printed):
        return figure.printed
    return _quote(figure.printed)


def _tree(imp: Imported) -> dict[str, Any]:
    fmt, meta = imp.fmt, imp.meta
    tree: dict[str, Any] = {"agency": _quote(meta.agency or ""), "year": str(meta.year)}
    default = None if meta.year is None else _default_format(meta.year)
    if default != fmt.id:
        tree["format"] = _quote(fmt.id)
    if meta.published:
        tree["published"] = _quote(meta.published)
    for section in fmt.sections:
        node: dict[str, Any] = {}
        if section.kind == "table":
            for path in fmt.cells:
                if path[0] == section.key and (path in imp.tables.figures or not imp.merged(path)):
                    _put(node, path[1:], scalar(imp.figure(path)))
        else:
            for part in section.parts:
                text = imp.narrative(section.key, part.key)
                if text:
                    node[part.key] = _Block(_FORBIDDEN.sub("", text))
            for f in section.fields:
                if f.key in imp.fields:
                    node[f.key] = imp.fields[f.key]
        tree[section.key] = node
    return tree


def _default_format(year: int) -> str | None:
    from ..spec import format_for_year

    fmt = format_for_year(year)
    return fmt.id if fmt else None


def _put(node: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _emit(node: dict[str, Any], indent: int, out: list[str]) -> None:
    pad = "  " * indent
    for key, value in node.items():
        if isinstance(value, _Block):
            out.append(f"{pad}{key}: |")
            for line in value.split("\n"):
                out.append(f"{pad}  {line}" if line else "")
        elif isinstance(value, dict):
            if not value:
                out.append(f"{pad}{key}: {{}}")
            elif all(isinstance(v, str) and not isinstance(v, _Block) for v in value.values()):
                inner = ", ".join(f"{k}: {v}" for k, v in value.items())
                out.append(f"{pad}{key}: {{{inner}}}")
            else:
                out.append(f"{pad}{key}:")
                _emit(value, indent + 1, out)
        else:
            out.append(f"{pad}{key}: {value}")


def _local(imp: Imported) -> list[str]:
    """``local:``: what the document printed differently, kept while the figures stay official."""
    res = imp.tables
    out: list[str] = []
    for key in imp.fmt.tables:
        rows = {k: v for (t, k), v in res.row_labels.items() if t == key}
        cols = {k: v for (t, k), v in res.column_labels.items() if t == key}
        lines = []
        if rows or cols:
            lines.append("    labels:")
            for name, found in (("rows", rows), ("columns", cols)):
                if found:
                    inner = ", ".join(f"{k}: {_quote(v)}" for k, v in found.items())
                    lines.append(f"      {name}: {{{inner}}}")
        extra = [e for e in res.extra_rows if e.table == key]
        if extra:
            lines.append("    extra_rows:")
            for e in extra:
                values = ", ".join(f"{k}: {scalar(f)}" for k, f in e.values)
                lines.append(
                    f"      - {{after: {e.after}, label: {_quote(e.label)}, values: {{{values}}}}}"
                )
        if res.merged.get(key):
            lines.append(f"    merged_rows: [{', '.join(dict.fromkeys(res.merged[key]))}]")
        if res.notes.get(key):
            lines.append(f"    notes: [{', '.join(_quote(n) for n in res.notes[key])}]")
        if lines:
            out += [f"  {key}:", *lines]
    return ["local:", *out] if out else []


def _comment(text: str) -> list[str]:
    lines = []
    for raw in _FORBIDDEN.sub("", text).split("\n"):
        while len(raw) > 70:
            lines.append(f"#   {raw[:70]}")
            raw = raw[70:]
        lines.append(f"#   {raw}" if raw else "#")
    return lines


def to_yaml(imp: Imported) -> str:
    """The YAML text of an imported report."""
    out = [
        f"# 由 nianbao import 导入：{imp.name}",
        f"# 源文件 SHA-256：{imp.sha256}",
        '# 数字均照原文：空白格写 null，横线照原样，无法读出的写 "?"；原文的合计照写，由校验核对。',
    ]
    mappings = imp.tables.mappings + imp.text.mappings
    if mappings:
        out.append("# 按官方标签对应的非逐字标签：")
        out.extend(f"#   {m}" for m in mappings)
    if imp.missing:
        out.append(f'# 原文中找不到的格（写作 "?"）：{len(imp.missing)} 个')
    out.append("")
    _emit(_tree(imp), 0, out)
    out.extend(_local(imp))
    notes = [(k, n) for k, ns in imp.tables.notes.items() for n in ns if k not in imp.fmt.tables]
    unplaced = imp.text.unplaced + [("表格中未能对应的行", r) for r in imp.tables.unplaced]
    if notes or unplaced:
        out.append("")
        out.append("# ===== 【未归入】导入时未能归入报告任何部分的原文，照录于此，请人工归位 =====")
        for key, note in notes:
            out.append(f"# [{imp.fmt.tables[key].number if key in imp.fmt.tables else ''} 表注]")
            out.extend(_comment(note))
        for where, text in unplaced:
            out.append(f"# [{where}]")
            out.extend(_comment(text))
    return "\n".join(out) + "\n"
