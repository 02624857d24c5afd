"""Uploads (camelCase JSON)."""

from __future__ import annotations

from backend.http.dto import Dto

__all__ = ["FileInfo"]


class FileInfo(Dto, frozen=True):
    file_id: str
    sha256: str
    size: int
    content_type: str
    id: str  # the same as ``fileId``: every resource's own id is ``id``
