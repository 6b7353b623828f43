"""Helpers shared by the test modules: reading outputs back, real clients, random reports.

Test modules import from here (and from conftest), never from each other.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import strategies as st
from lxml import etree
from markdown_it import MarkdownIt

from generator.cli import main
from generator.layout import Grid, format_value, table_grid
from generator.model import Report
from generator.spec import Format, Table, all_formats

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "reports"
SEED = EXAMPLES / "shangqiu-gxj" / "2021.yaml"
"""The seed example (商丘市工业和信息化局 2021)."""
TIMEOUT = 120
"""Seconds a real client (LibreOffice, Chromium) may take before the test fails."""


# ---------------------------------------------------------------- LibreOffice and poppler


def office_tools() -> dict[str, str]:
    tools = {name: shutil.which(name) for name in ("soffice", "pdftotext", "pdfinfo")}
    if tools["soffice"] is None:
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-writer-nogui")
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        pytest.skip(f"poppler-utils not installed ({', '.join(missing)} missing)")
    return {name: path for name, path in tools.items() if path is not None}


def to_pdf(docx: Path, tools: dict[str, str]) -> Path:
    """Convert with LibreOffice beside the DOCX, with a private profile and a timeout."""
    profile = docx.parent / f"lo-profile-{docx.stem}"
    command = [
        tools["soffice"],
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        "pdf",
        "--outdir",
        str(docx.parent),
        str(docx),
    ]
    subprocess.run(command, check=True, timeout=TIMEOUT, capture_output=True)
    out = docx.with_suffix(".pdf")
    assert out.is_file(), "LibreOffice wrote no PDF"
    return out


def office_text(pdf: tuple[Path, dict[str, str]], *args: str) -> str:
    path, tools = pdf
    run = [tools["pdftotext"], *args, str(path), "-"]
    return subprocess.run(run, check=True, capture_output=True, text=True).stdout


def office_squeezed(pdf: tuple[Path, dict[str, str]]) -> str:
    return re.sub(r"\s+", "", office_text(pdf, "-layout"))


# --------------------------------------------------------------------------- Chromium


CHROMIUM = shutil.which("chromium")


PDFTOTEXT = shutil.which("pdftotext")


def chromium(tmp_path: Path, page: Path, *args: str) -> None:
    """Run headless Chromium on ``page`` with an isolated, network-quiet profile."""
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )


def pdf_text(pdf: Path) -> str:
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is not installed (apt install poppler-utils)")
    done = subprocess.run(
        [PDFTOTEXT, "-layout", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return done.stdout.decode("utf-8")


# --------------------------------------------------------------------------- reading DOCX


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


NS = {
    "w": W,
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
}


def w(name: str) -> str:
    return f"{{{W}}}{name}"


class Package:
    """A rendered .docx opened as its XML parts."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.zip = zipfile.ZipFile(io.BytesIO(data))

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.zip.read(name))

    @property
    def body(self) -> etree._Element:
        return self.xml("word/document.xml").find("w:body", NS)

    def paragraphs(self, style: str) -> list[str]:
        """Texts of the top-level body paragraphs with paragraph style ``style``."""
        return [
            "".join(p.xpath(".//w:t/text()", namespaces=NS))
            for p in self.body.findall("w:p", NS)
            if p.xpath("string(w:pPr/w:pStyle/@w:val)", namespaces=NS) == style
        ]

    def tables(self) -> list[etree._Element]:
        return self.body.findall("w:tbl", NS)

    def style(self, style_id: str) -> etree._Element:
        styles = self.xml("word/styles.xml")
        (style,) = styles.xpath(f"w:style[@w:styleId='{style_id}']", namespaces=NS)
        return style

    def footer(self, kind: str) -> etree._Element:
        """The footer part referenced by the body's ``w:footerReference`` of ``kind``."""
        sect = self.body.find("w:sectPr", NS)
        (rid,) = sect.xpath(f"w:footerReference[@w:type='{kind}']/@r:id", namespaces=NS)
        rels = self.xml("word/_rels/document.xml.rels")
        (target,) = rels.xpath(f"rel:Relationship[@Id='{rid}']/@Target", namespaces=NS)
        return self.xml(f"word/{target}")


