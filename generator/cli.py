"""The ``nianbao`` command: a thin layer that parses arguments and prints results.

Every command calls into the library and maps what comes back to output and an exit
code: 0 done, 1 a report is invalid, 2 usage or environment trouble.  Heavy modules
(python-docx, jsonschema) are imported inside the commands so that ``nianbao --help``
starts instantly.  No exception reaches the user as a traceback.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import __version__
from .errors import NianbaoError, UsageError

if TYPE_CHECKING:
    from .validate import Outcome

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

_DESCRIPTION = "把 YAML 写成的政府信息公开工作年度报告校验并生成 DOCX、HTML 和 Markdown。"
_EPILOG = """退出码：0 成功；1 报告有错误；2 用法或环境错误。
示例：
  nianbao validate reports/            校验目录下全部报告
  nianbao build reports/某局/2024.yaml  生成三种格式
  nianbao schema > report.schema.json  输出 JSON Schema 供编辑器使用"""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit with 2 and a message in the user's language."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: 用法错误：{message}\n")
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nianbao",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"nianbao {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    v = sub.add_parser("validate", help="校验报告（文件、目录或通配符）")
    v.add_argument("paths", nargs="+", metavar="PATH", help="YAML 文件、目录或通配符")
    v.add_argument("--json", action="store_true", help="以 JSON 输出结果，供其他程序读取")
    v.add_argument("--strict", action="store_true", help="有警告也视为失败（退出码 1）")
    v.add_argument("-q", "--quiet", action="store_true", help="只输出错误和警告")

    b = sub.add_parser("build", help="生成 DOCX、HTML、Markdown（默认：reports/ 下全部报告）")
    b.add_argument("paths", nargs="*", metavar="PATH", help="YAML 文件、目录或通配符")
    b.add_argument("-o", "--output", metavar="DIR", default="build", help="输出目录（默认 build）")
    b.add_argument(
        "-f", "--format", default="docx,html,md", metavar="LIST",
        help="输出格式，逗号分隔：docx,html,md（默认全部）",
    )
    b.add_argument("--templates", metavar="DIR", help="自定义 HTML/Markdown 模板所在目录")
    b.add_argument("--reference-docx", metavar="FILE", help="作为样式底本的 .docx 文件")
    b.add_argument("--strict", action="store_true", help="有警告也视为失败，不生成")
    b.add_argument("-q", "--quiet", action="store_true", help="只输出错误和警告")

    s = sub.add_parser("schema", help="输出报告 YAML 的 JSON Schema")
    s.add_argument("-o", "--output", metavar="FILE", help="写入文件而不是标准输出")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        handler = {"validate": _validate, "build": _build, "schema": _schema}[args.command]
        return handler(args)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int | None) else EXIT_USAGE
    except NianbaoError as exc:
        print(f"nianbao: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("nianbao: 已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a traceback is never what a user should see
        if os.environ.get("NIANBAO_DEBUG"):
            raise
        print(
            f"nianbao: 内部错误（{type(exc).__name__}: {exc}）。"
            "这是 nianbao 的缺陷，请附上命令和报告文件反馈；设置 NIANBAO_DEBUG=1 可查看详情。",
            file=sys.stderr,
        )
        return EXIT_USAGE


def display_path(path: Path) -> str:
    """Paths in messages are relative to where the user ran the command, when possible."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def expand_paths(patterns: Sequence[str]) -> list[Path]:
    """Files, directories (every ``*.yaml`` below) and globs, sorted, each once."""
    found: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise UsageError(f"{pattern}: 没有匹配的文件")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                found.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file()))
            elif path.exists() or path.is_symlink():
                found.append(path)
            else:
                raise UsageError(f"{match}: 文件不存在")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise UsageError("没有找到任何 .yaml 报告文件")
    return unique


def _validate(args: argparse.Namespace) -> int:
    from .validate import check_file

    outcomes: list[Outcome] = []
    for path in expand_paths(args.paths):
        try:
            outcomes.append(check_file(path, display_path(path)))
        except UsageError as exc:
            raise UsageError(str(exc)) from None
    errors = sum(len(o.errors) for o in outcomes)
    warnings = sum(len(o.warnings) for o in outcomes)
    if args.json:
        _print_json(outcomes, errors, warnings, sys.stdout)
    else:
        _print_human(outcomes, errors, warnings, args.quiet, args.strict)
    if errors or (args.strict and warnings):
        return EXIT_INVALID
    return EXIT_OK


def _print_human(
    outcomes: Sequence[Outcome], errors: int, warnings: int, quiet: bool, strict: bool
) -> None:
    for o in outcomes:
        for d in o.diagnostics:
            print(d.format(), file=sys.stderr)
        if not quiet and not o.diagnostics:
            print(f"{o.name}: 通过", file=sys.stderr)
    if quiet and not (errors or warnings):
        return
    summary = f"检查了 {len(outcomes)} 个文件：{errors} 个错误，{warnings} 个警告"
    if strict and warnings and not errors:
        summary += "（--strict：警告视为失败）"
    print(summary, file=sys.stderr)


def _print_json(outcomes: Sequence[Outcome], errors: int, warnings: int, out: TextIO) -> None:
    doc: dict[str, Any] = {
        "files": [
            {
                "file": o.name,
                "valid": o.ok,
                "format": o.report.format.id if o.report else None,
                "diagnostics": [d.to_json() for d in o.diagnostics],
            }
            for o in outcomes
        ],
        "errors": errors,
        "warnings": warnings,
    }
    json.dump(doc, out, ensure_ascii=False, indent=2)
    out.write("\n")


SOURCE_ROOT = Path("reports")
"""Where ``nianbao build`` without paths looks for ``<agency>/<year>.yaml`` files."""


def _build(args: argparse.Namespace) -> int:
    from .build import build_target, plan
    from .render import RenderOptions

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if not args.paths and not SOURCE_ROOT.is_dir():
        raise UsageError(f"没有给出报告文件，当前目录下也没有 {SOURCE_ROOT}/ 目录")
    sources = expand_paths(args.paths or [str(SOURCE_ROOT)])
    options = RenderOptions(
        templates=_existing_dir(args.templates, "--templates"),
        reference_docx=_existing_file(args.reference_docx, "--reference-docx"),
    )
    targets = plan(sources, [display_path(p) for p in sources], SOURCE_ROOT, Path(args.output), formats)
    failed = 0
    for target in targets:
        result = build_target(target, options, strict=args.strict)
        for d in result.outcome.diagnostics:
            print(d.format(), file=sys.stderr)
        if not result.ok:
            failed += 1
            continue
        if not args.quiet:
            for path in result.written:
                print(f"{target.name} → {display_path(path)}", file=sys.stderr)
            for path in result.unchanged:
                print(f"{target.name} → {display_path(path)}（未变）", file=sys.stderr)
    if not args.quiet or failed:
        print(f"生成了 {len(targets) - failed} 份报告，{failed} 份失败", file=sys.stderr)
    return EXIT_INVALID if failed else EXIT_OK


def _existing_dir(value: str | None, option: str) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_dir():
        raise UsageError(f"{option} {value}: 目录不存在")
    return path


def _existing_file(value: str | None, option: str) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"{option} {value}: 文件不存在")
    return path


def _schema(args: argparse.Namespace) -> int:
    from .schema import schema_json

    text = schema_json()
    if args.output:
        from .output import write_atomic

        write_atomic(Path(args.output), text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return EXIT_OK
