"""``nianbao init``: a reports repository that works in the editor, with make and on commit.

A fresh repository without ``schema/`` leaves the editor saying "Unable to load
schema"; one without settings leaves the author without completion.  ``init`` writes
what the tools around nianbao read, and never overwrites a file that is there.
``new`` and ``validate`` use :func:`ensure_schema` and :func:`stale_schema` so that
the schema the modelines point at exists and matches the installed nianbao.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .output import write_atomic

__all__ = ["Initialised", "agency_from_folder", "ensure_schema", "init_repo", "repo_root"]

SCHEMA = Path("schema") / "report.schema.json"
_FILES = Path(__file__).resolve().parent / "repo_files"

_TOML = """\
# nianbao 的配置；路径相对于本文件所在的目录。
source = "reports"   # 报告目录：reports/<机关>/<年份>.yaml
output = "build"     # 生成的 DOCX、HTML、Markdown 放在这里
"""


@dataclass(slots=True)
class Initialised:
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def _json(doc: object) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def repository_files(source: str = "reports") -> dict[Path, str]:
    """What ``init`` writes, relative to the repository, as text."""
    from .schema import schema_json

    globs = [f"{source}/**/*.yaml", f"{source}/**/*.yml"]
    return {
        Path("nianbao.toml"): _TOML,
        SCHEMA: schema_json(),
        Path(".gitignore"): "# nianbao 生成的文件\n/build/\n",
        Path(".vscode") / "settings.json": _json(
            {"yaml.schemas": {f"./{SCHEMA.as_posix()}": globs}, "files.encoding": "utf8"}
        ),
        Path(".vscode") / "extensions.json": _json({"recommendations": ["redhat.vscode-yaml"]}),
        Path(".pre-commit-config.yaml"): (_FILES / "pre-commit-config.yaml")
        .read_text(encoding="utf-8")
        .replace("{source}", source),
        Path("Makefile"): (_FILES / "Makefile").read_text(encoding="utf-8"),
        Path(".github") / "workflows" / "nianbao.yml": (_FILES / "ci-workflow.yml").read_text(
            encoding="utf-8"
        ),
    }


def init_repo(folder: Path) -> Initialised:
    """Create the files of a reports repository in ``folder``; existing ones are kept."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "reports").mkdir(exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{folder}: 无法创建目录（{exc.strerror}）") from None
    done = Initialised()
    root = Path(os.path.abspath(folder))
    for rel, text in repository_files().items():
        target = root / rel
        if os.path.lexists(target):
            done.kept.append(target)
            continue
        write_atomic(target, text.encode("utf-8"), root=root)
        done.created.append(target)
    return done


def repo_root(start: Path, configured: Path, has_file: bool) -> Path:
    """The repository a report belongs to: the config file's folder, else the nearest
    folder above ``start`` with ``.git`` or a ``schema/`` of its own, else ``configured``."""
    if has_file:
        return configured
    here = Path(os.path.abspath(start))
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / SCHEMA).is_file():
            return folder
    return configured


def ensure_schema(root: Path) -> Path | None:
    """Write ``schema/report.schema.json`` below ``root`` when it is missing; the path if so."""
    from .schema import schema_json

    target = root / SCHEMA
    if os.path.lexists(target):
        return None
    write_atomic(target, schema_json().encode("utf-8"), root=root)
    return target


def stale_schema(root: Path) -> str | None:
    """A warning when the repository's schema copy was made by a different nianbao."""
    from . import __version__
    from .schema import schema_json, schema_stamp

    target = root / SCHEMA
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    version, digest = schema_stamp(text)
    if digest is not None and digest == schema_stamp(schema_json())[1]:
        return None
    made = f"由 nianbao {version} 生成" if version else "没有版本标记"
    return (
        f"{SCHEMA.as_posix()} {made}，与已安装的 nianbao {__version__} 不一致，"
        f"编辑器的提示可能过时；运行 nianbao schema -o {SCHEMA.as_posix()} 更新"
    )


def agency_from_folder(path: Path) -> str | None:
    """``reports/测试县民政局/2025.yaml`` → 测试县民政局; an ASCII slug (lanxi-sfj) is no name."""
    name = Path(os.path.abspath(path)).parent.name
    return name if name and not name.isascii() else None
