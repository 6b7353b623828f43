"""Opening an Office file (a ZIP package) without trusting its sizes.

A zip bomb declares small entries that inflate to gigabytes; a hostile package may also
hold thousands of entries or an XML part with external entities.  Before anything is
decompressed every entry's declared size, the total and the compression ratio are
checked, and each read is capped at the declared size (``zipfile`` stops there and
checks the CRC).  XML is parsed with entities unresolved, no DTD, no network and
libxml2's default size and depth limits.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from .document import Unreadable

__all__ = ["MAX_ENTRY_BYTES", "Package", "parse_xml"]

MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200
MAX_ENTRIES = 10_000


def parse_xml(data: bytes, name: str) -> Any:
    """An XML part, parsed safely: no entity expansion, no DTD, no network, no huge trees."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"{name}: 文件内容损坏（XML 无法解析：{exc}）") from None


class Package:
    """The parts of an Office package, read only after their declared sizes passed the limits."""

    def __init__(self, raw: bytes, name: str) -> None:
        self.name = name
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(raw))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise Unreadable(f"{name}: 不是有效的 Office 文件（{exc}）") from None
        if len(infos) > MAX_ENTRIES:
            raise Unreadable(f"{name}: 压缩包内文件过多（{len(infos)} 个），拒绝读取")
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if (
                info.file_size > MAX_ENTRY_BYTES
                or total > MAX_TOTAL_BYTES
                or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO)
            ):
                raise Unreadable(
                    f"{name}: 压缩包内容解压后过大（{info.filename} {info.file_size} 字节，"
                    f"压缩比 {ratio:.0f}），疑似压缩炸弹，拒绝读取"
                )
        self.names = {i.filename for i in infos}

    def read(self, part: str) -> bytes | None:
        if part not in self.names:
            return None
        try:
            with self.zip.open(part) as f:
                data = f.read(MAX_ENTRY_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise Unreadable(f"{self.name}: 文件内容损坏（{part}：{exc}）") from None
        if len(data) > MAX_ENTRY_BYTES:
            raise Unreadable(f"{self.name}: {part} 解压后过大，拒绝读取")
        return data

    def xml(self, part: str) -> Any | None:
        data = self.read(part)
        return None if data is None else parse_xml(data, f"{self.name}（{part}）")
