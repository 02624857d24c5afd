"""A small PDF of an e-certificate: one A4 page of labelled lines, Chinese included.

The text uses the PDF's predefined Chinese font STSong-Light (encoding UniGB-UCS2-H), which
readers supply themselves, so nothing is embedded and the file stays a few kilobytes. Pure and
CPU-bound (pypdf): call it off the event loop.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

__all__ = ["certificate_pdf"]

_A4 = (595, 842)


def _font() -> DictionaryObject:
    descriptor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject("/STSong-Light"),
            NameObject("/Flags"): NumberObject(6),
            NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in (-25, -254, 1000, 880)]),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): NumberObject(880),
            NameObject("/Descent"): NumberObject(-120),
            NameObject("/CapHeight"): NumberObject(880),
            NameObject("/StemV"): NumberObject(93),
        }
    )
    cid_font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light"),
            NameObject("/CIDSystemInfo"): DictionaryObject(
                {
                    NameObject("/Registry"): TextStringObject("Adobe"),
                    NameObject("/Ordering"): TextStringObject("GB1"),
                    NameObject("/Supplement"): NumberObject(2),
                }
            ),
            NameObject("/FontDescriptor"): descriptor,
            NameObject("/DW"): NumberObject(1000),
        }
    )
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light-UniGB-UCS2-H"),
            NameObject("/Encoding"): NameObject("/UniGB-UCS2-H"),
            NameObject("/DescendantFonts"): ArrayObject([cid_font]),
        }
    )


def _hex(text: str) -> str:
    """A PDF hex string of ``text`` in UCS-2 (what UniGB-UCS2-H reads)."""
    return "<" + text.encode("utf-16-be", errors="replace").hex().upper() + ">"


def certificate_pdf(title: str, lines: Sequence[tuple[str, str]]) -> bytes:
    """One page: ``title`` large, then ``label: value`` lines."""
    writer = PdfWriter()
    page = writer.add_blank_page(*_A4)
    commands = ["BT", "/F1 22 Tf", f"72 760 Td {_hex(title)} Tj", "/F1 12 Tf", "0 -40 Td"]
    for label, value in lines:
        commands.append(f"{_hex(f'{label}：{value}')} Tj 0 -22 Td")
    commands.append("ET")
    content = ContentStream(None, writer)
    content.set_data("\n".join(commands).encode("ascii"))
    page.replace_contents(content)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): _font()})}
    )
    writer.add_metadata({"/Title": title, "/Producer": "onewindow"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
