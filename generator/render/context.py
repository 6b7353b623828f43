"""What the HTML and Markdown templates are given: a typed, documented interface.

Users copy the shipped templates (``templates/html``, ``templates/markdown``) and
pass their copies with ``--templates``; those copies depend on the names below, so
they are declared here, typed, and changed only on purpose.

Every template receives:

``report`` (``model.Report``)
    ``report.title``, ``report.title_lines`` (the title as printed, line by line: the
    机关名称, then the rest, or the report's ``title_lines``), ``report.agency``,
    ``report.year``, ``report.published`` (a
    ``date`` or None), ``report.format`` (``spec.Format``: ``id``, ``name``,
    ``notice``), ``report.meta`` (the metadata by key) and ``report.values`` (every
    table figure by YAML path).
``sections`` (tuple of ``model.SectionView``)
    The six sections in order, as the DOCX output draws them too.  A view has
    ``heading``; ``parts`` (``model.PartView``: ``heading`` — None for text under
    the section heading — and ``blocks``, the parsed narrative, empty parts left
    out); ``table`` (``spec.Table`` with ``title``, ``number``, ``caption``) and
    ``grid`` (``layout.Grid``: ``rows`` of ``GridCell`` with ``text``, ``rowspan``,
    ``colspan``, ``kind``, ``scope``, ``header``; ``categories()``, the top-level row
    groups that printing keeps whole), both None for narrative sections.

The HTML templates also have the filter ``keep_rows`` (``grid | keep_rows``: the rows
after which a printed table must not break, from ``render.pagination``).

The Markdown template also receives ``tables``: for each table section's key, its
pipe tables (``render.markdown.PipeTable``: ``titles``, ``header``, ``numeric``,
``rows``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from ..model import Report, SectionView
    from .markdown import PipeTable

__all__ = ["MarkdownContext", "TemplateContext", "template_context"]


class TemplateContext(TypedDict):
    """The names every report template receives (see the module docstring)."""

    report: Report
    sections: tuple[SectionView, ...]


class MarkdownContext(TemplateContext):
    """The Markdown template's names: the common ones and the flattened pipe tables."""

    tables: Mapping[str, Sequence[PipeTable]]


def template_context(report: Report) -> TemplateContext:
    """The common context of one report: the report and its document tree."""
    return {"report": report, "sections": report.document()}
