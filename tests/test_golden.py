"""The seed report in all three formats, compared with files a person has reviewed.

A change to a renderer shows up here as a readable diff.  After reviewing it, run
``pytest tests/test_golden.py --update-golden`` and commit the new files with the change.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from generator.render import RenderOptions, get_renderer
from generator.validate import check_file

from .conftest import SEED

GOLDEN = Path(__file__).resolve().parent / "golden"


def docx_xml(data: bytes) -> str:
    """word/document.xml, canonicalised and indented so a diff is readable."""
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    etree.indent(root, space=" ")
    return etree.tostring(root, encoding="unicode") + "\n"


def rendered(suffix: str) -> str:
    report = check_file(SEED).report
    assert report is not None
    data = get_renderer(suffix).render(report, RenderOptions())
    return docx_xml(data) if suffix == "docx" else data.decode("utf-8")


@pytest.mark.parametrize(
    ("suffix", "golden"),
    [("md", "2021.md"), ("html", "2021.html"), ("docx", "2021.document.xml")],
)
def test_seed_output_matches_the_reviewed_file(
    suffix: str, golden: str, request: pytest.FixtureRequest
) -> None:
    """商丘市工业和信息化局 2021 renders exactly as reviewed."""
    path = GOLDEN / "shangqiu-gxj" / golden
    text = rendered(suffix)
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert text == path.read_text(encoding="utf-8"), f"review and run --update-golden ({path})"
