"""Project settings: where the reports are, where outputs go, which formats to build.

A reports repository configures nianbao in ``nianbao.toml`` or in ``[tool.nianbao]``
of ``pyproject.toml``, found in the current directory or the nearest parent, like
git finds ``.git``.  Every setting has a default, so most repositories need none.
Paths in the file are relative to the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError

__all__ = ["Config", "load_config"]

_KEYS = {"source", "output", "formats", "templates", "reference_docx", "jobs"}


@dataclass(frozen=True, slots=True)
class Config:
    root: Path
    source: Path
    output: Path
    formats: tuple[str, ...] = ("docx", "html", "md")
    templates: Path | None = None
    reference_docx: Path | None = None
    jobs: int | None = None
    file: Path | None = field(default=None)

    @property
    def schema_file(self) -> Path:
        """Where ``nianbao new`` points editors for completion: ``schema/report.schema.json``."""
        return self.root / "schema" / "report.schema.json"


def _find(start: Path) -> tuple[Path | None, Mapping[str, Any]]:
    for folder in (start, *start.parents):
        toml = folder / "nianbao.toml"
        if toml.is_file():
            return toml, _read(toml)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            section = _read(pyproject).get("tool", {}).get("nianbao")
            if isinstance(section, Mapping):
                return pyproject, section
        if (folder / ".git").exists():
            break
    return None, {}


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: 配置文件格式错误（{exc}）") from None
    except OSError as exc:
        raise UsageError(f"{path}: 无法读取配置文件（{exc.strerror}）") from None


def load_config(cwd: Path | None = None) -> Config:
    """The settings in force in ``cwd``: from the nearest config file, or the defaults."""
    here = (cwd or Path.cwd()).resolve()
    file, raw = _find(here)
    root = file.parent if file else here
    unknown = set(raw) - _KEYS
    if unknown:
        raise UsageError(
            f"{file}: 未知的配置项 {', '.join(sorted(unknown))}（可用：{', '.join(sorted(_KEYS))}）"
        )

    def path(key: str, default: str | None) -> Path | None:
        value = raw.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str):
            raise UsageError(f"{file}: 配置项 {key} 应为路径文本")
        return root / value

    formats = raw.get("formats", ["docx", "html", "md"])
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",")]
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise UsageError(f'{file}: 配置项 formats 应为列表，如 ["docx", "html", "md"]')
    jobs = raw.get("jobs")
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise UsageError(f"{file}: 配置项 jobs 应为正整数")
    source = path("source", "reports")
    output = path("output", "build")
    assert source is not None and output is not None
    return Config(
        root=root,
        source=source,
        output=output,
        formats=tuple(formats),
        templates=path("templates", None),
        reference_docx=path("reference_docx", None),
        jobs=jobs,
        file=file,
    )
