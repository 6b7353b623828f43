"""The JSON Schema of a report, generated from the format data, and its error messages.

The schema is what editors use for completion and inline errors (every field has its
official Chinese label as ``title``), and the first pass of validation.  jsonschema's
own messages are written for programmers, so each error is rewritten here as an
author would want it: the file position, the label path, what was expected and what
was found, and a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from . import __version__, acknowledge
from .errors import SEPARATOR, Diagnostic, Location
from .local import local_schema
from .source import _BOOL_WORDS, Source, _describe
from .spec import Field, Format, Node, Table, all_formats
from .values import DASHES, UNREADABLE, suggest_number

__all__ = [
    "SCHEMA_ID",
    "document_schema",
    "format_schema",
    "schema_json",
    "schema_stamp",
    "validate_schema",
]

SCHEMA_ID = "https://nianbao.readthedocs.io/schema/report.schema.json"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_VALUE_SCHEMAS: dict[str, dict[str, Any]] = {
    "count": {"type": ["integer", "null"], "minimum": 0},
    "signed": {"type": ["integer", "null"]},
    "amount": {
        "type": ["number", "string", "null"],
        "minimum": 0,
        "pattern": r"^[0-9]+(\.[0-9]+)?$",
    },
    "text": {"type": ["string", "null"]},
    "name": {  # one line of at most 100 printable characters; (?!…) because $ allows a final \n
        "type": ["string", "null"],
        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]{1,100}(?![\\s\\S])",
    },
    "year": {"type": "integer", "minimum": 2008, "maximum": 2100},
    "date": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date"},
    "url": {"type": "string", "pattern": r"^https?://[^\s]+$"},
    "lines": {
        "type": ["array", "null"],
        "items": {"type": "string", "minLength": 1, "x-kind": "text"},
        "minItems": 1,
        "maxItems": 4,
    },
}

_EXPECTED: dict[str, str] = {
    "count": "不小于 0 的整数（件数）",
    "signed": "整数（可带正负号，如 +3、-2）",
    "amount": "不小于 0 的数，可带小数（如 12.5）",
    "text": "文本",
    "name": "一行文字，不超过 100 个字符（不能换行，不能含控制字符）",
    "year": "四位数的年份（如 2021）",
    "date": '日期，写成带引号的 "2022-01-20"',
    "url": "以 http:// 或 https:// 开头的网址",
    "format": '格式的编号（如 "2021"）',
    "lines": "一至四行文本的列表（如 [某市某局, 2021年政府信息公开工作年度报告]）",
    "narrative": "文本（可用 | 写多行）",
    "object": "映射（下一级的“键: 值”）",
}


def check_value(kind: str, value: str) -> str | None:
    """What ``value`` should be when it is not a valid ``kind``, else None.

    For values typed on the command line (``nianbao new --agency``), which must meet
    the same rule as the report they are written into.
    """
    pattern = _VALUE_SCHEMAS[kind].get("pattern")
    return _EXPECTED[kind] if pattern and not re.search(pattern, value) else None


_MARKS: dict[str, Any] = {"enum": [*DASHES, UNREADABLE], "x-marks": True}
"""What a published table cell may print instead of a figure (null, a blank, is in the types).
Its failures are never told: the figure's own branch explains what to write."""


def _value(
    kind: str, title: str, help: str | None = None, *, cell: bool = False, unit: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"title": title, **_VALUE_SCHEMAS[kind], "x-kind": kind}
    if cell and kind in ("count", "signed", "amount"):
        figure = {**_VALUE_SCHEMAS[kind], "x-kind": kind}
        if unit:
            figure["x-unit"] = unit
        out = {"title": title, "anyOf": [figure, _MARKS], "x-kind": kind}
    if help:
        out["description"] = help
    return out


def _field(f: Field) -> dict[str, Any]:
    if f.value == "format":
        ids = list(all_formats())
        return {
            "title": f.label,
            "enum": ids + [int(i) for i in ids if i.isdigit()],
            "description": "不写则按年度确定：" + "；".join(_format_years(x) for x in ids),
            "x-kind": "format",
        }
    out = _value(f.value, f.label, f.help)
    if f.required and f.value in ("text", "name"):
        out.update(type="string", minLength=1)
    return out