@dataclass
class Square:
    """One drawn cell of a DOCX table, in grid coordinates like ``layout.GridCell``."""

    row: int
    col: int
    rowspan: int
    colspan: int
    text: str


def docx_table(tbl: etree._Element) -> tuple[dict[tuple[int, int], Square], dict]:
    """Rebuild a ``w:tbl`` as a grid: cells by their top-left square, and each square's owner.

    A ``w:vMerge`` continuation extends the cell above it in the same grid column;
    a missing continuation (a covered square without its ``w:tc``) leaves a hole.
    """
    cells: dict[tuple[int, int], Square] = {}
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for r, tr in enumerate(tbl.findall("w:tr", NS)):
        c = 0
        for tc in tr.findall("w:tc", NS):
            span = int(tc.xpath("string(w:tcPr/w:gridSpan/@w:val)", namespaces=NS) or 1)
            vmerge = tc.find("w:tcPr/w:vMerge", NS)
            if vmerge is not None and vmerge.get(w("val"), "continue") == "continue":
                origin = owner[(r - 1, c)]
                cell = cells[origin]
                assert cell.colspan == span, f"continuation at {(r, c)} has another width"
                cell.rowspan = r - cell.row + 1
            else:
                text = "".join(tc.xpath(".//w:t/text()", namespaces=NS))
                cells[(r, c)] = Square(r, c, 1, span, text)
                origin = (r, c)
            for k in range(span):
                owner[(r, c + k)] = origin
            c += span
    return cells, owner


def header_rows(tbl: etree._Element) -> list[int]:
    return [
        i
        for i, tr in enumerate(tbl.findall("w:tr", NS))
        if tr.find("w:trPr/w:tblHeader", NS) is not None
    ]


def grids(report: Report) -> Iterator[tuple[str, Grid]]:
    for section, table in report.sections():
        if table is not None:
            yield section.key, table_grid(table, report.values)


# ------------------------------------------------- reading HTML and Markdown; random reports


MD = MarkdownIt("commonmark").enable("table")


VOID = {"meta", "link", "br", "img", "hr", "input", "source", "wbr", "col", "base"}


@dataclass
class Cell:
    tag: str
    attrs: dict[str, str]
    row: int
    section: int
    """0 for thead, 1, 2, … for each tbody: header cells only label cells of their own part."""
    text: str = ""

    @property
    def rowspan(self) -> int:
        return int(self.attrs.get("rowspan", "1"))

    @property
    def colspan(self) -> int:
        return int(self.attrs.get("colspan", "1"))


@dataclass
class ParsedTable:
    caption: str = ""
    rows: list[list[Cell]] = field(default_factory=list)
    head_rows: int = 0
    bodies: list[int] = field(default_factory=list)
    """Number of rows in each tbody."""

    def grid(self) -> dict[tuple[int, int], Cell]:
        """Every grid square mapped to the cell covering it, as a browser places cells."""
        out: dict[tuple[int, int], Cell] = {}
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row:
                while (r, c) in out:
                    c += 1
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        assert (r + dr, c + dc) not in out, "cells overlap"
                        out[r + dr, c + dc] = cell
                c += cell.colspan
        return out

    def find(self, text: str) -> Cell:
        (cell,) = [c for row in self.rows for c in row if c.text == text]
        return cell


class PageParser(HTMLParser):
    """Collects every start tag with its attributes, the text, and the tables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.tables: list[ParsedTable] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[str] = []
        self._cell: Cell | None = None
        self._in_caption = False
        self._section = 0
        self._row = -1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag not in VOID:
            self._open.append(tag)
            self.texts.setdefault(tag, []).append("")
        if tag == "table":
            self.tables.append(ParsedTable())
            self._section, self._row = 0, -1
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tbody":
            self._section += 1
            self.tables[-1].bodies.append(0)
        elif tag == "tr":
            table = self.tables[-1]
            table.rows.append([])
            self._row += 1
            if self._section == 0:
                table.head_rows += 1
            else:
                table.bodies[-1] += 1
        elif tag in ("th", "td"):
            self._cell = Cell(tag, attributes, self._row, self._section)
            self.tables[-1].rows[-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()
        if tag in ("th", "td"):
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        for tag in self._open:
            self.texts[tag][-1] += data
        if self._cell is not None:
            self._cell.text += data
        if self._in_caption:
            self.tables[-1].caption += data


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser


def is_subsequence(needle: tuple[str, ...], haystack: list[str]) -> bool:
    """Labels in order; a header may add the column's unit (采购总金额（单位：元）)."""
    it = iter(haystack)
    return all(
        any(y == x or re.fullmatch(re.escape(x) + "（单位：[^）]+）", y) for y in it)
        for x in needle
    )


