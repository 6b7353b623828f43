"""Project settings: where the reports are, where outputs go, which formats to build.

A reports repository configures nianbao in ``nianbao.toml`` or in ``[tool.nianbao]``
of ``pyproject.toml``, found in the current directory or the nearest parent, like
git finds ``.git``.  Every setting has a default, so most repositories need none.
Paths in the file are relative to the file; paths given as flags are relative to
the current directory.

Flags are merged over the file first and the result is checked once, by
:func:`_check`, whatever each value came from.  So ``reference_docx = "nope.docx"``
in the file and ``--reference-docx nope.docx`` fail the same way, and the message
names where the value came from (the file and key, or the flag).
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError

__all__ = ["Config", "Origin", "load_config"]

_DEFAULTS: dict[str, Any] = {
    "source": "reports",
    "output": "build",
    "formats": ["docx", "html", "md"],
    "templates": None,
    "reference_docx": None,
    "jobs": None,
    "roster": None,
    "groups": None,
}
_FLAGS = {
    "source": "source",
    "output": "-o/--output",
    "formats": "-f/--format",
    "templates": "--templates",
    "reference_docx": "--reference-docx",
    "jobs": "-j/--jobs",
    "roster": "roster",
    "groups": "groups",
}


class Origin(enum.Enum):
    """Where a setting's value came from (like Click's ``ParameterSource``)."""

    DEFAULT = "default"
    FILE = "file"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class _Setting:
    key: str
    value: Any
    origin: Origin
    base: Path
    """What a relative path is relative to: the config file's folder, or the cwd."""
    where: str
    """How messages name the value: ``nianbao.toml: reference_docx`` or ``--reference-docx``."""


@dataclass(frozen=True, slots=True)
class Config:
    """The checked settings of one command run: every path exists where it must."""

    root: Path
    source: Path
    output: Path
    formats: tuple[str, ...] = ("docx", "html", "md")
    templates: Path | None = None
    reference_docx: Path | None = None
    jobs: int | None = None
    roster: tuple[str, ...] | None = None
    """The agencies (report folders below ``source``) expected to report each year."""
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Named groups of agencies whose figures ``nianbao summary`` adds up (汇总)."""
    file: Path | None = field(default=None)
    origins: Mapping[str, Origin] = field(default_factory=dict, compare=False)
    """Where each setting came from, for tools that want to tell flags from the file."""

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


def load_config(cwd: Path | None = None, flags: Mapping[str, Any] | None = None) -> Config:
    """The settings in force in ``cwd``: flags over the nearest config file over the defaults.

    ``flags`` maps setting names to what the command line gave (None: not given);
    ``formats`` may be a comma-separated string there, as typed after ``-f``.
    """
    here = (cwd or Path.cwd()).resolve()
    file, raw = _find(here)
    root = file.parent if file else here
    # The file as the user knows it: its name when it is right here, else where it is.
    shown = file.name if file is not None and file.parent == here else str(file)
    unknown = set(raw) - set(_DEFAULTS)
    if unknown:
        raise UsageError(
            f"{shown}: 未知的配置项 {', '.join(sorted(unknown))}"
            f"（可用：{', '.join(sorted(_DEFAULTS))}）"
        )
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    settings: dict[str, _Setting] = {}
    for key, default in _DEFAULTS.items():
        if key in given:
            settings[key] = _Setting(key, given[key], Origin.FLAG, here, _FLAGS[key])
        elif key in raw:
            settings[key] = _Setting(key, raw[key], Origin.FILE, root, f"{shown}: 配置项 {key}")
        else:
            settings[key] = _Setting(key, default, Origin.DEFAULT, root, key)
    return _check(settings, root, file)


def _check(settings: Mapping[str, _Setting], root: Path, file: Path | None) -> Config:
    """The one validation of the merged settings, whatever their origin."""
    return Config(
        root=root,
        source=_path(settings["source"]) or root / "reports",
        output=_output(settings["output"], root),
        formats=_formats(settings["formats"]),
        templates=_existing(settings["templates"], Path.is_dir, "目录不存在"),
        reference_docx=_existing(settings["reference_docx"], Path.is_file, "文件不存在"),
        jobs=_jobs(settings["jobs"]),
        roster=_roster(settings["roster"]),
        groups=_groups(settings["groups"]),
        file=file,
        origins={k: s.origin for k, s in settings.items()},
    )


def _path(s: _Setting) -> Path | None:
    if s.value is None:
        return None
    if not isinstance(s.value, str) or not s.value:
        raise UsageError(f"{s.where} 应为路径文本")
    return s.base / s.value


def _output(s: _Setting, root: Path) -> Path:
    """The output folder; from the file or the default it must stay inside the repository.

    A cloned ``nianbao.toml`` saying ``output = "../site"`` must not make a build write
    (or clean delete) outside the repository without the user saying so with ``-o``.
    """
    path = _path(s) or root / "build"
    if s.origin is Origin.FLAG:
        return path
    out, top = path.resolve(), root.resolve()
    if out != top and top not in out.parents:
        raise UsageError(
            f'{s.where} = "{s.value}" 指向仓库之外（{out}）；'
            "如确需写到那里，请用 -o 明确指定输出目录"
        )
    return path


def _existing(s: _Setting, test: Any, problem: str) -> Path | None:
    path = _path(s)
    if path is not None and not test(path):
        raise UsageError(f"{s.where} {s.value}: {problem}")
    return path


def _formats(s: _Setting) -> tuple[str, ...]:
    from .render import FORMATS  # light: no renderer is imported

    value = s.value
    if isinstance(value, str):
        value = [f.strip() for f in value.split(",") if f.strip()]
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        raise UsageError(f'{s.where} 应为列表，如 ["docx", "html", "md"]')
    unknown = [f for f in value if f not in FORMATS]
    if unknown or not value:
        raise UsageError(
            f"{s.where}: 未知的输出格式：{', '.join(unknown) or '（空）'}"
            f"（可选：{', '.join(FORMATS)}）"
        )
    return tuple(value)


def _jobs(s: _Setting) -> int | None:
    # bool is an int in Python: ``jobs = true`` must not mean one job.
    if s.value is None:
        return None
    if isinstance(s.value, bool) or not isinstance(s.value, int) or s.value < 1:
        raise UsageError(f"{s.where} 应为正整数（并行数），实为 {s.value!r}")
    return s.value


def _names(value: Any) -> tuple[str, ...] | None:
    """A list of agency folder names (``["county/lanxi-sfj", ...]``), or None if malformed."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return tuple(dict.fromkeys(v.strip().strip("/") for v in value))


def _roster(s: _Setting) -> tuple[str, ...] | None:
    if s.value is None:
        return None
    names = _names(s.value)
    if names is None:
        raise UsageError(f'{s.where} 应为机关目录名的列表，如 ["lanxi-sfj", "qinghe-zfb"]')
    return names


def _groups(s: _Setting) -> dict[str, tuple[str, ...]]:
    if s.value is None:
        return {}
    if not isinstance(s.value, Mapping):
        raise UsageError(f'{s.where} 应为表，如 [groups] 全县 = ["lanxi-sfj", "qinghe-zfb"]')
    out: dict[str, tuple[str, ...]] = {}
    for name, members in s.value.items():
        names = _names(members)
        if names is None or not names:
            raise UsageError(f"{s.where}.{name} 应为非空的机关目录名列表")
        out[str(name)] = names
    return out
