"""Whether an upload is what its first bytes claim: decoded by maintained libraries, not trusted.

A PNG header followed by HTML, a ``%PDF-`` line followed by a script, or a 50000x50000 image
(a decompression bomb: a few KB that expand to gigabytes) are refused before they are stored.
Images are decoded fully by Pillow once their declared size is within ``MAX_PIXELS``; PDFs must
parse in pypdf's strict mode and have at least one page. CPU-bound: call it off the event loop.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

__all__ = ["MAX_PIXELS", "InvalidContent", "check_content"]

MAX_PIXELS = 50_000_000  # a 50-megapixel photo: more than any phone camera sends
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


class InvalidContent(ValueError):
    """The file is not a well-formed file of its type (``reason`` in words)."""


def check_content(data: bytes, content_type: str) -> None:
    """Raise ``InvalidContent`` unless ``data`` is a well-formed file of ``content_type``."""
    if content_type in _FORMATS:
        _check_image(data, _FORMATS[content_type])
    elif content_type == "application/pdf":
        _check_pdf(data)
    else:
        raise InvalidContent(f"{content_type} is not an accepted type")


def _check_image(data: bytes, expected: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected:
                    raise InvalidContent(f"not a {expected} image")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise InvalidContent(
                        f"image of {width}x{height} pixels; at most {MAX_PIXELS:,} pixels"
                    )
                image.verify()  # structure: chunks and their checksums
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # and every pixel decodes
    except InvalidContent:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidContent(f"image larger than {MAX_PIXELS:,} pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidContent(f"not a readable {expected} image") from None


def _check_pdf(data: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        pages = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        raise InvalidContent("not a readable PDF") from None
    if pages < 1:
        raise InvalidContent("a PDF without pages")
