"""Report → one self-contained HTML5 page (``templates/html/report.html.j2``).

The page needs nothing from the network: the stylesheet is inline, there are no
scripts and no web fonts, so it can be archived, mailed or printed as it is.
Tables are drawn cell by cell from ``layout.Grid``; every merge and header scope
comes from there.  All report data goes through Jinja's autoescaping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import RenderOptions
from ._jinja import render
from .context import template_context

if TYPE_CHECKING:
    from ..model import Report

__all__ = ["RENDERER", "HtmlRenderer"]

TEMPLATE = "report.html.j2"


class HtmlRenderer:
    """Renders a Report as UTF-8 HTML."""

    suffix = "html"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        context = template_context(report)
        text = render("html", options.templates, TEMPLATE, **context)
        return text.encode("utf-8")


RENDERER = HtmlRenderer()
