"""``nianbao new``: the header names the cells that were actually carried from last year.

The 2019 format carries 上一年项目数量, the 2021 format 现行有效件数; a header typed once
for the 2021 format told 2020 authors about a column their table does not have.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.cli import main

from .conftest import EXAMPLES

YUNSHAN = EXAMPLES / "yunshan-hbj"


@pytest.fixture
def agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The 云杉市生态环境局 2019 report alone, in a reports repository."""
    (tmp_path / ".git").mkdir()
    folder = tmp_path / "reports" / "yunshan-hbj"
    folder.mkdir(parents=True)
    shutil.copy(YUNSHAN / "2019.yaml", folder / "2019.yaml")
    monkeypatch.chdir(tmp_path)
    return folder


def _header(path: Path) -> str:
    return "\n".join(line for line in path.read_text("utf-8").splitlines()[:4])


def test_new_2020_header_names_the_2019_carried_cells(agency: Path) -> None:
    """A 2020 file (2019 format) names its own 上年结转 row and 上一年项目数量, not 现行有效件数."""
    assert main(["new", str(agency / "2020.yaml")]) == 0
    header = _header(agency / "2020.yaml")
    assert "生成：上年结转政府信息公开申请数量、上一年项目数量已按上年数据填好" in header
    assert "现行有效件数" not in header


def test_new_2021_header_names_the_2021_carried_cells(agency: Path) -> None:
    """A 2021 file from 2020 carries only 上年结转: 现行有效件数 has no 2020 counterpart."""
    shutil.copy(YUNSHAN / "2020.yaml", agency / "2020.yaml")
    assert main(["new", str(agency / "2021.yaml")]) == 0
    header = _header(agency / "2021.yaml")
    assert "生成：上年结转政府信息公开申请数量已按上年数据填好" in header


def test_new_2022_header_names_both_2021_carried_cells(agency: Path) -> None:
    """Between two 2021-format years both carried cells are named."""
    shutil.copy(YUNSHAN / "2021.yaml", agency / "2021.yaml")
    assert main(["new", str(agency / "2022.yaml")]) == 0
    header = _header(agency / "2022.yaml")
    assert "上年结转政府信息公开申请数量、现行有效件数已按上年数据填好" in header