def table_for(fmt: Format, caption: str) -> Table:
    (table,) = [t for t in fmt.tables.values() if t.title == caption]
    return table


def figures(page: PageParser, fmt: Format) -> Iterator[tuple[tuple[str, ...], str]]:
    """(YAML path, text) of every value cell, identified only by the header cells over it.

    A value's row headers are the row-scoped cells to its left; its column headers are
    the column-scoped cells above it in the thead or in its own tbody.  The format's
    label path of exactly one cell must be a subsequence of them.
    """
    for parsed in page.tables:
        table = table_for(fmt, parsed.caption.strip())
        grid = parsed.grid()
        seen: set[int] = set()
        for (r, c), cell in sorted(grid.items(), key=lambda item: item[0]):
            if cell.tag != "td" or id(cell) in seen:
                continue
            seen.add(id(cell))
            row_heads = _distinct(
                grid[r, k] for k in range(c) if grid[r, k].attrs.get("scope", "").startswith("row")
            )
            col_heads = _distinct(
                grid[k, c]
                for k in range(r)
                if grid[k, c].attrs.get("scope", "").startswith("col")
                and grid[k, c].section in (0, cell.section)
            )
            names = [h.text for h in row_heads + col_heads]
            matches = [c.path for c in table.cells if is_subsequence(c.labels[1:], names)]
            assert len(matches) == 1, (names, matches)
            yield matches[0], cell.text


def _distinct(cells: Iterator[Cell]) -> list[Cell]:
    out: list[Cell] = []
    for cell in cells:
        if all(cell is not seen for seen in out):
            out.append(cell)
    return out


def expected_figures(report: Report) -> dict[tuple[str, ...], str]:
    cells = report.format.cells
    return {path: format_value(v, cells[path].value) for path, v in report.values.items()}


@st.composite
def random_reports(draw: st.DrawFn) -> str:
    """YAML text of a valid report in any known format, with random figures.

    Leaf cells get random values; totals are omitted (so computed); 一、本年新收 is
    chosen per column so that 一 + 二 = 三（七）总计 + 四 holds.
    """
    fmt = draw(st.sampled_from(list(all_formats().values())))
    rules = {r.target: r for t in fmt.tables.values() for r in t.sums}
    values: dict[tuple[str, ...], int | Decimal] = {}
    for path, cell in fmt.cells.items():
        if path in rules:
            continue
        if cell.value == "amount":
            values[path] = draw(st.decimals(0, 99999, places=draw(st.integers(0, 4))))
        elif cell.value == "signed":
            values[path] = draw(st.integers(-50, 50))
        else:
            values[path] = draw(st.integers(0, 400))

    def total(path: tuple[str, ...]) -> int | Decimal:
        if path in values:
            return values[path]
        return sum((values[p] for p in rules[path].operands), start=0)

    for table in fmt.tables.values():
        columns = [p for c in table.columns for _, p, _ in c.leaves()]
        for eq in table.equations:
            for cp in columns:
                first = (table.key, *eq.left[0], *cp)
                if first in rules:
                    continue
                diff = sum(total((table.key, *r, *cp)) for r in eq.right) - sum(
                    total((table.key, *r, *cp)) for r in eq.left[1:]
                )
                values[first] = max(diff, 0)
                values[(table.key, *eq.right[-1], *cp)] += max(-diff, 0)
    data: dict[str, Any] = {
        "agency": draw(st.text(alphabet="局厅委办<>&\"'|*_#[]-+=1.)`~!", min_size=1, max_size=8)),
        "year": draw(st.integers(fmt.first_year, fmt.last_year or fmt.first_year + 9)),
    }
    for path, value in values.items():
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return _yaml(data)


