"""nianbao as a library: read, check and render 政府信息公开工作年度报告.

A small, stable surface over the implementation package ``generator``::

    import nianbao

    result = nianbao.validate("reports/某局/2024.yaml")   # last year's file is compared too
    for d in result.diagnostics:
        print(d.format())
    if result.report is not None:
        html = nianbao.render(result.report, "html")       # bytes of the file

``load`` reads a file without checking it against the format; ``validate`` checks
it (schema, sums, narrative references, cross-year rules); ``render`` turns a
validated report into DOCX, HTML or Markdown bytes.  Nothing here writes files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from generator import __version__
from generator.errors import Diagnostic, InvalidReport, Location, NianbaoError, UsageError

if TYPE_CHECKING:
    from generator.model import Report
    from generator.source import Source
    from generator.validate import Outcome

__all__ = [
    "Diagnostic",
    "InvalidReport",
    "Location",
    "NianbaoError",
    "UsageError",
    "__version__",
    "load",
    "render",
    "validate",
]


def load(path: str | Path) -> Source:
    """The YAML of ``path`` with positions for messages; raises InvalidReport if unreadable."""
    from generator.source import load as _load

    return _load(Path(path), str(path))


def validate(
    path: str | Path, *, data: bytes | str | None = None, name: str | None = None
) -> Outcome:
    """Check the report at ``path`` (or ``data``, as if it were at ``path``).

    The result's ``diagnostics`` list every finding, ``ok`` is true without errors
    and ``report`` is the validated report (None when there are errors).
    """
    from generator.validate import check_file

    raw = data.encode("utf-8") if isinstance(data, str) else data
    return check_file(Path(path), name or str(path), data=raw)


def render(report: Report, kind: str = "html") -> bytes:
    """The bytes of ``report`` as ``kind``: ``docx``, ``html`` or ``md``."""
    from generator.render import FORMATS, RenderOptions, get_renderer

    if kind not in FORMATS:
        raise UsageError(f"未知的输出格式 {kind}（可用：{', '.join(FORMATS)}）")
    return get_renderer(kind).render(report, RenderOptions())
