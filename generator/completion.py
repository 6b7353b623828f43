"""``nianbao completion bash|zsh|powershell``: completion scripts made from the parser.

The scripts are generated from the argparse parser itself, so a new command or
option completes without anyone editing a script; they need nothing installed
beyond nianbao (shtab would cover bash and zsh but not PowerShell, where most
agency PCs are).  Files and folders complete where a command takes paths.
"""

from __future__ import annotations

import argparse

from .cli_parser import choices_of, option_strings, subcommands

__all__ = ["script"]


def _table(parser: argparse.ArgumentParser) -> dict[str, tuple[list[str], dict[str, list[str]]]]:
    out: dict[str, tuple[list[str], dict[str, list[str]]]] = {}
    for name, sub in subcommands(parser).items():
        out[name] = (option_strings(sub), {k: list(v) for k, v in choices_of(sub).items()})
    return out


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    table = _table(parser)
    if shell == "powershell":
        return _powershell(table, option_strings(parser))
    text = _bash(table, option_strings(parser))
    if shell == "zsh":
        return "autoload -U +X bashcompinit && bashcompinit\n" + text
    return text


def _bash(table: dict[str, tuple[list[str], dict[str, list[str]]]], top: list[str]) -> str:
    cases = []
    for name, (options, choices) in table.items():
        positional = choices.get("shell")
        words = " ".join(options + (positional or []))
        values = "".join(
            f'        {opt}) COMPREPLY=($(compgen -W "{" ".join(vals)}" -- "$cur")); return;;\n'
            for opt, vals in choices.items()
            if opt.startswith("-")
        )
        cases.append(
            f"    {name})\n"
            f'      case "$prev" in\n{values}      esac\n'
            f'      COMPREPLY=($(compgen -W "{words}" -- "$cur") $(compgen -f -- "$cur"));;\n'
        )
    return (
        '# nianbao 的 bash 补全：eval "$(nianbao completion bash)"\n'
        "_nianbao() {\n"
        '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"\n'
        '  if [ "$COMP_CWORD" -eq 1 ]; then\n'
        f'    COMPREPLY=($(compgen -W "{" ".join([*table, *top])}" -- "$cur")); return\n'
        "  fi\n"
        '  case "${COMP_WORDS[1]}" in\n'
        + "".join(cases)
        + "  esac\n}\ncomplete -o filenames -F _nianbao nianbao\n"
    )


def _ps_list(words: list[str]) -> str:
    return "@(" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + ")"


def _powershell(table: dict[str, tuple[list[str], dict[str, list[str]]]], top: list[str]) -> str:
    entries = "\n".join(
        f"    '{name}' = {_ps_list(options + choices.get('shell', []))}"
        for name, (options, choices) in table.items()
    )
    return (
        "# nianbao 的 PowerShell 补全：\n"
        "#   nianbao completion powershell | Out-String | Invoke-Expression\n"
        "Register-ArgumentCompleter -Native -CommandName nianbao -ScriptBlock {\n"
        "  param($wordToComplete, $commandAst, $cursorPosition)\n"
        "  $commands = @{\n" + entries + "\n  }\n"
        f"  $top = {_ps_list([*table, *top])}\n"
        "  $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })\n"
        "  $candidates = if ($words.Count -le 1 -or ($words.Count -eq 2 -and $wordToComplete)) "
        "{ $top } else { $commands[$words[1]] }\n"
        '  $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {\n'
        "    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)\n"
        "  }\n"
        "}\n"
    )
