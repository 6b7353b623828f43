"""A generated reports tree for the summary tests: 30 agencies in 3 folders over 3 years.

Every report is valid and consistent across years (上年结转 = last year's 结转, 现行有效件数
rolls forward) except the cases the tests look for, all in the last year (2023):

- ``east/a03`` reported in 2021 and 2022 but not 2023 (missing);
- ``east/a04`` published after the deadline; ``west/a05`` has no publication date;
- ``west/a06`` writes a wrong 总计 (invalid);
- ``east/a07`` copies its 2022 narrative; ``east/a08``'s 五 ignores last year's problems;
- ``west/a09`` is still named with the placeholder; ``west/a10`` left one part empty;
- ``north/a01``'s new applications jump fivefold.

The roster adds ``west/a99``, which never reported.  Figures come from a seeded
random generator, so the tree is the same on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.spec import get_format

YEARS = (2021, 2022, 2023)
YEAR = YEARS[-1]
FOLDERS = {"east": 12, "west": 12, "north": 6}
COLUMNS = ("natural_person", "business", "research", "nonprofit", "legal_service", "other_org")
MISSING, LATE, UNDATED, INVALID = "east/a03", "east/a04", "west/a05", "west/a06"
COPIED, NO_FOLLOWUP, PLACEHOLDER, EMPTY_PART = "east/a07", "east/a08", "west/a09", "west/a10"
JUMP = "north/a01"
NEVER = "west/a99"
DECLARED = {"示范片区": ("east/a01", "east/a02", "north/a02")}

_FRAGMENTS = [
    f"{word}工作{verb}，{tail}"
    for word in ("政策解读", "信息发布", "平台建设", "目录编制", "依申请办理", "监督考核")
    for verb, tail in (
        ("稳步推进", "各项任务按期完成"),
        ("持续深化", "群众满意度有所提高"),
        ("不断规范", "流程更加清晰"),
        ("扎实开展", "专栏内容及时更新"),
        ("有序落实", "重点领域信息应公开尽公开"),
    )
]


@dataclass
class Tree:
    root: Path
    agencies: list[str] = field(default_factory=list)
    roster: tuple[str, ...] = ()
    files: dict[tuple[str, int], Path] = field(default_factory=dict)


def _text(rng: random.Random, agency: str, year: int, n: int = 6) -> str:
    parts = rng.sample(_FRAGMENTS, n)
    return f"{year}年，{agency}" + "；".join(parts) + "。"


def _applications(rng: random.Random, carried_over: dict[str, int], boost: int) -> dict[str, Any]:
    rows: dict[str, Any] = {
        "granted": {c: rng.randint(0, 6) for c in COLUMNS},
        "partial": {c: rng.randint(0, 2) for c in COLUMNS},
        "withheld": {"third_party": {c: rng.randint(0, 1) for c in COLUMNS}},
        "unavailable": {"not_held": {c: rng.randint(0, 3) for c in COLUMNS}},
        "not_processed": {"repeated": {c: rng.randint(0, 1) for c in COLUMNS}},
    }
    rows["granted"]["natural_person"] += boost
    forward = {c: rng.randint(0, 1) for c in COLUMNS}
    received = {}
    for c in COLUMNS:
        done = (
            rows["granted"][c]
            + rows["partial"][c]
            + rows["withheld"]["third_party"][c]
            + rows["unavailable"]["not_held"][c]
            + rows["not_processed"]["repeated"][c]
        )
        need = done + forward[c] - carried_over.get(c, 0)
        if need < 0:
            rows["granted"][c] += -need
            need = 0
        received[c] = need
    return {"received": received, "carried_over": carried_over, **rows, "carried_forward": forward}


def _report(
    rng: random.Random, agency: str, name: str, year: int, last: dict[str, Any] | None
) -> dict[str, Any]:
    carried = dict(last["applications"]["carried_forward"]) if last else {}
    in_force = last["proactive_disclosure"]["normative_documents"]["in_force"] if last else 10
    issued, repealed = rng.randint(0, 4), rng.randint(0, 2)
    boost = 60 if (agency == JUMP and year == YEAR) else 0
    overview = {
        key: _text(rng, name, year)
        for key in ("summary", "proactive", "on_request", "management", "platforms", "oversight")
    }
    followup = "针对上年报告所列问题，已逐项整改到位。"
    data: dict[str, Any] = {
        "agency": name,
        "year": year,
        "published": f"{year + 1}-01-{rng.randint(10, 28):02d}",
        "overview": overview,
        "proactive_disclosure": {
            "normative_documents": {
                "issued": issued,
                "repealed": repealed,
                "in_force": in_force + issued - repealed,
            },
            "licensing": rng.randint(0, 300),
            "penalties": rng.randint(0, 80),
            "fees": rng.randint(0, 999) / 100,
        },
        "applications": _applications(rng, carried, boost),
        "review_litigation": {
            "review": {"upheld": rng.randint(0, 2), "corrected": rng.randint(0, 1)},
        },
        "problems": {"text": _text(rng, name, year, 3) + followup},
        "other_matters": {"text": "无"},
    }
    return data


def _special(agency: str, data: dict[str, Any], last: dict[str, Any] | None) -> None:
    """The 2023 cases the tests look for (see the module docstring)."""
    if agency == LATE:
        data["published"] = f"{YEAR + 1}-03-05"
    elif agency == UNDATED:
        del data["published"]
    elif agency == INVALID:
        received = data["applications"]["received"]
        received["total"] = sum(received.values()) + 3
    elif agency == COPIED and last is not None:
        data["overview"] = dict(last["overview"])
    elif agency == NO_FOLLOWUP:
        data["problems"]["text"] = (
            "本年公开工作还存在栏目更新不够及时、解读形式较为单一等不足，将加强培训。"
        )
    elif agency == PLACEHOLDER:
        field = next(f for f in get_format("2021").meta if f.key == "agency")
        data["agency"] = field.example
    elif agency == EMPTY_PART:
        del data["overview"]["platforms"]


def make_tree(root: Path, seed: int = 15) -> Tree:
    """Write the tree below ``root`` (``root/<folder>/aNN/<year>.yaml``)."""
    rng = random.Random(seed)
    tree = Tree(root)
    for folder, count in FOLDERS.items():
        for n in range(1, count + 1):
            agency = f"{folder}/a{n:02d}"
            tree.agencies.append(agency)
            name = f"{folder.upper()}区第{n}局"
            last: dict[str, Any] | None = None
            for year in YEARS:
                data = _report(rng, agency, name, year, last)
                if year == YEAR:
                    if agency == MISSING:
                        continue
                    _special(agency, data, last)
                path = root / agency / f"{year}.yaml"
                path.parent.mkdir(parents=True, exist_ok=True)
                text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)
                path.write_text(text, encoding="utf-8")
                tree.files[(agency, year)] = path
                last = data
    tree.roster = (*tree.agencies, NEVER)
    return tree
