"""Helpers for the print tests: report variants that stress pagination, PDF page texts.

The variants start from the seed report and change one thing each: a longer
narrative (several lengths, so that tables and the 落款 land at different places on
a page), many list items, a long agency name, and a 表三 whose every row is non-zero.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from generator.model import Report
from generator.spec import Node, all_formats

from .support import EXAMPLES, SEED

__all__ = [
    "PDFFONTS",
    "PDFTOTEXT",
    "SOFFICE",
    "numbered_pages",
    "page_count",
    "page_texts",
    "pdffonts",
    "plain",
    "write_variants",
]

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
PDFFONTS = shutil.which("pdffonts")
PDFINFO = shutil.which("pdfinfo")
TIMEOUT = 120

FILLER = (
    "本机关坚持以公开为常态、不公开为例外，围绕群众关切和重点领域信息，"
    "持续拓展公开的深度和广度，推动政务公开工作规范化、标准化建设。"
)


def _seed() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    return data


def _leaves(nodes: tuple[Node, ...]) -> Iterator[tuple[tuple[str, ...], Node]]:
    for node in nodes:
        for leaf, path, _ in node.leaves():
            yield path, leaf


def _every_row_non_zero(data: dict[str, Any]) -> None:
    """表三 with every cell non-zero and the 勾稽关系 still holding, per column:
    一 + 二 = （七）总计 + 四, the outcome rows 1, 2, … 21."""
    table = all_formats()["2021"].tables["applications"]
    columns = [p for p, leaf in _leaves(table.columns) if not leaf.sum]
    rows = [p for p, leaf in _leaves(table.rows) if not leaf.sum]
    simple = {("received",), ("carried_over",), ("carried_forward",)}
    outcomes = [p for p in rows if p not in simple]
    total = sum(range(1, len(outcomes) + 1))
    figures = {("received",): total - 1, ("carried_over",): 2, ("carried_forward",): 1}
    figures.update({p: i for i, p in enumerate(outcomes, start=1)})
    apps: dict[str, Any] = {}
    for path, value in figures.items():
        node = apps
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = {c[-1]: value for c in columns}
    data["applications"] = apps


def variants() -> dict[str, dict[str, Any]]:
    """Variant name → report data."""
    out: dict[str, dict[str, Any]] = {}
    for lines in (2, 5, 9, 14, 20):
        data = _seed()
        data["overview"]["summary"] += "\n" + "\n\n".join([FILLER] * lines) + "\n"
        out[f"long-narrative-{lines}"] = data
    for extra in (1, 4, 8, 13):
        data = _seed()
        data["other_matters"]["text"] = "\n\n".join([FILLER] * extra) + "\n"
        out[f"long-tail-{extra}"] = data
    data = _seed()
    items = "\n".join(f"{i}. {FILLER[: 12 + i % 30]}" for i in range(1, 31))
    data["problems"]["text"] += "\n" + items + "\n"
    out["many-list-items"] = data
    data = _seed()
    data["agency"] = "某某省某某市某某区人民政府办公室政务公开和政务服务管理科"
    out["long-agency"] = data
    data = _seed()
    _every_row_non_zero(data)
    data["overview"]["on_request"] = (  # the seed's text tells of one application
        "全年收到政府信息公开申请{{ applications.received.total }}件，"
        "结转下年度继续办理{{ applications.carried_forward.total }}件。\n"
    )
    out["every-row-non-zero"] = data
    return out


def write_variants(reports: Path) -> list[Path]:
    """Copy the examples and write the variants below ``reports``; every report path."""
    shutil.copytree(EXAMPLES, reports, dirs_exist_ok=True)
    for name, data in variants().items():
        path = reports / f"variant-{name}" / "2021.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return sorted(reports.rglob("*.yaml"))


def _run(*args: str) -> str:
    done = subprocess.run(args, check=True, capture_output=True, timeout=TIMEOUT)
    return done.stdout.decode("utf-8")


def page_count(pdf: Path) -> int:
    assert PDFINFO is not None
    found = re.search(r"^Pages:\s+(\d+)", _run(PDFINFO, str(pdf)), re.MULTILINE)
    assert found
    return int(found.group(1))


_PAGE_NUMBER = re.compile(r"^\s*—\s*\d+\s*—\s*$")


def page_texts(pdf: Path) -> list[list[str]]:
    """Each page's lines (``pdftotext -f N -l N -raw``: content order, so a table
    cell's lines stay together), without blank lines and the "— N —" page number."""
    assert PDFTOTEXT is not None
    pages = []
    for n in range(1, page_count(pdf) + 1):
        text = _run(PDFTOTEXT, "-f", str(n), "-l", str(n), "-raw", "-enc", "UTF-8", str(pdf), "-")
        pages.append([ln for ln in text.splitlines() if ln.strip() and not _PAGE_NUMBER.match(ln)])
    return pages


def numbered_pages(pdf: Path) -> list[int]:
    """The page number printed on each page ("— N —"), in page order."""
    assert PDFTOTEXT is not None
    out = []
    for n in range(1, page_count(pdf) + 1):
        text = _run(PDFTOTEXT, "-f", str(n), "-l", str(n), "-raw", "-enc", "UTF-8", str(pdf), "-")
        found = [int(m[1]) for m in re.finditer(r"—\s*(\d+)\s*—", text)]
        out.append(found[-1] if found else 0)
    return out


def plain(text: str) -> str:
    """Text without any whitespace (pdftotext puts spaces around Latin digits)."""
    return re.sub(r"\s+", "", text)


def pdffonts(pdf: Path) -> list[dict[str, str]]:
    """The rows of ``pdffonts``: name, type, emb, …"""
    assert PDFFONTS is not None
    lines = _run(PDFFONTS, str(pdf)).splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni object-id generation
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def report_headings(report: Report) -> set[str]:
    """Every heading the body prints (sections and their parts)."""
    out = set()
    for view in report.document():
        out.add(view.heading)
        out.update(p.heading for p in view.parts if p.heading)
    return out
