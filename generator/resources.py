"""Where the templates and the schema are, in a checkout and in an installed wheel.

The repository keeps ``templates/`` and ``schema/`` at its top level, where people
look for them; the wheel carries copies inside the package.  This is the one place
that knows both layouts.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["format_files", "schema_dir", "templates_dir"]

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"nianbao is installed without its {name}/ directory")


def templates_dir() -> Path:
    return _find("templates")


def schema_dir() -> Path:
    return _find("schema")


def format_files() -> list[Path]:
    """The format data files (``generator/formats/*.yaml``), sorted by name.

    spec reads them and anything that fingerprints or lists them (``nianbao deps``)
    should take the list from here.
    """
    return sorted(p for p in (_PACKAGE / "formats").glob("*.yaml") if p.is_file())
