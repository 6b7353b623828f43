"""Renderers: one validated Report in, the bytes of one output file out.

All three renderers take the same ``Report`` and draw tables from the same
``layout.Grid``, so labels, merges and order come from the format data alone.
A renderer never writes files; ``build`` does, atomically.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..model import Report

__all__ = [
    "FORMATS",
    "RenderOptions",
    "Renderer",
    "build_time",
    "get_renderer",
    "source_date_epoch",
]

FORMATS: dict[str, str] = {"docx": "docx", "html": "html", "md": "markdown", "pdf": "pdf"}
"""Output suffix → renderer module; the order is the build order.  ``pdf`` is made from
the DOCX by LibreOffice (``generator.pdf``) and is not built unless asked for."""


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What a renderer may use besides the report: user templates, a reference DOCX, the time."""

    templates: Path | None = None
    reference_docx: Path | None = None
    timestamp: datetime = field(default_factory=lambda: build_time())


class Renderer(Protocol):
    """An output kind: turns a validated Report into the bytes of one file.

    ``suffix`` is the output file's extension and the ``-f`` name.  A renderer is pure
    (same report and options, same bytes) and never writes files; ``build`` does.
    """

    suffix: str

    def render(self, report: Report, options: RenderOptions) -> bytes: ...


def build_time() -> datetime:
    """The one clock of a build: ``SOURCE_DATE_EPOCH`` when set, else a fixed date.

    Outputs must not depend on when they were built; a report's own date (its
    publication date) takes precedence where a renderer needs one.
    """
    epoch = source_date_epoch()
    if epoch is not None:
        return datetime.fromtimestamp(epoch, tz=UTC)
    return datetime(2000, 1, 1, tzinfo=UTC)


_MAX_EPOCH = 253402300799
"""9999-12-31T23:59:59Z: the last second a document property (and ``datetime``) can hold."""


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as seconds, None when unset or empty; the only reader of it.

    Anything but ASCII digits up to the year 9999 is an environment error (exit 2),
    said before a report is built: ``int()`` would accept "²" or "١" and the clock
    would overflow later, inside a renderer.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12 and int(raw) <= _MAX_EPOCH):
        from ..errors import UsageError, printable

        shown = printable(raw if len(raw) <= 24 else raw[:24] + "…")
        raise UsageError(
            f"环境变量 SOURCE_DATE_EPOCH 的值 “{shown}” 无效："
            f"应为 0 至 {_MAX_EPOCH}（9999 年底）之间的整数秒数，或不设置"
        )
    return int(raw)


def get_renderer(suffix: str) -> Renderer:
    """The renderer for an output suffix (``docx``, ``html``, ``md``), imported lazily."""
    module = importlib.import_module(f"{__name__}.{FORMATS[suffix]}")
    renderer: Renderer = module.RENDERER
    return renderer