def _format_years(fid: str) -> str:
    fmt = all_formats()[fid]
    last = f"{fmt.last_year}" if fmt.last_year else "以后"
    return f"{fmt.first_year}—{last}年用 {fid}（{fmt.notice}）"


def _object(title: str, props: Mapping[str, Any], description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "properties": dict(props),
        "x-kind": "object",
    }
    if description:
        out["description"] = description
    return out


def _columns(nodes: Sequence[Node]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for node in nodes:
        if node.children and node.key:
            props[node.key] = _object(node.label, _columns(node.children))
        elif node.children:
            props.update(_columns(node.children))
        elif node.key:
            help = "不写则自动计算；写了则核对" if node.sum else None
            props[node.key] = _value(node.value, node.label, help, cell=True, unit=node.unit)
    return props


def _rows(nodes: Sequence[Node], columns: Mapping[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for node in nodes:
        if node.children and node.key:
            props[node.key] = _object(node.label, _rows(node.children, columns))
        elif node.children:
            props.update(_rows(node.children, columns))
        elif node.key:
            help = "不写则自动计算；写了则核对" if node.sum else None
            props[node.key] = _object(node.label, columns, help)
    return props


def _table(table: Table) -> dict[str, Any]:
    if table.layout == "blocks":
        props: dict[str, Any] = {}
        for block in table.blocks:
            for row in block.rows:
                assert row.key
                if block.single:
                    col = block.columns[0]
                    props[row.key] = _value(
                        col.value,
                        row.label,
                        f"{block.title}：{col.label}",
                        cell=True,
                        unit=col.unit,
                    )
                else:
                    props[row.key] = _object(row.label, _columns(block.columns), block.title)
        return _object(table.number, props, table.caption)
    columns = _columns(table.columns)
    if not table.rows:
        return _object(table.number, columns, table.caption)
    return _object(table.number, _rows(table.rows, columns), table.caption)


def _section_props(fmt: Format) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for section in fmt.sections:
        if section.kind == "table":
            props[section.key] = _table(fmt.tables[section.key])
            continue
        inner: dict[str, Any] = {f.key: _field(f) for f in section.fields}
        for part in section.parts:
            inner[part.key] = {
                "title": part.heading or part.label,
                "type": ["string", "null"],
                "description": f"{part.label}。Markdown 段落；数字可写成 {{{{ 数据名 }}}}",
                "x-kind": "narrative",
            }
        props[section.key] = _object(section.heading, inner)
    return props


@functools.cache
def format_schema(format_id: str) -> dict[str, Any]:
    """The schema of one format's reports, without the dialect header."""
    fmt = all_formats()[format_id]
    props = {f.key: _field(f) for f in fmt.meta}
    props.update(_section_props(fmt))
    props["local"] = local_schema(fmt, _value("amount", "本地行的数", cell=True))
    props["acknowledged"] = acknowledge.SCHEMA
    out = _object(f"{fmt.name}（{fmt.notice}）", props)
    out["required"] = [f.key for f in fmt.meta if f.required]
    copied: dict[str, Any] = json.loads(json.dumps(out))  # rows share columns: copy each
    _annotate(copied, ())
    return copied


_TYPED = frozenset(("count", "signed", "amount", "year", "date", "url"))


def _annotate(node: dict[str, Any], trail: tuple[str, ...]) -> None:
    """Give every property its label path, for editors, from the titles above it.

    yaml-language-server shows ``markdownDescription`` (or ``description``) in
    completion and hover, never ``title``; ``errorMessage`` replaces its English
    "Incorrect type" for a value of the wrong kind.
    """
    for key, child in node.get("properties", {}).items():
        here = (*trail, str(child.get("title", key)))
        path = SEPARATOR.join(here)
        note = child.get("description")
        child["description"] = path + (f"\n\n{note}" if note else "")
        child["markdownDescription"] = f"**{path}**" + (f"\n\n{note}" if note else "")
        kind = child.get("x-kind")
        if kind in _TYPED:
            child["errorMessage"] = f"“{here[-1]}”应为{_EXPECTED[kind]}"
            for branch in child.get("anyOf", ()):  # the server reports the branch's own error
                branch["errorMessage"] = child["errorMessage"]
        _annotate(child, here)


def document_schema() -> dict[str, Any]:
    """The schema for editors: picks the format from ``format`` or, failing that, ``year``."""
    defs = {f"format-{fid}": format_schema(fid) for fid in all_formats()}
    branches = []
    for fid, fmt in all_formats().items():
        years: dict[str, Any] = {"type": "integer", "minimum": fmt.first_year}
        if fmt.last_year:
            years["maximum"] = fmt.last_year
        ids: list[Any] = [fid, int(fid)] if fid.isdigit() else [fid]
        branches.append(
            {
                "if": {
                    "anyOf": [
                        {"required": ["format"], "properties": {"format": {"enum": ids}}},
                        {
                            "not": {"required": ["format"]},
                            "required": ["year"],
                            "properties": {"year": years},
                        },
                    ]
                },
                "then": {"$ref": f"#/$defs/format-{fid}"},
            }
        )
    return {
        "$schema": _DIALECT,
        "$id": SCHEMA_ID,
        "title": "政府信息公开工作年度报告",
        "description": "nianbao 年度报告 YAML 的结构。"
        "由 generator/formats/ 中的格式数据生成，请勿手改。",
        "type": "object",
        "required": ["agency", "year"],
        "allOf": branches,
        "$defs": defs,
    }


def schema_json() -> str:
    """The committed ``schema/report.schema.json`` text (sorted, stable, LF, final newline).

    It carries the nianbao version and a digest of its own content, so ``validate``
    can tell that a repository's copy was made by another nianbao (``schema_stamp``).
    """
    doc = document_schema()
    body = json.dumps(doc, ensure_ascii=False, indent=2)
    stamp = {
        "$comment": f"由 nianbao {__version__} 生成（nianbao schema）；请勿手改",
        "x-nianbao-version": __version__,
        "x-nianbao-digest": hashlib.sha256(body.encode("utf-8")).hexdigest()[:16],
    }
    return json.dumps({**stamp, **doc}, ensure_ascii=False, indent=2) + "\n"


def schema_stamp(text: str) -> tuple[str | None, str | None]:
    """The (version, digest) a schema file says it was made with; None for what it lacks."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None, None
    if not isinstance(doc, dict):
        return None, None
    version, digest = doc.get("x-nianbao-version"), doc.get("x-nianbao-digest")
    return (
        version if isinstance(version, str) else None,
        digest if isinstance(digest, str) else None,
    )


@functools.cache
def _validator(format_id: str) -> Draft202012Validator:
    schema = {"$schema": _DIALECT, **format_schema(format_id)}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


# --------------------------------------------------------------------------- messages


def validate_schema(source: Source, fmt: Format) -> list[Diagnostic]:
    """Every structural error in ``source`` against ``fmt``, as author-facing diagnostics."""
    out: dict[tuple[object, ...], Diagnostic] = {}
    schema = format_schema(fmt.id)
    if _conforms(schema, source.data):
        return []
    for error in _leaf_errors(_validator(fmt.id).iter_errors(source.data)):
        if isinstance(error.schema, Mapping) and error.schema.get("x-marks"):
            continue  # a figure that is not a mark either: its figure branch says why
        for diag in _diagnose(error, source, schema, fmt):
            # a bad date fails both "pattern" and "format": one message is enough
            out.setdefault((diag.location, diag.code, diag.labels, diag.message), diag)
    return list(out.values())


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "string": (str,),
    "integer": (int,),
    "number": (int, Decimal, float),
    "null": (type(None),),
    "array": (list,),
}


def _conforms(schema: Mapping[str, Any], value: Any) -> bool:
    """A quick yes for the keywords nianbao's schemas use; "no" means: ask jsonschema.

    Most reports are valid, and walking the schema directly is several times faster
    than jsonschema, which then only runs to explain what is wrong.  Any keyword this
    does not know makes it answer no, so it can never let an invalid report through.
    """
    known = {
        "title",
        "description",
        "markdownDescription",
        "errorMessage",
        "x-kind",
        "type",
        "minimum",
        "maximum",
        "pattern",
        "format",
        "enum",
        "additionalProperties",
        "properties",
        "required",
        "minLength",
        "anyOf",
        "items",
        "x-marks",
        "x-unit",
    }
    if not known.issuperset(schema):
        return False
    if "anyOf" in schema and not any(_conforms(s, value) for s in schema["anyOf"]):
        return False
    if isinstance(value, list) and "items" in schema:
        return all(_conforms(schema["items"], item) for item in value)
    if "enum" in schema and value not in schema["enum"]:
        return False
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if isinstance(value, bool) or not any(isinstance(value, _TYPES[n]) for n in names):
            return False
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return False
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
        if schema.get("format") == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        if any(k not in value for k in schema.get("required", ())):
            return False
        for key, item in value.items():
            if key not in props:
                if schema.get("additionalProperties", True) is not True:
                    return False
            elif not _conforms(props[key], item):
                return False
    return True


def _leaf_errors(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    for error in errors:
        if error.context:
            yield from _leaf_errors(iter(error.context))
        else:
            yield error


def _labels(schema: Mapping[str, Any], path: Sequence[Any]) -> tuple[str, ...]:
    labels: list[str] = []
    node: Mapping[str, Any] | None = schema
    for part in path:
        node = (node or {}).get("properties", {}).get(part)
        if node is None:
            labels.append(str(part))
            break
        labels.append(node.get("title", str(part)))
    return tuple(labels)


def _expected(sub: Mapping[str, Any]) -> str:
    kind = sub.get("x-kind")
    if kind == "format":
        return "、".join(str(v) for v in sub.get("enum", []) if isinstance(v, str)) + " 之一"
    return _EXPECTED.get(str(kind), "符合格式的值")


@dataclass(frozen=True, slots=True)
class _Problem:
    """How one JSON Schema keyword's failure is told: its code, its message, which hints."""

    code: str
    message: str
    trap_hint: bool = False
    """Explain YAML traps (引号里的数字, 全角数字, yes/no …) for this kind of failure."""
    other_format: bool = False
    """Say so when the value would be right in the other format."""


_PROBLEMS: dict[str, _Problem] = {
    "type": _Problem("SCHEMA-TYPE", "类型不对", trap_hint=True, other_format=True),
    "minimum": _Problem("SCHEMA-RANGE", "数值超出允许范围"),
    "maximum": _Problem("SCHEMA-RANGE", "数值超出允许范围"),
    "pattern": _Problem("SCHEMA-FORMAT", "写法不对", trap_hint=True),
    "format": _Problem("SCHEMA-FORMAT", "写法不对", trap_hint=True),
    "enum": _Problem("SCHEMA-ENUM", "不是允许的取值"),
    "minLength": _Problem("SCHEMA-FORMAT", "不能为空"),
    "minItems": _Problem("SCHEMA-RANGE", "项数超出允许范围"),
    "maxItems": _Problem("SCHEMA-RANGE", "项数超出允许范围"),
}
"""The keywords whose failure is one diagnostic about the value itself."""


def _diagnose(
    error: ValidationError, source: Source, schema: Mapping[str, Any], fmt: Format
) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    labels = _labels(schema, path)
    sub = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties":
        yield from _unknown_keys(error.instance, sub, path, labels, source, fmt)
        return
    if error.validator == "required":
        yield from _missing_keys(error.instance, sub, labels, source.locate(path))
        return
    loc, found = source.locate(path), _describe(error.instance)
    problem = _PROBLEMS.get(str(error.validator))
    if problem is None:
        yield Diagnostic("error", "SCHEMA", loc, error.message, found=found, labels=labels)
        return
    hint = _other_format(fmt, path, error.instance) if problem.other_format else None
    if hint is None and problem.trap_hint:
        hint = _trap_hint(error.instance, sub)
    yield Diagnostic(
        "error",
        problem.code,
        loc,
        problem.message,
        expected=_expected(sub),
        found=found,
        hint=hint,
        labels=labels,
    )


def _unknown_keys(
    instance: Any,
    sub: Mapping[str, Any],
    path: tuple[Any, ...],
    labels: tuple[str, ...],
    source: Source,
    fmt: Format,
) -> Iterator[Diagnostic]:
    allowed = sub.get("properties", {})
    if len(allowed) <= 12:
        expected = "可用的字段：" + "、".join(
            f"{k}（{v.get('title', k)}）" for k, v in allowed.items()
        )
    else:
        expected = f"{labels[-1] if labels else '此处'}下的字段之一"
    for key in instance:
        if key in allowed:
            continue
        yield Diagnostic(
            "error",
            "SCHEMA-UNKNOWN",
            source.locate((*path, key), key=True),
            f"未知的字段 “{key}”",
            labels=labels,
            expected=expected,
            found=f"“{key}”",
            hint=_other_format(fmt, (*path, key)) or _did_you_mean(str(key), allowed),
        )


def _missing_keys(
    instance: Any, sub: Mapping[str, Any], labels: tuple[str, ...], loc: Location
) -> Iterator[Diagnostic]:
    props = sub.get("properties", {})
    for key in sub.get("required", []):
        if key in instance:
            continue
        yield Diagnostic(
            "error",
            "SCHEMA-REQUIRED",
            loc,
            f"缺少必填项 “{props.get(key, {}).get('title', key)}”（{key}）",
            expected=f"{key}: {_expected(props.get(key, {}))}",
            found="没有写",
            labels=labels,
        )


def _trap_hint(value: Any, sub: Mapping[str, Any]) -> str | None:
    if isinstance(value, str) and value.lower() in _BOOL_WORDS:
        if sub.get("x-kind") in ("count", "signed", "amount"):
            return f"“{value}” 不是数字；没有就写 0"
        return None
    if isinstance(value, str) and sub.get("x-kind") == "date":
        return None
    if isinstance(value, str) and sub.get("x-kind") in ("count", "signed", "amount"):
        suggestion = suggest_number(value, str(sub["x-kind"]), sub.get("x-unit"))
        if suggestion:
            return suggestion
    if sub.get("x-kind") == "count" and isinstance(value, str) and value.strip().isdigit():
        return "数字不要加引号，也不要带单位"
    if sub.get("x-kind") == "count" and isinstance(value, str):
        return "件数只写阿拉伯数字，不带单位；全角数字（如 １２）请改为半角"
    if isinstance(value, dict | list) and sub.get("x-kind") in ("count", "signed", "amount"):
        return "这里只写一个数，不要再分下一级"
    if sub.get("x-kind") == "count" and not isinstance(value, (int, str, type(None))):
        return "件数必须是整数，不能带小数点"
    if sub.get("x-kind") == "date":
        return '日期要加引号，如 published: "2022-01-20"'
    return None


_ANY = object()


def _other_format(fmt: Format, path: Sequence[Any], instance: Any = _ANY) -> str | None:
    """Name the format a field belongs to, when a report mixes two formats.

    With ``instance``, only a format whose field of that name accepts the value counts
    (``licensing: 3`` is a 2021 field in a 2019 report, ``business: 二`` is just wrong).
    """
    for other in all_formats().values():
        if other.id == fmt.id:
            continue
        node: Mapping[str, Any] | None = format_schema(other.id)
        for part in path:
            node = (node or {}).get("properties", {}).get(part)
        if node is not None and instance is not _ANY:
            node = node if Draft202012Validator(node).is_valid(instance) else None
        if node is not None:
            years = (
                f"{other.first_year}—{other.last_year} 年使用"
                if other.last_year
                else f"{other.first_year} 年起使用"
            )
            what = "的写法" if instance is not _ANY else "的字段"
            return (
                f"“{path[-1]}”（{node.get('title', path[-1])}）这样写是 {other.id} 格式"
                f"（{other.notice}，{years}）{what}；本报告使用 {fmt.id} 格式（{fmt.notice}）。"
                "可用 format: 指定格式，或改用本格式的写法"
            )
    return None


def _did_you_mean(key: str, allowed: Mapping[str, Any]) -> str | None:
    by_label = {str(v.get("title", "")): k for k, v in allowed.items()}
    for label, k in by_label.items():
        if key and (key == label or key in label):
            return f"您是否想写 “{k}”？（{label}）键名用英文，标签只用于显示"
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    if close:
        return f"您是否想写 “{close[0]}”（{allowed[close[0]].get('title', close[0])}）？"
    return None
