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

__all__ = ["FORMATS", "RenderOptions", "Renderer", "build_time", "get_renderer"]

FORMATS: dict[str, str] = {"docx": "docx", "html": "html", "md": "markdown"}
"""Output suffix → renderer module; the order is the default build order."""


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
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime(2000, 1, 1, tzinfo=UTC)


def get_renderer(suffix: str) -> Renderer:
    """The renderer for an output suffix (``docx``, ``html``, ``md``), imported lazily."""
    module = importlib.import_module(f"{__name__}.{FORMATS[suffix]}")
    renderer: Renderer = module.RENDERER
    return renderer
