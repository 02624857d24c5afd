"""Real files for tests: uploads are decoded, so only well-formed ones are accepted."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter

__all__ = ["JPEG", "PDF", "PNG", "jpeg", "pdf", "png"]


def png(width: int = 4, height: int = 4, colour: tuple[int, int, int] = (190, 30, 45)) -> bytes:
    """A small, valid PNG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 4, height: int = 4) -> bytes:
    """A small, valid JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def pdf(pages: int = 1) -> bytes:
    """A small, valid PDF of blank A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PNG = png()
JPEG = jpeg()
PDF = pdf()
