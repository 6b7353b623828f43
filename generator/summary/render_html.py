"""Step 3a: the summary as one self-contained HTML page (``templates/summary/``).

Nothing comes from the network: the stylesheet is inline, charts are inline SVG,
there is no script.  The 汇总 tables are drawn by the report renderer's own table
macro (``templates/html/_table.html.j2``) from ``layout.Grid``, so they have the
official layout, merges and header scopes.  Every text goes through autoescaping.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import jinja2

from ..render import _jinja
from ..resources import templates_dir
from .charts import line_chart, show, spark
from .compute import Summary
from .ratios import METRICS
from .textcheck import COPY_THRESHOLD

__all__ = ["render_html"]

TEMPLATE = "dashboard.html.j2"


@functools.cache
def _environment() -> jinja2.Environment:
    """Summary templates first, then the report templates (for ``_table.html.j2``)."""
    folders = [templates_dir() / "summary", templates_dir() / "html"]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    # What the report templates rely on (their filters and tests), from their own environment.
    report = _jinja.environment("html")
    env.filters.update(report.filters)
    env.tests.update(report.tests)
    env.globals.update(report.globals)
    env.filters["show"] = show
    return env


def _href(path: Path, outdir: Path) -> str:
    """A link from the page to a report file: relative, with ``/``, so the two can move together."""
    try:
        return Path(os.path.relpath(path.absolute(), outdir.absolute())).as_posix()
    except ValueError:  # another drive on Windows
        return path.absolute().as_uri()


def context(summary: Summary, outdir: Path) -> dict[str, Any]:
    """What the dashboard template receives; all figures were computed in ``compute``."""
    years = list(summary.years)
    group_charts = []
    for n, metric in enumerate(METRICS):
        lines = [s for s in summary.group_trends if s.metric.key == metric.key]
        if any(s.value(y) is not None for s in lines for y in years):
            group_charts.append(line_chart(f"chart-{n}", metric.name, years, lines))
    sparks: dict[str, dict[str, Any]] = {}
    for s in summary.agency_trends:
        sparks.setdefault(s.subject, {})[s.metric.key] = (s, spark(s, years))
    anchors: dict[tuple[str, str], str] = {}
    row_ids: list[str | None] = []
    for f in summary.findings:  # the matrix links to the first row of each agency and rule
        key = (f.agency, f.code)
        row_ids.append(None if key in anchors else anchors.setdefault(key, f"f{len(anchors) + 1}"))
    real = {e.name: e.path for e in summary.tree.entries.values()}
    files = {f.file for f in summary.findings} | {s.file for s in summary.coverage.rows if s.file}
    return {
        "summary": summary,
        "metrics": METRICS,
        "group_charts": group_charts,
        "sparks": sparks,
        "links": {f: _href(real.get(f, Path(f)), outdir) for f in sorted(files)},
        "copy_threshold": COPY_THRESHOLD,
        "anchors": anchors,
        "row_ids": row_ids,
    }


def render_html(summary: Summary, outdir: Path) -> bytes:
    page = _environment().get_template(TEMPLATE).render(**context(summary, outdir))
    return page.encode("utf-8")
