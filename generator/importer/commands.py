"""The ``import`` command: sources in, one YAML file per report out, never overwriting."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ..errors import UsageError
from . import Imported, Unreadable, import_file
from .yaml_out import to_yaml

__all__ = ["output_path", "run_import", "summary_line"]

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def folder_name(agency: str) -> str:
    """The agency as one safe folder name: no separators, no '..', nothing a system refuses."""
    name = _UNSAFE.sub("_", agency).strip().strip(".")
    return name[:80] or "_"


def output_path(imp: Imported, out: Path | None, single: bool) -> Path:
    if out is not None and single and out.suffix.lower() in (".yaml", ".yml"):
        return out
    base = out if out is not None else Path("reports")
    return base / folder_name(imp.meta.agency or "") / f"{imp.meta.year}.yaml"


def summary_line(imp: Imported) -> str:
    figures = len(imp.tables.figures)
    unread = imp.unreadable
    mapped = len(imp.tables.mappings) + len(imp.text.mappings)
    parts = [
        f"表格 {imp.tables.tables} 个",
        f"数字 {figures} 个",
        f"无法读出 {unread} 个" if unread else "全部读出",
    ]
    if mapped:
        parts.append(f"非逐字对应的标签 {mapped} 处")
    if imp.text.unplaced or imp.tables.unplaced:
        parts.append(f"未归入的段落或行 {len(imp.text.unplaced) + len(imp.tables.unplaced)} 处")
    return "，".join(parts)


def run_import(
    sources: list[str],
    out: str | None,
    *,
    agency: str | None,
    year: int | None,
    format_id: str | None,
    force: bool,
) -> int:
    """Import every source; exit 0 all read, 1 some figures "?", 2 some source unreadable."""
    from ..cli import display_path
    from ..output import write_atomic

    target = Path(out) if out else None
    if target is not None and target.suffix.lower() in (".yaml", ".yml") and len(sources) > 1:
        raise UsageError("-o 指定 .yaml 文件时只能导入一个源文件")
    code = 0
    written: set[Path] = set()
    for src in sources:
        path = Path(src)
        try:
            imp = import_file(
                path, name=display_path(path), agency=agency, year=year, format_id=format_id
            )
        except Unreadable as exc:
            print(f"{exc}", file=sys.stderr)
            code = 2
            continue
        dest = output_path(imp, target, len(sources) == 1)
        if dest in written or (dest.exists() and not force):
            why = "本次已由另一个源文件写入" if dest in written else "已存在（用 --force 覆盖）"
            print(f"{imp.name}: 未写入 {display_path(dest)}：{why}", file=sys.stderr)
            code = 2
            continue
        data = to_yaml(imp).encode("utf-8")
        if dest == target:
            write_atomic(dest, data)
        else:  # below the output folder: no link followed, folders made one by one
            write_atomic(dest, data, root=target or Path("reports"))
        written.add(dest)
        print(f"{imp.name} → {display_path(dest)}：{summary_line(imp)}", file=sys.stderr)
        if imp.unreadable:
            code = max(code, 1)
    return code
