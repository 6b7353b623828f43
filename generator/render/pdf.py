"""The PDF output's renderer: the DOCX it is made from.

A PDF is the DOCX laid out by LibreOffice, which runs once per build for all the
PDFs that are out of date (``generator.pdf``); rendering a report for ``pdf`` hence
yields the DOCX bytes that ``build`` hands to that batch, never the PDF itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import RenderOptions
from .docx import RENDERER as DOCX

if TYPE_CHECKING:
    from ..model import Report

__all__ = ["RENDERER", "PdfSource"]


class PdfSource:
    """Renders a Report as the DOCX its PDF is converted from."""

    suffix = "pdf"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        return DOCX.render(report, options)


RENDERER = PdfSource()
