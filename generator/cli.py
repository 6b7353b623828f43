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
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from .errors import InvalidReport, NianbaoError, UsageError, printable

if TYPE_CHECKING:
    from .build import BuildResult, Target
    from .config import Config
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
        sys.stderr.write(printable(f"{self.prog}: 用法错误：{message}") + "\n")
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

    b = sub.add_parser("build", help="生成 DOCX、HTML、Markdown（不给路径：全部报告）")
    b.add_argument("paths", nargs="*", metavar="PATH", help="YAML 文件、目录或通配符")
    b.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认见配置，通常为 build）")
    b.add_argument("-f", "--format", metavar="LIST", help="输出格式，逗号分隔：docx,html,md")
    b.add_argument("-j", "--jobs", type=int, metavar="N", help="并行数（默认：CPU 核数）")
    b.add_argument("--force", action="store_true", help="全部重新生成，不管是否最新")
    b.add_argument("--templates", metavar="DIR", help="自定义 HTML/Markdown 模板所在目录")
    b.add_argument("--reference-docx", metavar="FILE", help="作为样式底本的 .docx 文件")
    b.add_argument("--strict", action="store_true", help="有警告也视为失败，不生成")
    b.add_argument("-q", "--quiet", action="store_true", help="只输出错误和警告")
    b.add_argument("-v", "--verbose", action="store_true", help="也列出已是最新的报告")

    c = sub.add_parser("clean", help="删除 build 生成的文件（只删这些）")
    c.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认见配置）")

    d = sub.add_parser("deps", help="输出 make 依赖规则")
    d.add_argument("paths", nargs="*", metavar="PATH", help="YAML 文件、目录或通配符")
    d.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认见配置）")
    d.add_argument("-f", "--format", metavar="LIST", help="输出格式，逗号分隔")
    d.add_argument("--depfile", metavar="FILE", help="写入文件而不是标准输出")

    n = sub.add_parser("new", help="新建一年的报告（有上年报告则据此生成）")
    n.add_argument("path", metavar="PATH", help="新文件，如 reports/某局/2025.yaml")
    n.add_argument("--agency", help="机关名称（没有上年报告时使用）")

    s = sub.add_parser("schema", help="输出报告 YAML 的 JSON Schema")
    s.add_argument("-o", "--output", metavar="FILE", help="写入文件而不是标准输出")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    _tolerant_streams()
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        handler = {
            "validate": _validate,
            "build": _build,
            "clean": _clean,
            "deps": _deps,
            "new": _new,
            "schema": _schema,
        }[args.command]
        return handler(args)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int | None) else EXIT_USAGE
    except InvalidReport as exc:
        for d in exc.diagnostics:
            print(d.format(), file=sys.stderr)
        return exc.exit_code
    except NianbaoError as exc:
        print(printable(f"nianbao: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("nianbao: 已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("NIANBAO_DEBUG"):
            raise
        print(
            f"nianbao: 内部错误（{type(exc).__name__}: {printable(str(exc))}）。"
            "这是 nianbao 的缺陷，请附上命令和报告文件反馈；设置 NIANBAO_DEBUG=1 可查看详情。",
            file=sys.stderr,
        )
        return EXIT_USAGE


def _tolerant_streams() -> None:
    """Messages never fail on a terminal that cannot show Chinese (``LC_ALL=C``,
    ``PYTHONIOENCODING=ascii``): what the encoding lacks is written as ``\\uXXXX``."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _write_out(text: str) -> None:
    """Machine output (JSON, the schema, make rules) as UTF-8 bytes, whatever the locale.

    Encoding it for an ASCII terminal would break the JSON or the make syntax; the
    consumers of these outputs read UTF-8.
    """
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8", "surrogateescape"))
    buffer.flush()


def display_path(path: Path) -> str:
    """Paths in messages are relative to where the user ran the command.

    A path outside that directory is shown as given: ``/srv/reports/a.yaml`` reads
    better than ``../../srv/reports/a.yaml``.  Control characters in folder and file
    names are escaped, so a name cannot rewrite the terminal.
    """
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return printable(str(path))
    return printable(str(path) if path.is_absolute() and rel.startswith("..") else rel)


def expand_paths(patterns: Sequence[str]) -> list[Path]:
    """Files, directories (every ``*.yaml`` below) and globs, sorted, each once."""
    found: list[Path] = []
    for pattern in patterns:
        matches = (
            sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        )
        if not matches:
            raise UsageError(f"{pattern}: 没有匹配的文件")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                below = sorted(p for p in path.rglob("*.yaml") if p.is_file())
                found.extend(_inside(p, path) for p in below)
            elif path.exists() or path.is_symlink():
                found.append(_inside(path, _tree_of(path)))
            else:
                raise UsageError(f"{match}: 文件不存在")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise UsageError(f"{'、'.join(patterns)}: 没有找到任何 .yaml 报告文件")
    return unique


def _tree_of(path: Path) -> Path:
    """The tree a file named on the command line belongs to: the working directory, if
    the file is below it as written, else the file's own folder."""
    if not path.is_absolute() and ".." not in path.parts:
        return Path.cwd()
    return path.parent


def _inside(path: Path, tree: Path) -> Path:
    """``path``, unless it is (or lies in) a symbolic link leading out of ``tree``.

    A cloned repository may hold ``reports/a/2021.yaml -> ~/.env``: reading it would put
    someone's secrets into an error message, so such links are refused unread.
    """
    try:
        target, root = path.resolve(), tree.resolve()
    except (OSError, RuntimeError):  # a loop: load() says so
        return path
    if target != root and root not in target.parents:
        raise UsageError(
            f"{display_path(path)}: 是指向 {display_path(tree)} 之外的符号链接，不读取"
            "（从别处克隆的仓库可能借此读取本机文件）"
        )
    return path


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
        _print_json(outcomes, errors, warnings)
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


def _print_json(outcomes: Sequence[Outcome], errors: int, warnings: int) -> None:
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
    _write_out(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _settings(args: argparse.Namespace) -> tuple[Config, Path, list[str]]:
    from .config import load_config

    config = load_config()
    outdir = Path(args.output) if getattr(args, "output", None) else config.output
    fmt = getattr(args, "format", None)
    formats = [f.strip() for f in fmt.split(",") if f.strip()] if fmt else list(config.formats)
    return config, outdir, formats


def _targets(
    args: argparse.Namespace, config: Config, outdir: Path, formats: list[str]
) -> list[Target]:
    from .build import plan

    if not args.paths and not config.source.is_dir():
        raise UsageError(f"没有给出报告文件，也没有找到报告目录 {display_path(config.source)}/")
    sources = expand_paths(args.paths or [str(config.source)])
    return plan(sources, [display_path(p) for p in sources], config.source, outdir, formats)


def _build(args: argparse.Namespace) -> int:
    from .build import build
    from .render import RenderOptions

    config, outdir, formats = _settings(args)
    targets = _targets(args, config, outdir, formats)
    options = RenderOptions(
        templates=_existing_dir(args.templates, "--templates") or config.templates,
        reference_docx=_existing_file(args.reference_docx, "--reference-docx")
        or config.reference_docx,
    )
    if options.reference_docx is not None:
        _check_reference(options.reference_docx)
    jobs = args.jobs or config.jobs or os.cpu_count() or 1
    if jobs < 1:
        raise UsageError("-j 应为正整数")
    show = _Progress(len(targets), quiet=args.quiet, verbose=args.verbose)
    summary = build(
        targets, outdir, options, strict=args.strict, force=args.force, jobs=jobs, progress=show
    )
    show.finish()
    failed = summary.failed
    if failed:
        print(f"失败的报告（{len(failed)}）：", file=sys.stderr)
        for r in failed:
            n = sum(d.severity == "error" for d in r.diagnostics)
            why = r.crash or (f"{n} 个错误" if n else "有警告（--strict）")
            print(printable(f"  {r.target.name}: {why}"), file=sys.stderr)
    if not args.quiet or failed:
        print(
            f"生成 {len(summary.built)} 份，已是最新 {len(summary.up_to_date)} 份，"
            f"失败 {len(failed)} 份，用时 {summary.seconds:.2f} 秒",
            file=sys.stderr,
        )
    if any(r.environment for r in failed):
        return EXIT_USAGE  # the output could not be written: not the report's fault
    return EXIT_INVALID if failed else EXIT_OK


class _Progress:
    """Progress on a terminal as one updating line; plain lines in CI logs and pipes."""

    def __init__(self, total: int, *, quiet: bool, verbose: bool) -> None:
        self.total, self.quiet, self.verbose = total, quiet, verbose
        self.done = 0
        self.tty = sys.stderr.isatty() and not os.environ.get("CI")

    def __call__(self, result: BuildResult) -> None:
        self.done += 1
        if self.tty and not self.quiet:
            sys.stderr.write("\r\033[K")
        for d in result.diagnostics:
            print(d.format(), file=sys.stderr)
        if result.crash:
            print(printable(f"{result.target.name}: {result.crash}"), file=sys.stderr)
        if not self.quiet:
            line = self._line(result)
            if (line and not self.tty) or (line and self.verbose):
                print(line, file=sys.stderr)
            if self.tty:
                bar = "#" * (20 * self.done // max(self.total, 1))
                sys.stderr.write(f"[{bar:<20}] {self.done}/{self.total} {result.target.name}")
                sys.stderr.flush()

    def _line(self, result: BuildResult) -> str | None:
        name = result.target.name
        if result.skipped:
            return f"{name}: 已是最新" if self.verbose else None
        if result.failed:
            return f"{name}: 失败"
        outs = ", ".join(display_path(p) for p in result.written) or "输出未变"
        return f"{name} → {outs}"

    def finish(self) -> None:
        if self.tty and not self.quiet and self.done:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _clean(args: argparse.Namespace) -> int:
    from .build import clean

    _, outdir, _ = _settings(args)
    removed = clean(outdir)
    print(f"删除了 {len(removed)} 个生成的文件", file=sys.stderr)
    return EXIT_OK


def _deps(args: argparse.Namespace) -> int:
    from .deps import make_rules

    config, outdir, formats = _settings(args)
    targets = _targets(args, config, outdir, formats)
    text = make_rules(targets, config.templates, config.reference_docx)
    if args.depfile:
        from .output import write_atomic

        write_atomic(Path(args.depfile), text.encode("utf-8"))
    else:
        _write_out(text)
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from .config import load_config
    from .scaffold import new_report

    path = Path(args.path)
    created = new_report(path, load_config(), agency=args.agency)
    print(
        f"已创建 {display_path(created.path)}"
        + (f"（依据 {display_path(created.previous)}）" if created.previous else "（空白报告）"),
        file=sys.stderr,
    )
    return EXIT_OK


def _check_reference(path: Path) -> None:
    """Refuse a broken or hostile reference DOCX once, before any report is built."""
    from .render.reference import load_reference

    ref = load_reference(path, display_path(path))
    if ref.removed:
        shown = "、".join(printable(t[:80]) for t in ref.removed[:5])
        print(
            f"nianbao: 警告：参考 DOCX {display_path(path)} 中的 {len(ref.removed)} 个外部链接"
            f"（{shown}）已删除，生成的文件不会链接外部模板、图片或对象",
            file=sys.stderr,
        )


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
        _write_out(text)
    return EXIT_OK
