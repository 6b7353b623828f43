"""Checking a reference DOCX before it becomes the base of every output.

A reference document comes from a cloned repository as often as from the user, so
it is hostile input: it may not be a DOCX at all, be a zip bomb, carry an XML
entity attack, or link to remote templates, images and OLE objects that every
generated report would then fetch when opened.  ``load_reference`` reads it in a
bounded way and returns a cleaned copy (external relationships removed) plus what
was removed, or raises UsageError with a message naming the problem.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]

from ..errors import UsageError

__all__ = ["MAX_FILE", "MAX_TOTAL", "Reference", "load_reference"]

MAX_FILE = 32 * 2**20
"""A styled template with a logo is a few hundred kilobytes."""

MAX_TOTAL = 128 * 2**20
"""Total uncompressed size of all entries."""

MAX_RATIO = 200
"""Compression ratio beyond which an entry is taken for a bomb (XML rarely exceeds 20)."""

MAX_ENTRIES = 2000

_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False
)


@dataclass(frozen=True, slots=True)
class Reference:
    data: bytes
    """The cleaned DOCX."""
    removed: tuple[str, ...]
    """The external targets that were removed, for a warning."""


def load_reference(path: Path, shown: str) -> Reference:
    """Read, check and clean the reference DOCX at ``path`` (``shown`` in messages)."""
    raw = _read(path, shown)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            parts = _parts(z, shown)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError):
        raise UsageError(f"{shown}: 不是有效的 DOCX 文件（不是 zip 压缩包或已损坏）") from None
    if "word/document.xml" not in parts or "[Content_Types].xml" not in parts:
        raise UsageError(f"{shown}: 不是 DOCX 文件（缺少 word/document.xml）")
    removed: list[str] = []
    for name in [n for n in parts if n.endswith(".rels")]:
        cleaned, ids = _clean_rels(_parse(name, parts[name], shown), removed)
        owner = _owner(name)
        if ids:
            parts[name] = cleaned
        if ids and owner in parts:
            parts[owner] = _drop_references(_parse(owner, parts[owner], shown), ids)
    for name in [n for n in parts if n.endswith(".xml")]:
        _parse(name, parts[name], shown)  # checked even where nothing is removed
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return Reference(out.getvalue(), tuple(dict.fromkeys(removed)))


def _read(path: Path, shown: str) -> bytes:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise UsageError(f"{shown}: 参考 DOCX 文件不存在") from None
    except OSError as exc:
        raise UsageError(f"{shown}: 无法读取参考 DOCX（{exc.strerror}）") from None
    if len(raw) > MAX_FILE:
        raise UsageError(f"{shown}: 参考 DOCX 过大（超过 {MAX_FILE // 2**20} MiB）")
    return raw


def _parts(z: zipfile.ZipFile, shown: str) -> dict[str, bytes]:
    """Every entry, refusing bombs before decompressing and reading no more than declared."""
    infos = z.infolist()
    if len(infos) > MAX_ENTRIES:
        raise UsageError(f"{shown}: 参考 DOCX 含有过多的文件（{len(infos)} 个）")
    bomb = UsageError(f"{shown}: 参考 DOCX 解压后过大，可能是“压缩炸弹”，不使用")
    if sum(i.file_size for i in infos) > MAX_TOTAL:
        raise bomb
    parts: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise bomb
        with z.open(info) as fh:
            data = fh.read(info.file_size + 1)
        if len(data) > info.file_size:  # the header lied about the size
            raise bomb
        parts[info.filename] = data
    return parts


def _parse(name: str, data: bytes, shown: str) -> etree._Element:
    """``data`` parsed with no DTD, no entities and no network."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UsageError(
            f"{shown}: 参考 DOCX 的 {name} 含有 DTD 或实体声明，不使用（可能是 XXE 攻击）"
        )
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        raise UsageError(f"{shown}: 参考 DOCX 的 {name} 不是有效的 XML") from None


def _owner(rels_name: str) -> str:
    """``word/_rels/settings.xml.rels`` → ``word/settings.xml``."""
    folder, _, base = rels_name.rpartition("_rels/")
    return folder + base.removesuffix(".rels")


def _clean_rels(root: etree._Element, removed: list[str]) -> tuple[bytes, set[str]]:
    """The relationships without external targets, and the ids that were removed."""
    ids: set[str] = set()
    for rel in root.findall(f"{{{_REL_NS}}}Relationship[@TargetMode='External']"):
        removed.append(rel.get("Target", ""))
        ids.add(rel.get("Id", ""))
        root.remove(rel)
    return _xml(root), ids


def _drop_references(root: etree._Element, ids: set[str]) -> bytes:
    """Remove ``w:attachedTemplate`` and every ``r:`` attribute naming a removed id."""
    for el in list(root.iter()):
        parent = el.getparent()
        if el.tag == f"{{{_W_NS}}}attachedTemplate" and parent is not None:
            parent.remove(el)
            continue
        for attr, value in list(el.attrib.items()):
            if str(attr).startswith(f"{{{_R_NS}}}") and value in ids:
                del el.attrib[attr]
    return _xml(root)


def _xml(root: etree._Element) -> bytes:
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return xml
