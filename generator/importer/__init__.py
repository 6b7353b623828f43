"""``nianbao import``: a published report (HTML, DOCX, DOC, PDF, XLSX) read into nianbao's YAML.

One reader per format turns the file into the same typed ``Document`` (paragraphs and
tables with their spans, text as printed); ``tables`` finds the official tables by
their labels and reads every figure as printed; ``sections`` places the text under the
six sections; ``yaml_out`` writes the YAML.  Nothing is guessed: a blank cell stays
blank (``null``), a dash stays a dash, a figure that cannot be read is ``"?"``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..spec import Format, all_formats, format_for_year, get_format
from .document import Document, Unreadable
from .meta import Meta, fee_from_text, read_meta
from .sections import Placement, heading_matcher, is_heading, place_text, to_markdown
from .tables import TableResult, map_tables, targets
from .text import Figure

__all__ = ["MAX_SOURCE_BYTES", "Imported", "Unreadable", "import_file", "read_document"]

MAX_SOURCE_BYTES = 64 * 1024 * 1024
SUFFIXES = (".html", ".htm", ".docx", ".doc", ".pdf", ".xlsx")


@dataclass(slots=True)
class Imported:
    """Everything read from one source: the typed result the YAML is written from."""

    path: Path
    name: str
    sha256: str
    doc: Document
    fmt: Format
    meta: Meta
    tables: TableResult
    text: Placement
    fields: dict[str, str] = field(default_factory=dict)
    missing: list[tuple[str, ...]] = field(default_factory=list)
    """Official cells found nowhere in the document: written as "?"."""

    def merged(self, path: tuple[str, ...]) -> bool:
        """Whether the cell is a sub-row of a category the document printed as one row."""
        groups = self.tables.merged.get(path[0], [])
        return any(".".join(path[1:]).startswith(g + ".") for g in groups)

    def figure(self, path: tuple[str, ...]) -> Figure:
        placed = self.tables.figures.get(path)
        return placed.figure if placed else Figure("?", "unreadable")

    @property
    def unreadable(self) -> int:
        return sum(self.figure(c).kind == "unreadable" for c in self.fmt.cells)

    def narrative(self, section: str, part: str) -> str:
        return to_markdown(self.text.parts.get((section, part), []))


def read_bytes(path: Path) -> bytes:
    """The source's bytes: a regular file, at most ``MAX_SOURCE_BYTES`` (a FIFO never blocks)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise Unreadable(f"{path}: 无法读取（{exc.strerror or exc}）") from None
    if not stat.S_ISREG(st.st_mode):
        raise Unreadable(f"{path}: 不是普通文件")
    if st.st_size > MAX_SOURCE_BYTES:
        raise Unreadable(f"{path}: 文件过大（{st.st_size} 字节，上限 {MAX_SOURCE_BYTES}）")
    try:
        with open(path, "rb") as f:  # sized by stat: a read never reserves the whole limit
            return f.read(min(st.st_size, MAX_SOURCE_BYTES) + 1)
    except OSError as exc:
        raise Unreadable(f"{path}: 无法读取（{exc.strerror or exc}）") from None


def _anchor(text: str) -> bool:
    """Whether a short text of a page is one of the section headings (the body is around them)."""
    headings = heading_matcher(list(all_formats().values()))
    return any(is_heading(text, h) for h in headings)


_anchor = functools.lru_cache(maxsize=8192)(_anchor)


def read_document(path: Path, raw: bytes) -> Document:
    """The typed document of a source, by its file type."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        from .html import read_html

        return read_html(path, raw, _anchor)
    if suffix == ".docx":
        from .docx import read_docx

        return read_docx(path, raw)
    if suffix == ".doc":
        from .doc import read_doc

        return read_doc(path, raw)
    if suffix == ".pdf":
        from .pdf import read_pdf

        return read_pdf(path, raw)
    if suffix == ".xlsx":
        from .xlsx import read_xlsx

        return read_xlsx(path, raw)
    raise Unreadable(
        f"{path}: 不支持的文件类型“{path.suffix or '（无扩展名）'}”；可导入 " + "、".join(SUFFIXES)
    )


def import_file(
    path: Path,
    *,
    name: str | None = None,
    agency: str | None = None,
    year: int | None = None,
    format_id: str | None = None,
) -> Imported:
    """Read one source completely; raises ``Unreadable`` when it holds no readable report."""
    shown = name or str(path)
    raw = read_bytes(path)
    doc = read_document(Path(shown), raw)
    probe = place_text(doc, get_format(format_id) if format_id else _latest(), None)
    meta = read_meta(doc, probe)
    the_year = year if year is not None else meta.year
    fmt = _choose_format(doc, format_id, the_year)
    placement = place_text(doc, fmt, meta.title)
    tables = map_tables(doc, fmt)
    if not tables.figures:
        raise Unreadable(_why_no_tables(shown, doc, tables))
    if the_year is None:
        raise Unreadable(f"{shown}: 无法从标题读出年度，请用 --year 指定")
    the_agency = agency or meta.agency
    if not the_agency:
        raise Unreadable(f"{shown}: 无法从标题读出机关全称，请用 --agency 指定")
    meta = Meta(the_agency, the_year, meta.published, meta.title)
    six = "\n".join(
        p.text for (s, _), ps in placement.parts.items() for p in ps if s == fmt.sections[-1].key
    )
    imported = Imported(
        path, shown, hashlib.sha256(raw).hexdigest(), doc, fmt, meta, tables, placement,
        fee_from_text(fmt, six),
    )  # fmt: skip
    imported.missing = [c for c in fmt.cells if c not in tables.figures and not imported.merged(c)]
    return imported


def _latest() -> Format:
    return list(all_formats().values())[-1]


def _choose_format(doc: Document, format_id: str | None, year: int | None) -> Format:
    if format_id:
        return get_format(format_id)
    if year is not None:
        fmt = format_for_year(year)
        if fmt is not None:
            return fmt
    scored = [
        (len(map_tables(doc, f).figures), -i, f) for i, f in enumerate(all_formats().values())
    ]
    return max(scored, key=lambda t: (t[0], t[1]))[2]


def _why_no_tables(name: str, doc: Document, tables: TableResult) -> str:
    if doc.image_pages:
        pages = "、".join(str(p) for p in doc.image_pages)
        return f"{name}: 第 {pages} 页只有图片（表格是图片），无法读出数字"
    if doc.images and not tables.tables:
        return f"{name}: 报告的表格是图片（{doc.images} 张），没有可读的文字，无法读出数字"
    if tables.tables and all(not t.cells and t.images for t in doc.tables()):
        return f"{name}: 报告的表格只有图片，无法读出数字"
    return (
        f"{name}: 找不到政府信息公开年报的表二、表三、表四"
        f"（读到 {tables.tables} 个表格，没有一个对得上）"
    )


__all__ += ["targets"]
