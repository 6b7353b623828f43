"""The ``nianbao`` command: a thin layer that parses arguments and prints results.

Every command calls into the library and maps what comes back to output and an exit
code: 0 done, 1 a report is invalid, 2 usage or environment trouble.  Heavy modules
(python-docx, jsonschema) are imported inside the commands so that ``nianbao --help``
starts instantly.  No exception reaches the user as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import __version__
from .cli_parser import Parser as _Parser
from .cli_parser import add_common_options
from .errors import InvalidReport, NianbaoError, UsageError, printable
from .report_formats import FORMATS

if TYPE_CHECKING:
    from .build import BuildResult, Summary, Target
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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nianbao",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-V",
        "--version",
        action="version",
        version=f"nianbao {__version__}",
        help="显示版本号并退出",
    )
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    v = sub.add_parser("validate", help="校验报告（文件、目录或通配符）")
    v.add_argument("paths", nargs="+", metavar="PATH", help="YAML 文件、目录或通配符；- 为标准输入")
    v.add_argument("--json", action="store_true", help="以 JSON 输出结果（即 --format json）")
    v.add_argument("--format", "--output-format", dest="output_format", choices=FORMATS,
                   help="结果的格式：text（默认）、json、github（注解）、sarif")  # fmt: skip
    v.add_argument("--with-next", action="store_true",
                   help="同时校验每份报告的下一年报告（供 pre-commit 使用）")  # fmt: skip
    v.add_argument("--hook", action="store_true",
                   help="由 pre-commit 调用：只校验报告目录中的文件，并同时校验下一年")  # fmt: skip
    v.add_argument("--stdin-filename", metavar="PATH",
                   help="从标准输入（-）读取时报告的路径，用于查找上年报告")  # fmt: skip
    v.add_argument("--strict", action="store_true", help="有警告也视为失败（退出码 1）")
    v.add_argument("-q", "--quiet", action="store_true", help="只输出错误和警告")

    b = sub.add_parser("build", help="生成 DOCX、HTML、Markdown（不给路径：全部报告）")
    b.add_argument("paths", nargs="*", metavar="PATH", help="YAML 文件、目录或通配符")
    b.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认见配置，通常为 build）")
    b.add_argument(
        "-f",
        "--format",
        metavar="LIST",
        help="输出格式，逗号分隔：docx,html,md,pdf（pdf 需要 LibreOffice）",
    )
    b.add_argument("-j", "--jobs", type=int, metavar="N", help="并行数（默认：CPU 核数）")
    b.add_argument("--force", action="store_true", help="全部重新生成，不管是否最新")
    b.add_argument("--templates", metavar="DIR", help="自定义 HTML/Markdown 模板所在目录")
    b.add_argument("--reference-docx", metavar="FILE", help="作为样式底本的 .docx 文件")
    b.add_argument("--strict", action="store_true", help="有警告也视为失败，不生成")
    b.add_argument("--output-format", choices=FORMATS,
                   help="问题的格式：text（默认）、json、github（注解）、sarif")  # fmt: skip
    b.add_argument("--touch", action="store_true",
                   help="已是最新的输出也更新修改时间，让 make 认为它比依赖新")  # fmt: skip
    b.add_argument("-q", "--quiet", action="store_true", help="只输出错误和警告")
    b.add_argument("-v", "--verbose", action="store_true", help="也列出已是最新的报告")

    c = sub.add_parser("clean", help="删除 build 生成的文件（只删这些）")
    c.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认见配置）")
    c.add_argument("--force", action="store_true", help="生成后被手工修改过的文件也删除")

    d = sub.add_parser("deps", help="输出 make 依赖规则")
    d.add_argument("paths", nargs="*", metavar="PATH", help="YAML 文件、目录或通配符")
    d.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认见配置）")
    d.add_argument("-f", "--format", metavar="LIST", help="输出格式，逗号分隔")
    d.add_argument("--depfile", metavar="FILE", help="写入文件而不是标准输出")

    n = sub.add_parser("new", help="新建一年的报告（有上年报告则据此生成）")
    n.add_argument("path", metavar="PATH", help="新文件，如 reports/某局/2025.yaml")
    n.add_argument("--agency", help="机关全称（没有上年报告时使用）")

    sv = sub.add_parser("serve", help="本地预览：生成后监视改动，浏览器自动刷新")
    sv.add_argument("paths", nargs="*", metavar="PATH", help="YAML 文件、目录或通配符")
    sv.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认见配置，通常为 build）")
    sv.add_argument(
        "--port", type=int, metavar="N", help="端口（默认 8000，被占用时顺延；0：任一空闲端口）"
    )
    sv.add_argument("--open", action="store_true", help="在浏览器中打开预览")

    r = sub.add_parser(
        "summary", help="审阅汇总：报送情况、问题清单、汇总表和趋势（HTML/XLSX/CSV/JSON）"
    )
    r.add_argument("path", nargs="?", metavar="PATH", help="报告目录（默认见配置，通常为 reports）")
    r.add_argument("-o", "--output", metavar="DIR", help="输出目录（默认：输出目录下的 summary）")
    r.add_argument("--year", type=int, metavar="Y", help="审阅的年度（默认：有报告的最近一年）")
    r.add_argument("--force", action="store_true", help="重新生成，不管是否最新")

    s = sub.add_parser("schema", help="输出报告 YAML 的 JSON Schema")
    s.add_argument("-o", "--output", metavar="FILE", help="写入文件而不是标准输出")
    _import_parsers(sub)

    i = sub.add_parser("init", help="新建报告仓库（配置、Schema、编辑器与 make 设置）")
    i.add_argument("dir", nargs="?", default=".", metavar="DIR", help="仓库目录（默认：当前目录）")

    sh = sub.add_parser("completion", help="输出命令行补全脚本")
    sh.add_argument("shell", choices=("bash", "zsh", "powershell"), help="Shell 的种类")
    add_common_options(parser)
    return parser


def _import_parsers(sub: Any) -> None:
    """``import`` and ``check``: published reports (HTML, DOCX, DOC, PDF, XLSX) in."""
    i = sub.add_parser("import", help="把已发布的报告（HTML/DOCX/DOC/PDF/XLSX）导入为 YAML")
    i.add_argument("sources", nargs="+", metavar="SOURCE", help="已发布的报告文件")
    i.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="输出目录（默认 reports）；单个源文件时可写 .yaml 文件名",
    )
    i.add_argument("--agency", help="机关全称（默认从标题读出）")
    i.add_argument("--year", type=int, help="年度（默认从标题读出）")
    i.add_argument("--format", choices=["2019", "2021"], help="格式 2019 或 2021（默认按年度）")
    i.add_argument("--force", action="store_true", help="覆盖已存在的 YAML 文件")
    k = sub.add_parser("check", help="检查已发布的报告（不写 YAML），问题按原文的表、行、列指出")
    k.add_argument("sources", nargs="+", metavar="SOURCE", help="已发布的报告文件")
    k.add_argument("--format", choices=["text", "json", "github", "sarif"], default="text",
                   help="输出格式（默认 text）")  # fmt: skip
    k.add_argument(
        "--summary", metavar="FILE", help="另写一份汇总表（.csv 或 .xlsx），每个问题一行"
    )
    k.add_argument("-j", "--jobs", type=int, metavar="N", help="并行数（默认：CPU 核数）")


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
            "serve": _serve,
            "summary": _summary,
            "import": _import,
            "check": _check,
            "init": _init,
            "completion": _completion,
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
    except BrokenPipeError:  # the reader left (`nianbao deps | head`): not our failure
        _silence_output()
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
    """Files, directories (every ``*.yaml`` below) and globs, sorted, each once.

    A path that exists as written is taken literally, so a folder really named
    ``[2024]`` or ``*`` is not read as a pattern.  Two paths to one file (an alias
    symlink) are one report: the first is kept and a note names the other.
    """
    found: list[Path] = []
    for pattern in patterns:
        literal = os.path.lexists(pattern) or not glob.has_magic(pattern)
        matches = [pattern] if literal else _glob(pattern)
        if not matches:
            raise UsageError(f"{pattern}: 没有匹配的文件")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                below = sorted(p for p in path.rglob("*.y*ml") if _is_report(p))
                found.extend(_inside(p, path) for p in below)
            elif path.exists() or path.is_symlink():
                found.append(_inside(path, _tree_of(path)))
            else:
                raise UsageError(f"{match}: 文件不存在")
    unique = _distinct_files(list(dict.fromkeys(found)))
    if not unique:
        raise UsageError(f"{'、'.join(patterns)}: 没有找到任何 .yaml 报告文件")
    return unique


def _is_report(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") and path.is_file()


def _glob(pattern: str) -> list[str]:
    """Matches of ``pattern``; failing that, with its longest existing folder taken literally.

    ``reports/[2024]/*.yaml`` then finds the files in the folder really named ``[2024]``.
    """
    found = glob.glob(pattern, recursive=True)
    if not found:
        head, tail = pattern, ""
        while head and not os.path.isdir(head):
            head, rest = os.path.split(head)
            tail = os.path.join(rest, tail) if tail else rest
            if not rest:
                break
        if head and tail and os.path.isdir(head):
            found = glob.glob(os.path.join(glob.escape(head), tail), recursive=True)
    return sorted(found)


def _distinct_files(paths: list[Path]) -> list[Path]:
    """``paths`` without second names of a file already listed (same device and inode)."""
    seen: dict[tuple[int, int], Path] = {}
    out: list[Path] = []
    for path in paths:
        try:
            st = path.stat()
        except (OSError, ValueError):
            out.append(path)  # unreadable: the loader says why
            continue
        first = seen.setdefault((st.st_dev, st.st_ino), path)
        if first is path:
            out.append(path)
        else:
            same = f"{display_path(path)} 与 {display_path(first)} 是同一个文件"
            print(f"nianbao: 注意：{same}，只处理一次", file=sys.stderr)
    return out


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

    kind = "json" if args.json else args.output_format or "text"
    outcomes: list[Outcome] = []
    try:
        for path, data in _validate_inputs(args):
            outcomes.append(check_file(path, display_path(path), data=data))
    except NianbaoError as exc:
        if kind == "text":
            raise
        return _machine_error(kind, exc)
    errors = sum(len(o.errors) for o in outcomes)
    warnings = sum(len(o.warnings) for o in outcomes)
    code = EXIT_INVALID if errors or (args.strict and warnings) else EXIT_OK
    with _reader_may_leave():  # `validate … | head -1` must still exit 1 for an invalid report
        if kind == "text":
            _warn_stale_schema()
            _print_human(outcomes, errors, warnings, args.quiet, args.strict)
        else:
            _write_out(_machine(kind, outcomes))
    return code


def _warn_stale_schema() -> None:
    """The repository's schema copy, made by another nianbao, gives the editor old hints."""
    from .config import load_config
    from .init_repo import stale_schema

    try:
        config = load_config()
    except NianbaoError:
        return  # a broken config is reported by the commands that use it
    warning = stale_schema(config.root)
    if warning:
        print(f"nianbao: 注意：{warning}", file=sys.stderr)


def _validate_inputs(args: argparse.Namespace) -> list[tuple[Path, bytes | None]]:
    """What to check: ``-`` is standard input, shown (and placed) as ``--stdin-filename``."""
    from .hooks import with_next_year

    files = [p for p in args.paths if p != "-"]
    out: list[tuple[Path, bytes | None]] = []
    if len(files) < len(args.paths):
        name = Path(args.stdin_filename or "<stdin>.yaml")
        out.append((name, sys.stdin.buffer.read()))
    if args.hook:
        files = _in_source(files)
    paths = expand_paths(files) if files else []
    if args.with_next or args.hook:
        paths = with_next_year(paths)
    out.extend((p, None) for p in paths)
    return out


def _in_source(files: Sequence[str]) -> list[str]:
    """``--hook``: of the changed files pre-commit passes, the reports in ``source =``."""
    from .config import load_config

    config = load_config()
    source = config.source.resolve()
    return [f for f in files if source in Path(f).resolve().parents and _is_report(Path(f))]


def _machine(kind: str, outcomes: Sequence[Outcome]) -> str:
    from .report_formats import FileResult, render

    results = [
        FileResult(
            o.name,
            o.ok,
            o.report.format.id if o.report else None,
            list(o.diagnostics),
            len(o.acknowledged),
        )
        for o in outcomes
    ]
    return render(kind, results)


def _machine_error(kind: str, exc: NianbaoError) -> int:
    """A usage error (a missing file) in the format a program asked for, on stdout."""
    from .report_formats import error_document

    _write_out(error_document(kind, str(exc), exc.exit_code))
    print(printable(f"nianbao: {exc}"), file=sys.stderr)
    return exc.exit_code


@contextlib.contextmanager
def _reader_may_leave() -> Iterator[None]:
    """A reader that stops early (``| head``) ends the output, not the exit code."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_output()


def _silence_output() -> None:
    """After a broken pipe, point stdout and stderr at devnull (as the Python docs advise).

    Python would otherwise fail again flushing them at exit and print "Exception
    ignored … BrokenPipeError" after our exit code was decided.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            continue  # not a real file (tests capture output): nothing will flush it late
    os.close(devnull)


def _print_human(
    outcomes: Sequence[Outcome], errors: int, warnings: int, quiet: bool, strict: bool
) -> None:
    for o in outcomes:
        for d in o.diagnostics:
            print(d.format(), file=sys.stderr)
        if not quiet and not o.diagnostics:
            print(f"{o.name}: 通过")  # results on stdout, findings on stderr (as ruff)
    if quiet and not (errors or warnings):
        return
    summary = f"检查了 {len(outcomes)} 个文件：{errors} 个错误，{warnings} 个警告"
    accepted = sum(len(o.acknowledged) for o in outcomes)
    if accepted:
        summary += f"（另有 {accepted} 个警告已确认）"
    if strict and warnings and not errors:
        summary += "（--strict：警告视为失败）"
    print(summary)


def _settings(args: argparse.Namespace) -> tuple[Config, Path, list[str]]:
    """The flags of this command merged over the config file, checked once (config.py)."""
    from .config import load_config

    flags = {
        "output": getattr(args, "output", None),
        "formats": getattr(args, "format", None),
        "templates": getattr(args, "templates", None),
        "reference_docx": getattr(args, "reference_docx", None),
        "jobs": getattr(args, "jobs", None),
    }
    config = load_config(flags=flags)
    return config, config.output, list(config.formats)


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
    options = RenderOptions(templates=config.templates, reference_docx=config.reference_docx)
    if options.reference_docx is not None:
        _check_reference(options.reference_docx)
    jobs = config.jobs or os.cpu_count() or 1
    show = _Progress(len(targets), quiet=args.quiet, verbose=args.verbose)
    with _stop_on_signals() as stopped:
        summary = build(
            targets,
            outdir,
            options,
            strict=args.strict,
            force=args.force,
            jobs=jobs,
            progress=show,
            stop=stopped.event,
        )
    with _reader_may_leave():  # `build 2>&1 | head` must not stop the build or change its code
        show.finish()
    if args.touch:
        _touch_unchanged(summary)
    if args.output_format and args.output_format != "text":
        _write_out(_machine_build(args.output_format, summary))
    machine = bool(args.output_format and args.output_format != "text")
    out = sys.stderr if machine else None  # stdout holds the document
    return _summarise(summary, stopped.signum, quiet=args.quiet, out=out)


def _touch_unchanged(summary: Summary) -> None:
    """``--touch``: outputs that were up to date get a new mtime, so make settles.

    nianbao rightly leaves identical outputs alone; make then sees the touched YAML as
    newer for ever.  Builds compare contents, never times, so touching is harmless.
    """
    for result in summary.results:
        if result.failed:
            continue
        for out in result.target.outputs.values():
            if out not in result.written and out.is_file() and not out.is_symlink():
                with contextlib.suppress(OSError):
                    os.utime(out)


def _machine_build(kind: str, summary: Summary) -> str:
    from .report_formats import FileResult, render

    results = [
        FileResult(r.target.name, not r.failed, None, list(r.diagnostics)) for r in summary.results
    ]
    return render(kind, results)


def _summarise(
    summary: Summary, signum: int | None, *, quiet: bool, out: TextIO | None = None
) -> int:
    """Print how the build went (on stdout, unless it holds JSON); the exit code it implies."""
    failed = summary.failed
    if signum is not None:
        code = 128 + signum  # 130 for Ctrl-C, 143 for SIGTERM, as shells report them
    elif any(r.environment for r in failed):
        code = EXIT_USAGE  # the output could not be written: not the report's fault
    else:
        code = EXIT_INVALID if failed else EXIT_OK
    with _reader_may_leave():
        _report_failures(failed)
        if signum is not None:
            _report_not_built(summary.not_built, signum)
        elif not quiet or failed:
            print(
                f"生成 {len(summary.built)} 份，已是最新 {len(summary.up_to_date)} 份，"
                f"失败 {len(failed)} 份，用时 {summary.seconds:.2f} 秒",
                file=out or sys.stdout,
            )
    return code


def _report_failures(failed: Sequence[BuildResult]) -> None:
    if failed:
        print(f"失败的报告（{len(failed)}）：", file=sys.stderr)
        for r in failed:
            n = sum(d.severity == "error" for d in r.diagnostics)
            why = r.crash or (f"{n} 个错误" if n else "有警告（--strict）")
            print(printable(f"  {r.target.name}: {why}"), file=sys.stderr)


def _report_not_built(not_built: Sequence[Target], signum: int) -> None:
    names: dict[int, str] = {signal.SIGINT: "Ctrl-C（SIGINT）", signal.SIGTERM: "SIGTERM"}
    name = names.get(signum, str(signum))
    print(f"nianbao: 收到 {name}，已停止；已生成的文件都已记入清单", file=sys.stderr)
    if not_built:
        print(f"未生成的报告（{len(not_built)}）：", file=sys.stderr)
        for t in not_built:
            print(f"  {t.name}", file=sys.stderr)


class _Stopped:
    """Which signal asked the build to stop, and the event the build watches."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None

    def __call__(self, signum: int, frame: object) -> None:
        self.signum = self.signum or signum
        self.event.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C: now


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[_Stopped]:
    """SIGINT and SIGTERM end a build cleanly instead of killing it mid-way.

    Only ``signal.signal`` with SIGINT and SIGTERM is used: both exist on Windows too.
    Handlers can only be set in the main thread; elsewhere (tests) none are set.
    """
    stopped = _Stopped()
    if threading.current_thread() is not threading.main_thread():
        yield stopped
        return
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for s in saved:
            signal.signal(s, stopped)
        yield stopped
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


class _Progress:
    """Progress on a terminal as one updating line; plain lines in CI logs and pipes."""

    def __init__(self, total: int, *, quiet: bool, verbose: bool) -> None:
        self.total, self.quiet, self.verbose = total, quiet, verbose
        self.done = 0
        self.tty = sys.stderr.isatty() and not os.environ.get("CI")

    def __call__(self, result: BuildResult) -> None:
        with _reader_may_leave():  # a reader that left must not stop the build
            self._show(result)

    def _show(self, result: BuildResult) -> None:
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
                line = f"[{bar:<20}] {self.done}/{self.total} {result.target.name}"
                sys.stderr.write(_fit(line))
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


def _fit(line: str) -> str:
    """The progress line cut to the terminal's width, so ``\r`` can overwrite it."""
    import shutil

    from .textwidth import truncate

    return truncate(line, shutil.get_terminal_size((80, 24)).columns - 1)


def _clean(args: argparse.Namespace) -> int:
    from .clean import clean

    config, outdir, _ = _settings(args)
    done = clean(outdir, [config.root, config.source], force=args.force)
    for path, why in done.kept:
        print(f"保留 {display_path(path)}：{why}", file=sys.stderr)
    kept = f"，保留 {len(done.kept)} 个" if done.kept else ""
    print(f"删除了 {len(done.removed)} 个生成的文件{kept}")
    return EXIT_OK


def _deps(args: argparse.Namespace) -> int:
    from .deps import make_rules

    config, outdir, formats = _settings(args)
    targets = _targets(args, config, outdir, formats)
    text = make_rules(targets, config.templates, config.reference_docx, outdir)
    data = text.encode("utf-8", "surrogateescape")  # file names as their bytes, for make
    if args.depfile:
        from .output import write_atomic

        write_atomic(Path(args.depfile), data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .config import load_config
    from .init_repo import agency_from_folder, ensure_schema, repo_root
    from .scaffold import new_report

    path = Path(args.path)
    config = load_config()
    root = repo_root(path.parent, config.root, config.file is not None)
    written = ensure_schema(root)
    if written is not None:
        print(f"已创建 {display_path(written)}（编辑器据此提示）")
    agency = args.agency or agency_from_folder(path)
    created = new_report(path, replace(config, root=root), agency=agency)
    print(
        f"已创建 {display_path(created.path)}"
        + (f"（依据 {display_path(created.previous)}）" if created.previous else "（空白报告）")
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


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    return serve(args.paths, output=args.output, port=args.port, open_browser=args.open)


def _init(args: argparse.Namespace) -> int:
    from .init_repo import init_repo

    done = init_repo(Path(args.dir))
    for path in done.created:
        print(f"已创建 {display_path(path)}")
    if args.verbose:
        for path in done.kept:
            print(f"已存在，未改动 {display_path(path)}")
    print(f"新建 {len(done.created)} 个文件，保留已有的 {len(done.kept)} 个")
    return EXIT_OK


def _completion(args: argparse.Namespace) -> int:
    from .completion import script

    sys.stdout.write(script(args.shell, _parser()))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from .schema import schema_json

    text = schema_json()
    if args.output:
        from .output import write_atomic

        write_atomic(Path(args.output), text.encode("utf-8"))
    else:
        _write_out(text)
    return EXIT_OK


def _summary(args: argparse.Namespace) -> int:
    from .config import load_config
    from .summary import run

    config = load_config()
    root = Path(args.path) if args.path else config.source
    if not root.is_dir():
        raise UsageError(f"{display_path(root)}: 不是报告目录")
    outdir = Path(args.output) if args.output else config.output / "summary"
    done = run(
        root,
        display_path(root),
        outdir,
        year=args.year,
        roster=config.roster,
        groups=config.groups,
        force=args.force,
    )
    state = "已是最新" if done.up_to_date else "已生成"
    print(
        f"{state}：{display_path(outdir)}/summary.html 等 {len(done.outputs)} 个文件",
        file=sys.stderr,
    )
    if done.missing:
        print(f"未报送：{'、'.join(done.missing)}", file=sys.stderr)
    if done.invalid:
        print(f"校验未通过：{'、'.join(done.invalid)}", file=sys.stderr)
    print(f"问题 {done.findings} 条", file=sys.stderr)
    return EXIT_INVALID if done.invalid else EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from .importer.commands import run_import

    return run_import(
        args.sources, args.output, agency=args.agency, year=args.year,
        format_id=args.format, force=args.force,
    )  # fmt: skip


def _check(args: argparse.Namespace) -> int:
    from .importer.check import check_sources, render, write_summary

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("-j 必须是正整数")
    results = check_sources(args.sources, args.jobs or os.cpu_count() or 1)
    sys.stdout.write(render(results, args.format))
    if args.summary:
        write_summary(results, Path(args.summary))
    if any(r.error for r in results):
        return EXIT_USAGE
    return EXIT_INVALID if any(r.findings for r in results) else EXIT_OK
