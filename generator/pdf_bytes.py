"""LibreOffice's PDF bytes made reproducible: same DOCX, same PDF, whatever else ran.

LibreOffice stamps a PDF with the clock (``/CreationDate``, ``/ModDate``, XMP dates),
ids derived from it (the ``/ID`` pair, ``/DocChecksum``), and gives each embedded
Type 1 font a ``/UniqueID`` from a counter that lives as long as the office process:
the same document converted after another one gets other numbers.  ``reproducible``
rewrites all of these from the file itself.  The font programs are compressed, so
changing them moves every later object: the file is re-assembled object by object
from its cross-reference table, which LibreOffice writes as a classic table.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from datetime import UTC, datetime

__all__ = ["reproducible"]

_DATE = re.compile(rb"/(CreationDate|ModDate)\s*\(D:(\d{14})")
_XMP_DATE = re.compile(rb"<xmp:(?:CreateDate|ModifyDate|MetadataDate)>([^<]{19})")
_IDS = re.compile(rb"(/ID\s*\[\s*<)([0-9A-Fa-f]{32})(>\s*<)([0-9A-Fa-f]{32})(>)")
_CHECKSUM = re.compile(rb"(/DocChecksum\s*/)([0-9A-Fa-f]{32})")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_ROW = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_OBJ = re.compile(rb"(\d+) 0 obj\s*")
_FONT_STREAM = re.compile(
    rb"\A(\d+ 0 obj\s*<<[^>]*?/Length (\d+) 0 R/Filter/FlateDecode/Length1 (\d+)"
    rb"/Length2 (\d+)[^>]*>>\s*stream\r?\n)(.*?)(\r?\nendstream)",
    re.S,
)
_UNIQUE_ID = re.compile(rb"/UniqueID (\d+) def")


def reproducible(pdf: bytes, when: datetime) -> bytes:
    """``pdf`` with dates set to ``when``, font ids numbered in order, ids from content."""
    out = _renumber_fonts(pdf)
    stamp = when.astimezone(UTC).strftime("%Y%m%d%H%M%S").encode()
    iso = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S").encode()
    out = _DATE.sub(lambda m: b"/" + m.group(1) + b"(D:" + stamp, out)
    out = _XMP_DATE.sub(lambda m: m.group(0)[: -len(m.group(1))] + iso, out)

    def ids(value: bytes) -> bytes:
        fixed = _IDS.sub(lambda m: m.group(1) + value + m.group(3) + value + m.group(5), out)
        return _CHECKSUM.sub(lambda m: m.group(1) + value, fixed)

    digest = hashlib.md5(ids(b"0" * 32), usedforsecurity=False).hexdigest().upper()
    return ids(digest.encode())


def _objects(pdf: bytes) -> tuple[int, int, list[tuple[int, bytes]]] | None:
    """The xref table's offset, the first object's, and the objects in file order as
    (number, bytes);
    None when the file is not laid out the way LibreOffice writes it."""
    tail = _STARTXREF.search(pdf)
    if tail is None:
        return None
    xref = int(tail.group(1))
    if not pdf.startswith(b"xref", xref):
        return None
    header = re.match(rb"xref\s+0 (\d+)\s+", pdf[xref:])
    if header is None:
        return None
    rows = _XREF_ROW.findall(pdf, xref + header.end(), xref + header.end() + 20 * int(header[1]))
    offsets = sorted((int(off), n) for n, (off, _, kind) in enumerate(rows) if kind == b"n")
    if len(rows) != int(header[1]) or not offsets:
        return None
    ends = [off for off, _ in offsets[1:]] + [xref]
    objects = [(n, pdf[off:end]) for (off, n), end in zip(offsets, ends, strict=True)]
    for n, body in objects:
        start = _OBJ.match(body)
        if start is None or int(start[1]) != n:
            return None
    return xref, offsets[0][0], objects


def _renumber_fonts(pdf: bytes) -> bytes:
    """Number the Type 1 fonts' ``/UniqueID`` 1, 2, … in file order (compressed font
    programs are rewritten, their length objects updated, the xref table rebuilt)."""
    parsed = _objects(pdf) if b"/FontFile" in pdf else None
    if parsed is None:
        return pdf
    xref, first, objects = parsed
    bodies = dict(objects)
    lengths: dict[int, int] = {}
    count = 0
    for n, body in objects:
        found = _FONT_STREAM.match(body)
        if found is None:
            continue
        try:
            program = zlib.decompress(found[5])
        except zlib.error:
            continue
        count += 1
        fixed = _renumber_type1(program, int(found[3]), int(found[4]), 4000000 + count)
        if fixed is None:
            continue
        data = zlib.compress(fixed, 9)
        bodies[n] = found[1] + data + found[6] + body[found.end() :]
        lengths[int(found[2])] = len(data)
    if not count:
        return pdf
    for n, length in lengths.items():
        bodies[n] = re.sub(rb"(\d+ 0 obj\s*)\d+", rb"\g<1>%d" % length, bodies[n], count=1)
    return _assemble(pdf, xref, first, [(n, bodies[n]) for n, _ in objects])


def _renumber_type1(program: bytes, clear: int, encrypted: int, number: int) -> bytes | None:
    """A Type 1 font program with ``number`` as its ``/UniqueID``, in the clear part and in
    the eexec-encrypted Private dictionary; None if it has no id of that many digits."""
    new = str(number).encode()
    head = _UNIQUE_ID.sub(lambda m: m[0].replace(m[1], new) if len(m[1]) == len(new) else m[0],
                          program[:clear])  # fmt: skip
    cipher = program[clear : clear + encrypted]
    # The Private dictionary comes first: its id is within the first few hundred bytes.
    found = _UNIQUE_ID.search(_eexec_decrypt(cipher[:2048]))
    if found is None or len(found[1]) != len(new):
        return None
    return head + _reencrypt(cipher, found.start(1), new) + program[clear + encrypted :]


def _eexec_decrypt(data: bytes) -> bytes:
    """Type 1 eexec decryption (Adobe Type 1 Font Format, 7.2), r = 55665."""
    r, out = 55665, bytearray(len(data))
    for i, c in enumerate(data):
        out[i] = c ^ (r >> 8)
        r = ((c + r) * 52845 + 22719) & 0xFFFF
    return bytes(out)


def _reencrypt(cipher: bytes, at: int, new: bytes) -> bytes:
    """``cipher`` with the plain bytes from ``at`` replaced by ``new``.

    Up to ``at`` the key stream is unchanged, so those bytes are kept; from there one
    pass decrypts with the old key stream and encrypts with the new one (the hot loop
    of PDF output: kept to a few operations per byte).
    """
    old_r = 55665
    for c in cipher[:at]:
        old_r = ((c + old_r) * 52845 + 22719) & 0xFFFF
    new_r = old_r
    out = bytearray(cipher)
    end = at + len(new)
    for i in range(at, end):
        c = cipher[i]
        e = new[i - at] ^ (new_r >> 8)
        out[i] = e
        old_r = ((c + old_r) * 52845 + 22719) & 0xFFFF
        new_r = ((e + new_r) * 52845 + 22719) & 0xFFFF
    for i in range(end, len(cipher)):
        c = cipher[i]
        e = c ^ ((old_r ^ new_r) >> 8)
        out[i] = e
        old_r = ((c + old_r) * 52845 + 22719) & 0xFFFF
        new_r = ((e + new_r) * 52845 + 22719) & 0xFFFF
    return bytes(out)


def _assemble(pdf: bytes, xref: int, first: int, objects: list[tuple[int, bytes]]) -> bytes:
    """The file with ``objects`` in order, a new xref table and the old trailer."""
    out = bytearray(pdf[:first])
    offsets: dict[int, int] = {}
    for n, body in objects:
        offsets[n] = len(out)
        out += body
    size = 1 + max(n for n, _ in objects)
    table = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
    table += [
        b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n"
        for n in range(1, size)
    ]
    trailer_at = pdf.index(b"trailer", xref)
    trailer = _STARTXREF.sub(b"", pdf[trailer_at:])
    new_xref = len(out)
    out += b"".join(table) + trailer + b"startxref\n%d\n%%%%EOF\n" % new_xref
    return bytes(out)
