"""The report's agency, year and publication date, read from its title, signature and page.

The title pattern is the format's own (``{agency}{year}年…``), loosened for what pages
print: 年度 for 年, spaces, a site name after the title in an HTML ``<title>``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ..spec import Format, all_formats
from .document import Document
from .sections import Placement

__all__ = ["Meta", "read_meta"]

_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


@dataclass(frozen=True, slots=True)
class Meta:
    agency: str | None
    year: int | None
    published: str | None
    title: str | None


def _title_patterns() -> list[re.Pattern[str]]:
    out = []
    for fmt in all_formats().values():
        head, _, tail = fmt.title.partition("{year}")
        tail = tail[1:] if tail.startswith("年") else tail
        body = r"\s*".join(re.escape(ch) for ch in tail)
        agency = re.escape(head).replace(re.escape("{agency}"), r"(?P<agency>[^\s_|｜-]{2,60}?)")
        out.append(re.compile(rf"{agency}\s*(?P<year>(?:19|20)\d{{2}})\s*年度?\s*{body}"))
    return list(dict.fromkeys(out))


def read_meta(doc: Document, placement: Placement) -> Meta:
    """What the document says about itself; None for what it does not say."""
    candidates = [doc.title] if doc.title else []
    first = [p.text for p in list(doc.paras())[:6]]
    candidates += first + [a + b for a, b in itertools.pairwise(first)]
    candidates += doc.extra_titles
    agency = year = title = None
    for text in candidates:
        for pattern in _title_patterns():
            m = pattern.search("".join((text or "").split()))
            if m:
                agency, year, title = m.group("agency"), int(m.group("year")), m.group(0)
                break
        if title:
            break
    published = None
    for line in reversed(placement.signature):
        m = _CN_DATE.fullmatch("".join(line.split()))
        if m:
            published = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
            break
    if published is None and doc.dates:
        published = doc.dates[0]
    if agency is None and len(placement.signature) == 2:
        agency = placement.signature[0].strip()
    return Meta(agency, year, published, title)


def fee_from_text(fmt: Format, text: str) -> dict[str, str]:
    """Scalar fields the sixth section states (信息处理费 N 元), as printed."""
    out: dict[str, str] = {}
    for section in fmt.sections:
        for f in section.fields:
            if not f.mention or f.mention not in text:
                continue
            m = re.search(
                rf"{re.escape(f.mention)}[^。；;]*?(\d+(?:\.\d+)?)\s*{f.unit or '元'}", text
            )
            if m:
                out[f.key] = m.group(1)
            elif re.search(rf"(?:无|未|没有|不)[^。；;]{{0,8}}{re.escape(f.mention)}", text):
                out[f.key] = "0"
    return out
