"""Importing XLSX: merged ranges are spans, numbers read as printed, blanks blank."""

from __future__ import annotations

from pathlib import Path

from generator.importer import import_file
from generator.spec import get_format

from . import import_fixtures as F

RECEIVED = ("applications", "received", "natural_person")


def test_every_cell_of_every_official_table_is_found(tmp_path: Path) -> None:
    values = {cell: str(i + 1) for i, cell in enumerate(get_format("2021").cells)}
    imported = import_file(F.to_xlsx(F.report(values=values), tmp_path / "r.xlsx"))
    assert not imported.missing
    assert {p: imported.figure(p).printed for p in values} == values


def test_blank_and_dash_cells_and_a_decimal_amount(tmp_path: Path) -> None:
    values = {RECEIVED: "", ("applications", "granted", "business"): "-",
              ("proactive_disclosure", "fees"): "12.5"}  # fmt: skip
    imported = import_file(F.to_xlsx(F.report(values=values), tmp_path / "r.xlsx"))
    assert imported.figure(RECEIVED).kind == "blank"
    assert imported.figure(("applications", "granted", "business")).printed == "-"
    assert imported.figure(("proactive_disclosure", "fees")).printed == "12.5"


def test_the_agency_and_year_come_from_the_title_cell(tmp_path: Path) -> None:
    imported = import_file(F.to_xlsx(F.report(agency="某区统计局", year=2024), tmp_path / "r.xlsx"))
    assert (imported.meta.agency, imported.meta.year) == ("某区统计局", 2024)