def _yaml(node: Any) -> str:
    """Flow-style YAML (a superset of JSON) that keeps Decimals exact."""
    if isinstance(node, Mapping):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in node.items()) + "}"
    if isinstance(node, Decimal):
        return format(node, "f")
    if isinstance(node, str):
        return json.dumps(node, ensure_ascii=False)
    return str(node)


def markdown_figures(text: str, fmt: Format) -> dict[tuple[str, ...], str]:
    """(YAML path → text) of every figure in the Markdown's pipe tables, found by labels."""
    tokens = MD.parse(text)
    out: dict[tuple[str, ...], str] = {}
    table: Table | None = None
    rows: list[list[str]] = []
    for i, token in enumerate(tokens):
        if token.type == "inline" and tokens[i - 1].type == "paragraph_open":
            titles = [t for t in fmt.tables.values() if f"**{t.title}**" == token.content]
            table = titles[0] if titles else table
        elif token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            rows[-1].append(unescape(MD.renderInline(token.content)))
        elif token.type == "table_close":
            assert table is not None
            header, *body = rows
            for row in body:
                names = [p for cell in row if not _number(cell) for p in cell.split(" / ")]
                for j, cell in enumerate(row):
                    if _number(cell):
                        labels = names + header[j].split(" / ")
                        matches = [
                            c.path for c in table.cells if is_subsequence(c.labels[1:], labels)
                        ]
                        assert len(matches) == 1, (labels, matches)
                        out[matches[0]] = cell
            rows = []
    return out


def _number(text: str) -> bool:
    return re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", text) is not None


# -------------------------------------------------------------- hostile cases: bounded runs


REPORT_2022 = EXAMPLES / "qinghe-zfb" / "2022.yaml"
CANARY = "nianbao-canary"
"""A file name that hostile inputs try to create: it must never appear."""
SECONDS = 2.0
PEAK = 64 * 2**20
CHILD_SECONDS = 20.0
CHILD_RSS = 300 * 2**20


MEASURED: dict[str, list[float]] = {"seconds": [], "peak": [], "child_s": [], "child_rss": []}


