"""Local variants of the official tables: what an agency's published table prints differently.

Real reports reword a label (规范性文件 for 行政规范性文件), print a category as one row
(（六）其他处理 in a 2021-format table), add a row of their own (其他主动公开文件) or a
note under a table (注：……).  A report keeps all of that under ``local:``, table by
table, mapped onto the official structure: the figures stay in the official cells and
every rule still reads them; only what is printed changes.  This module reads and
checks that block against the format; ``layout`` draws it.  Official labels remain the
default: nothing here applies unless a report writes it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .errors import Diagnostic
from .source import Source
from .spec import Format, Node, Table
from .values import CellValue, format_value, read_cell

__all__ = ["ExtraRow", "LocalTable", "column_paths", "local_schema", "read_local", "row_paths"]


@dataclass(frozen=True, slots=True)
class ExtraRow:
    """A row the agency prints in a 表二 block beside the official ones, with its figures.

    It takes part in no rule: the official table has no place for it.
    """

    after: str
    label: str
    values: Mapping[str, CellValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LocalTable:
    """The local variants of one table, keyed by the YAML key paths of its rows and columns."""

    row_labels: Mapping[str, str] = field(default_factory=dict)
    column_labels: Mapping[str, str] = field(default_factory=dict)
    merged: frozenset[str] = frozenset()
    extra_rows: tuple[ExtraRow, ...] = ()
    notes: tuple[str, ...] = ()


def _walk(nodes: Sequence[Node], prefix: tuple[str, ...]) -> Iterator[tuple[str, Node]]:
    for node in nodes:
        here = (*prefix, node.key) if node.key else prefix
        if node.key:
            yield ".".join(here), node
        yield from _walk(node.children, here)


def row_paths(table: Table) -> dict[str, Node]:
    """Every row a local label can reword, by its key path (``withheld.prohibited_by_law``)."""
    if table.layout == "blocks":
        return {r.key: r for b in table.blocks for r in b.rows if r.key}
    return dict(_walk(table.rows, ()))


def column_paths(table: Table) -> dict[str, Node]:
    """Every column header a local label can reword, by its key path (``review.upheld``)."""
    if table.layout == "blocks":
        return {c.key: c for b in table.blocks for c in b.columns if c.key}
    return dict(_walk(table.columns, ()))


def local_schema(fmt: Format, cell: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of ``local:`` for ``fmt``; ``cell`` is the schema of one figure."""
    text = {"type": "string", "minLength": 1}
    wording = {"type": "object", "additionalProperties": text}
    one = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "labels": {
                "title": "本地表述（按键路径对应官方的行或列）",
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "rows": {**wording, "title": "行：键路径 → 印出的名称"},
                    "columns": {**wording, "title": "列：键路径 → 印出的名称"},
                },
            },
            "merged_rows": {
                "title": "合并印成一行的类别（如 other_handling）",
                "type": "array",
                "items": {"type": "string"},
            },
            "extra_rows": {
                "title": "本地增加的行（只印出，不参与核对）",
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["after", "label"],
                    "properties": {
                        "after": {"title": "印在哪一行之后（键）", "type": "string"},
                        "label": {**text, "title": "印出的行名"},
                        "values": {
                            "title": "各列的数",
                            "type": "object",
                            "additionalProperties": cell,
                        },
                    },
                },
            },
            "notes": {"title": "表下的注", "type": "array", "items": text},
        },
    }
    props = {key: {**one, "title": t.number} for key, t in fmt.tables.items()}
    return {
        "title": "本地表述",
        "description": "本机关公开的表格与官方格式不同之处；数字仍填在官方的单元格中",
        "type": "object",
        "additionalProperties": False,
        "properties": props,
        "x-kind": "object",
    }


def read_local(fmt: Format, source: Source) -> tuple[dict[str, LocalTable], list[Diagnostic]]:
    """The ``local:`` block of a report (schema-checked), checked against the format."""
    raw = source.data.get("local") or {}
    out: dict[str, LocalTable] = {}
    diags: list[Diagnostic] = []
    for key, spec in raw.items():
        table = fmt.tables[key]
        reader = _Reader(fmt, table, source, diags)
        out[key] = reader.read(spec or {})
    return out, diags


