"""argparse in Chinese: help, usage and usage errors, with did-you-mean for commands.

argparse looks its English up through the module-level ``argparse._`` (gettext) at
the moment it builds a parser, formats help or reports an error.  :class:`Parser`
swaps in a Chinese table for exactly those moments and restores it after, so other
users of argparse in the same process (a host program, pytest) are untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn, TypeVar

from .errors import printable

__all__ = ["EXIT_USAGE", "Parser", "add_common_options", "chinese", "subcommands"]

EXIT_USAGE = 2

_MESSAGES: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "无效的选择：%(value)r（可选：%(choices)s）"
    ),
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "expected one argument": "需要一个参数值",
    "expected at most one argument": "最多只能有一个参数值",
    "expected at least one argument": "至少需要一个参数值",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "ambiguous option: %(option)s could match %(matches)s": (
        "选项不明确：%(option)s 可以是 %(matches)s"
    ),
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "忽略了多余的参数值 %r",
    "one of the arguments %s is required": "必须给出参数 %s 之一",
    "unexpected option string: %s": "意外的选项：%s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：用法错误：%(message)s\n",
    "subcommands": "子命令",
}
_PLURALS: dict[str, str] = {
    "expected %s argument": "需要 %s 个参数值",
    "expected %s arguments": "需要 %s 个参数值",
}


def _translate(message: str) -> str:
    return _MESSAGES.get(message, message)


def _ntranslate(singular: str, plural: str, n: int) -> str:
    chosen = singular if n == 1 else plural
    return _PLURALS.get(chosen, chosen)


@contextlib.contextmanager
def chinese() -> Iterator[None]:
    """argparse speaks Chinese inside this block (messages are looked up at call time)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = _translate  # type: ignore[attr-defined]
    argparse.ngettext = _ntranslate  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


_F = TypeVar("_F", bound=Callable[..., Any])


def _in_chinese(method: _F) -> _F:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with chinese():
            return method(*args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper  # type: ignore[return-value]


class Parser(argparse.ArgumentParser):
    """argparse whose messages are Chinese; usage errors exit with 2 and suggest a command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with chinese():  # "positional arguments", "options", "-h" are named here
            super().__init__(*args, **kwargs)

    add_argument = _in_chinese(argparse.ArgumentParser.add_argument)
    add_subparsers = _in_chinese(argparse.ArgumentParser.add_subparsers)
    parse_known_args = _in_chinese(argparse.ArgumentParser.parse_known_args)
    parse_args = _in_chinese(argparse.ArgumentParser.parse_args)
    format_usage = _in_chinese(argparse.ArgumentParser.format_usage)

    def format_help(self) -> str:
        """Help in Chinese, section headings ending in a full-width colon."""
        with chinese():
            text = super().format_help()
        for group in self._action_groups:
            if group.title:
                text = text.replace(f"\n{group.title}:\n", f"\n{group.title}：\n")
        return text

    def error(self, message: str) -> NoReturn:
        with chinese():
            self.print_usage(sys.stderr)
        message = message.replace("无效的 int 值", "无效的整数值")
        text = f"{self.prog}：用法错误：{message}{self._option_hint(message)}"
        sys.stderr.write(printable(text) + "\n")  # an argument may hold escape sequences
        raise SystemExit(EXIT_USAGE)

    def _option_hint(self, message: str) -> str:
        """For an unknown option, the closest known ones (``--frmat`` → --format)."""
        head = _MESSAGES["unrecognized arguments: %s"].split("%s")[0]
        if not message.startswith(head):
            return ""
        known = option_strings(self)
        for sub in subcommands(self).values():
            known += option_strings(sub)
        unknown = [w for w in message[len(head) :].split() if w.startswith("-")]
        close = [c for w in unknown for c in difflib.get_close_matches(w, set(known), n=2)]
        return f"。是不是想用 {' 或 '.join(dict.fromkeys(close))}？" if close else ""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """An unknown choice names the closest ones (``nianbao biuld`` → build)."""
        choices = action.choices
        if choices is None or value in choices:
            return
        names = [str(c) for c in choices]
        close = difflib.get_close_matches(str(value), names, n=3, cutoff=0.6)
        text = f"无效的选择：{value!r}（可选：{'、'.join(names)}）"
        if close:
            text += f"。是不是想用 {' 或 '.join(close)}？"
        raise argparse.ArgumentError(action, text)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser of each command, by name (empty when there are none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``-q`` and ``-v`` on every command, including ones added later, when it lacks them."""
    for sub in subcommands(parser).values():
        taken = sub._option_string_actions
        if "-q" not in taken:
            sub.add_argument("-q", "--quiet", action="store_true", help="只输出错误和警告")
        if "-v" not in taken:
            sub.add_argument("-v", "--verbose", action="store_true", help="输出更多信息")


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string of ``parser``, for shell completion."""
    return sorted(s for a in parser._actions for s in a.option_strings)


def choices_of(parser: argparse.ArgumentParser) -> dict[str, Sequence[str]]:
    """Options (and positionals, by dest) that take one of fixed choices."""
    out: dict[str, Sequence[str]] = {}
    for a in parser._actions:
        if a.choices is not None and not isinstance(a, argparse._SubParsersAction):
            for s in a.option_strings or [a.dest]:
                out[s] = [str(c) for c in a.choices]
    return out