def report_data() -> dict[str, Any]:
    data = yaml.safe_load(REPORT_2022.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    return path


def measured(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, float, int]:
    """Run the command in-process: exit code, stderr, seconds, tracemalloc peak bytes."""
    capsys.readouterr()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        code = main(list(argv))
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "内部错误" not in err, err
    MEASURED["seconds"].append(seconds)
    MEASURED["peak"].append(peak)
    return code, err, seconds, peak


def within_bounds(seconds: float, peak: int) -> None:
    assert seconds < SECONDS, f"took {seconds:.2f} s"
    assert peak < PEAK, f"allocated {peak / 2**20:.1f} MiB"


_PEAK_PROBE = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as fh, open(os.environ["NIANBAO_TEST_PEAK"], "w") as out:
        out.write(next(l for l in fh if l.startswith("VmHWM:")).split()[1])
atexit.register(_peak)
sys.argv[0] = "nianbao"
runpy.run_module("generator", run_name="__main__", alter_sys=True)
"""
"""Runs nianbao and, at exit, writes the peak resident size of its own address space.

``os.wait4`` is not enough on Linux: the exec'd child's ``ru_maxrss`` starts at the
peak of the (v)forked test process, so a large pytest made every child look large."""


def child(*argv: str, timeout: float = CHILD_SECONDS) -> tuple[int, str, float, int]:
    """Run ``python -m generator`` as a child: exit code, stderr, seconds, max RSS bytes."""
    start = time.perf_counter()
    probe = Path("/proc/self/status").is_file()
    with open(os.devnull, "wb") as null, tempfile_pair() as (out, err):
        peak_file = Path(tempfile.mkdtemp()) / "peak"
        command = ["-c", _PEAK_PROBE] if probe else ["-m", "generator"]
        proc = subprocess.Popen(
            [sys.executable, *command, *argv],
            stdin=null,
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(ROOT), "NIANBAO_TEST_PEAK": str(peak_file)},
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                pytest.fail(f"nianbao {' '.join(argv)} did not finish in {timeout} s")
            time.sleep(0.01)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, text = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {text}"
    assert "Traceback" not in text + stdout
    rss = int(peak_file.read_text()) * 1024 if probe else usage.ru_maxrss * 1024
    shutil.rmtree(peak_file.parent, ignore_errors=True)
    MEASURED["child_s"].append(seconds)
    MEASURED["child_rss"].append(rss)
    return proc.returncode, text, seconds, rss


@contextlib.contextmanager
def tempfile_pair() -> Iterator[tuple[Any, Any]]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        yield out, err


# --------------------------------------------------------------------------- narrative claims


def cell_values(fmt_id: str = "2021", **cells: object) -> dict[tuple[str, ...], Decimal]:
    """Every cell a claim can name set to 0, except ``cells`` (YAML paths with ``__`` for dots)."""
    from generator.spec import get_format

    vocab = get_format(fmt_id).claims
    assert vocab is not None
    out = dict.fromkeys(vocab.labels, Decimal(0))
    out.update({tuple(k.split("__")): Decimal(str(v)) for k, v in cells.items()})
    return out


def claim_findings(
    text: str, values: dict[tuple[str, ...], Decimal], fmt_id: str = "2021"
) -> list[Any]:
    """What the claims engine says about one narrative text, placed in a `|` block at line 10."""
    from generator.claims_check import Placement, check_narrative
    from generator.errors import Location
    from generator.spec import get_format

    vocab = get_format(fmt_id).claims
    assert vocab is not None
    place = Placement(Location("report.yaml", 10, 12), "|", 4)
    return check_narrative(text, vocab, values.get, place=place)


# ---------------------------------------------- cells as printed, read back from each output


def printed_figures(report: Report) -> dict[tuple[str, ...], str]:
    """Every official value cell's printed text (blank "", dash as written), by YAML path."""
    out: dict[tuple[str, ...], str] = {}
    for view in report.document():
        if view.grid is not None:
            out.update({c.path: c.text for c in view.grid.values() if c.path is not None})
    return out


def _pipe_tables(grid: Grid) -> list[list[tuple[int, list[int]]]]:
    """Grid rows and value columns in the order the Markdown renderer writes them."""
    rows = []
    for body in grid.bodies:
        for r in body:
            values = [c.col for c in grid.rows[r] if not c.header]
            if values:
                rows.append((r, values))
    return [rows]


def docx_figures(report: Report) -> dict[tuple[str, ...], str]:
    """The text of every official value cell as the rendered DOCX has it."""
    from generator.render import RenderOptions, get_renderer

    package = Package(get_renderer("docx").render(report, RenderOptions()))
    out: dict[tuple[str, ...], str] = {}
    grids_ = [v.grid for v in report.document() if v.grid is not None]
    for grid, tbl in zip(grids_, package.tables(), strict=True):
        squares, _ = docx_table(tbl)
        for cell in grid.values():
            if cell.path is not None:
                out[cell.path] = squares[(cell.row, cell.col)].text
    return out


def html_figures(report: Report) -> dict[tuple[str, ...], str]:
    """The text of every official value cell as the rendered HTML page has it."""
    from generator.render import RenderOptions, get_renderer

    page = parse(get_renderer("html").render(report, RenderOptions()).decode("utf-8"))
    out: dict[tuple[str, ...], str] = {}
    grids_ = [v.grid for v in report.document() if v.grid is not None]
    for grid, table in zip(grids_, page.tables, strict=True):
        squares = table.grid()
        for cell in grid.values():
            if cell.path is not None:
                out[cell.path] = squares[(cell.row, cell.col)].text
    return out


def markdown_cells(report: Report) -> list[str]:
    """The value cells of every Markdown pipe table, row by row (label columns left out)."""
    from generator.render import RenderOptions, get_renderer

    text = get_renderer("md").render(report, RenderOptions()).decode("utf-8")
    tokens = MD.parse(text)
    out: list[str] = []
    row: list[str] | None = None
    in_body = False
    for i, token in enumerate(tokens):
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "tbody_close":
            in_body = False
        elif token.type == "tr_open" and in_body:
            row = []
        elif token.type == "inline" and row is not None and tokens[i - 1].type == "td_open":
            if "right" in str(tokens[i - 1].attrGet("style")):  # figures are right-aligned
                row.append(unescape(MD.renderInline(token.content)).strip())
        elif token.type == "tr_close" and row is not None:
            out.extend(row)
            row = None
    return out


def markdown_expected(report: Report) -> list[str]:
    """What ``markdown_cells`` must read: the printed text of each value cell, row by row."""
    out: list[str] = []
    for view in report.document():
        if view.grid is None:
            continue
        cells = {(c.row, c.col): c for c in view.grid.values()}
        for table in _pipe_tables(view.grid):
            for r, cols in table:
                out.extend(cells[(r, c)].text for c in cols)
    return out


# ---------------------------------------------- the development corpus as nianbao reports

CORPUS = ROOT.parent / "shared" / "corpus"
"""Real published reports with hand-checked figures (../shared/corpus, outside the repo)."""

_T3_COLUMNS = ("natural_person", "business", "research", "nonprofit", "legal_service", "other_org",
               "total")  # fmt: skip
_T3_ROWS = {
    "new": "received", "carried_over": "carried_over", "granted": "granted",
    "partly_granted": "partial", "withheld_state_secret": "withheld.state_secret",
    "withheld_prohibited_by_law": "withheld.prohibited_by_law",
    "withheld_three_safeties": "withheld.three_safeties",
    "withheld_third_party": "withheld.third_party",
    "withheld_internal_affairs": "withheld.internal_affairs",
    "withheld_process_info": "withheld.process_info",
    "withheld_enforcement_files": "withheld.enforcement_file",
    "withheld_query_matters": "withheld.inquiry",
    "unavailable_not_held": "unavailable.not_held",
    "unavailable_needs_creation": "unavailable.needs_creation",
    "unavailable_unclear": "unavailable.unclear",
    "not_processed_petition": "not_processed.petition",
    "not_processed_repeated": "not_processed.repeated",
    "not_processed_publications": "not_processed.publication",
    "not_processed_massive_repeated": "not_processed.excessive",
    "not_processed_confirm_reissue": "not_processed.confirmation",
    "other_no_correction": "other_handling.no_correction",
    "other_fee_unpaid": "other_handling.unpaid_fee",
    "other_misc": "other_handling.other",
    "total": "total", "carry_forward": "carried_forward",
}  # fmt: skip
_T3_NAMES = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
_T3_COLUMN_NAMES = dict(zip(_T3_NAMES, _T3_COLUMNS, strict=True))
_T4_GROUPS = {"review": "review", "litigation_direct": "direct_suit",
              "litigation_after_review": "suit_after_review"}  # fmt: skip
_T4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
_T2_2021 = {"regulations": "regulations", "normative_documents": "normative_documents",
            "licensing": "licensing", "punishment": "penalties", "coercion": "coercion",
            "fees_wan_yuan": "fees"}  # fmt: skip
_T2_2019 = {"regulations": "regulations", "normative_documents": "normative_documents",
            "licensing": "licensing", "other_services": "other_services",
            "punishment": "penalties", "coercion": "coercion", "fees": "fees",
            "procurement": "procurement"}  # fmt: skip
_T2_2019_COLUMNS = {"made": "new_made", "published": "new_published",
                    "total_public": "total_published", "prev_items": "previous_items",
                    "change": "change", "decisions": "decisions", "items": "projects",
                    "amount": "amount"}  # fmt: skip


def _put_path(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def truth_cells(case: Mapping[str, Any]) -> dict[tuple[str, ...], Any]:
    """Every figure of a corpus case by its nianbao YAML path, exactly as transcribed.

    A number as printed, None for a blank, "?" for unreadable, other strings as printed.
    A 2021-format case printing （六）其他处理 as one row puts it in 3.其他 (the report
    then says ``merged_rows: [other_handling]``).
    """
    out: dict[tuple[str, ...], Any] = {}
    old = case["format"] == "2019"
    for key, value in case["t2"].items():
        row = (_T2_2019 if old else _T2_2021)[key]
        if isinstance(value, dict):
            for col, v in value.items():
                col_key = _T2_2019_COLUMNS[col] if old else col
                out[("proactive_disclosure", row, col_key)] = v
        else:
            out[("proactive_disclosure", row)] = value
    for row, values in case["t3"]["rows"].items():
        if row == "other":
            path = ("other_handling",) if old else ("other_handling", "other")
        else:
            path = tuple(_T3_ROWS[row].split("."))
        for col, v in zip(_T3_COLUMNS, values, strict=True):
            out[("applications", *path, col)] = v
    for group, values in case["t4"].items():
        for col, v in zip(_T4_COLUMNS, values, strict=True):
            out[("review_litigation", _T4_GROUPS[group], col)] = v
    return out


def truth_report(case: Mapping[str, Any]) -> str:
    """A corpus case as a nianbao YAML report (JSON is YAML): its figures, a stub narrative.

    The truth files hold no narrative, so sections get a neutral sentence that states no
    figure; 信息处理费 is written when the case states a number.
    """
    data: dict[str, Any] = {
        "agency": case["agency"],
        "year": case["year"],
        "format": case["format"],
        "overview": {"summary": "本报告的表格转写自已公开的年度报告。"},
        "problems": {"text": "本用例只转写了表格，问题与改进情况见原报告。"},
        "other_matters": {"text": "无"},
    }
    for path, value in truth_cells(case).items():
        _put_path(data, path, value)
    fee = case.get("section6_fee_yuan")
    if case["format"] != "2019" and isinstance(fee, int | float):
        data["other_matters"]["fee"] = fee
    if case["format"] != "2019" and "other" in case["t3"]["rows"]:
        data["local"] = {"applications": {"merged_rows": ["other_handling"]}}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def truth_printed(value: Any) -> str:
    """How a transcribed figure must look in every output: as printed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def known_error_subject(where: str) -> tuple[str, str]:
    """A corpus ``known_errors`` key (``R3 t3 column 总计``) as nianbao's (code, subject)."""
    rule, rest = where.split(" ", 1)
    if rule == "R1":
        return "T3-BALANCE", "applications." + _T3_COLUMN_NAMES[rest.split()[-1]]
    if rule == "R3":
        return "T3-COLUMN-TOTAL", "applications.total." + _T3_COLUMN_NAMES[rest.split()[-1]]
    if rule == "R2":
        row = rest.split(".")[1]
        return "T3-ROW-TOTAL", f"applications.{_T3_ROWS[row]}.total"
    if rule == "R4":
        return "T4-GROUP-TOTAL", f"review_litigation.{_T4_GROUPS[rest.split('.')[1]]}.total"
    if rule == "R7":
        col = rest.split()[0].split(".")[-1]
        return "X-CARRY", "applications.carried_over." + _T3_COLUMN_NAMES[col]
    if rule == "R8":
        kind = rest.split()[0].split(".")[1]
        return "X-IN-FORCE", f"proactive_disclosure.{kind}.in_force"
    raise ValueError(f"no nianbao rule for {where!r}")


def report_despite_errors(source: Any) -> Report:
    """The Report of a loaded source whose figures break rules, to see how it would print.

    ``validate`` gives no Report when there are errors (a wrong report must not build);
    the corpus cases with the publisher's own errors must still print as published.
    """
    from generator import narrative
    from generator.local import read_local
    from generator.model import field_values, meta_values
    from generator.rules import compute_cells, numeric
    from generator.validate import select_format
    from generator.values import Blank, Dash, Unreadable

    fmt, _ = select_format(source)
    cells = compute_cells(fmt, source.data)
    marks = {p: v for p, v in cells.items() if isinstance(v, Blank | Dash | Unreadable)}
    blocks = {
        (s.key, part.key): narrative.parse(str(source.data.get(s.key, {}).get(part.key) or ""))
        for s in fmt.sections
        for part in s.parts
    }
    local, _ = read_local(fmt, source)
    meta, fields = meta_values(fmt, source.data), field_values(fmt, source.data)
    return Report(fmt, source.name, meta, numeric(fmt, cells), fields, blocks, marks, local)