@dataclass(slots=True)
class _Reader:
    fmt: Format
    table: Table
    source: Source
    diags: list[Diagnostic]

    def error(self, path: tuple[str | int, ...], message: str, **kw: Any) -> None:
        self.diags.append(
            Diagnostic(
                "error",
                "LOCAL",
                self.source.locate(("local", self.table.key, *path), key=True),
                message,
                labels=(self.table.number,),
                subject=".".join(str(p) for p in ("local", self.table.key, *path)),
                **kw,
            )
        )

    def known(self, what: str, name: str, names: Mapping[str, Node]) -> str:
        close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
        hint = f"是否应为 “{close[0]}”（{names[close[0]].label}）？" if close else None
        return f"{self.table.number}没有{what} “{name}”" + (f"；{hint}" if hint else "")

    def read(self, spec: Mapping[str, Any]) -> LocalTable:
        labels = spec.get("labels") or {}
        rows, cols = row_paths(self.table), column_paths(self.table)
        row_labels = self.labels(labels.get("rows") or {}, rows, "rows", "行")
        column_labels = self.labels(labels.get("columns") or {}, cols, "columns", "列")
        merged = self.merged(spec.get("merged_rows") or [], rows)
        extra = self.extra(spec.get("extra_rows") or [], rows, row_labels)
        notes = tuple(str(n) for n in spec.get("notes") or [])
        return LocalTable(row_labels, column_labels, merged, extra, notes)

    def labels(
        self, given: Mapping[str, str], names: Mapping[str, Node], kind: str, what: str
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, text in given.items():
            if name not in names:
                self.error(
                    ("labels", kind, name),
                    self.known(what, name, names),
                    expected=f"{self.table.number}中某一{what}的键路径",
                    found=f"“{name}”",
                )
            else:
                out[name] = str(text)
        return out

    def merged(self, given: Sequence[str], rows: Mapping[str, Node]) -> frozenset[str]:
        out: set[str] = set()
        for i, name in enumerate(given):
            node = rows.get(name)
            if self.table.layout != "cross" or node is None or not node.children:
                groups = [p for p, n in rows.items() if n.children]
                self.error(
                    ("merged_rows", i),
                    f"“{name}” 不是{self.table.number}中有分项的类别，不能合并成一行",
                    expected="、".join(groups) or f"{self.table.number}没有可合并的类别",
                    found=f"“{name}”",
                )
                continue
            out.add(name)
        return frozenset(out)

    def extra(
        self,
        given: Sequence[Mapping[str, Any]],
        rows: Mapping[str, Node],
        labels: Mapping[str, str],
    ) -> tuple[ExtraRow, ...]:
        out: list[ExtraRow] = []
        taken = {n.label for n in rows.values()} | set(labels.values())
        for i, item in enumerate(given):
            after, label = str(item["after"]), str(item["label"])
            block = next(
                (b for b in self.table.blocks for r in b.rows if r.key == after),
                None,
            )
            if block is None:
                blocks = [t.number for t in self.fmt.tables.values() if t.layout == "blocks"]
                message = (
                    self.known("行", after, rows)
                    if self.table.layout == "blocks"
                    else f"{self.table.number}不能增加本地行（只有{'、'.join(blocks)}可以）"
                )
                self.error(("extra_rows", i, "after"), message, found=f"“{after}”")
                continue
            if label in taken:
                self.error(
                    ("extra_rows", i, "label"),
                    f"本地行 “{label}” 与{self.table.number}中已有的行同名",
                    hint="本地增加的行要用与官方各行不同的名称；改写官方行的名称请用 labels",
                )
                continue
            taken.add(label)
            columns = {c.key: c for c in block.columns if c.key}
            values: dict[str, CellValue] = {}
            for col, raw in (item.get("values") or {}).items():
                if col not in columns:
                    self.error(
                        ("extra_rows", i, "values", col),
                        f"{block.title}没有 “{col}” 这一列",
                        expected="、".join(f"{k}（{c.label}）" for k, c in columns.items()),
                        found=f"“{col}”",
                    )
                    continue
                kind = columns[col].value
                value = read_cell(raw, "amount")  # exact: a count is checked below
                if kind != "amount" and isinstance(value, Decimal):
                    if value != value.to_integral_value():
                        self.error(
                            ("extra_rows", i, "values", col),
                            f"{columns[col].label}是件数，应为整数",
                            expected="不小于 0 的整数",
                            found=format_value(value),
                        )
                        continue
                    value = int(value)
                values[col] = value
            out.append(ExtraRow(after, label, values))
        return tuple(out)
