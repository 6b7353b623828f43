"""model builds the document tree once; the three renderers draw that same tree."""

from __future__ import annotations

import dataclasses

from generator.model import Report
from generator.render import RenderOptions, get_renderer
from generator.render.context import template_context

from .support import Package, parse


def _headings(report: Report) -> list[str]:
    return [
        h
        for view in report.document()
        for h in (view.heading, *(p.heading for p in view.parts if p.heading))
    ]


def _without_proactive_text(report: Report) -> Report:
    narrative = {k: v for k, v in report.narrative.items() if k != ("overview", "proactive")}
    return dataclasses.replace(report, narrative=narrative)


def test_the_tree_is_built_once(seed: Report) -> None:
    """Every renderer asks for the tree; it is made on the first call and then reused."""
    assert seed.document() is seed.document()
    assert template_context(seed)["sections"] is seed.document()


def test_an_empty_part_is_left_out_of_the_tree(seed: Report) -> None:
    """A part without text has no view, so no renderer draws its sub-heading."""
    report = _without_proactive_text(seed)
    assert "（一）主动公开" in _headings(seed)
    assert "（一）主动公开" not in _headings(report)


def test_all_three_outputs_show_the_tree_headings_in_order(seed: Report) -> None:
    """DOCX, HTML and Markdown headings are exactly those of the tree, in its order."""
    report = _without_proactive_text(seed)
    expected = _headings(report)
    options = RenderOptions()
    docx = Package(get_renderer("docx").render(report, options))
    styles = {"Heading1", "Heading2"}
    drawn = [
        "".join(p.xpath(".//w:t/text()", namespaces={"w": docx.body.nsmap["w"]}))
        for p in docx.body
        if p.xpath("string(w:pPr/w:pStyle/@w:val)", namespaces={"w": docx.body.nsmap["w"]})
        in styles
    ]
    assert drawn == expected
    page = parse(get_renderer("html").render(report, options).decode("utf-8"))
    views = report.document()
    assert page.texts["h2"] == [v.heading for v in views]
    assert page.texts["h3"] == [p.heading for v in views for p in v.parts if p.heading]
    md = get_renderer("md").render(report, options).decode("utf-8")
    md_headings = [
        line.lstrip("#").strip() for line in md.splitlines() if line[:3] in ("## ", "###")
    ]
    assert md_headings == expected
