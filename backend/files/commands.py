"""Uploads: sniffed by content, decoded to prove it, stored by sha256, owned by the uploader."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from backend.files.dto import FileInfo
from domain.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from integrations.file_content import InvalidContent, check_content
from integrations.files import MAX_FILE_SIZE, sniff_content_type

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["upload"]


async def upload(services: Services, owner_id: uuid.UUID, data: bytes) -> FileInfo:
    """Store an upload (jpg, png or pdf, at most 10 MiB)."""
    if not data:
        raise ValidationFailed("empty file", {"file": "required"})
    if len(data) > MAX_FILE_SIZE:
        raise PayloadTooLarge(f"files may be at most {MAX_FILE_SIZE // (1024 * 1024)} MiB")
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise UnsupportedMediaType("only JPEG, PNG and PDF files are accepted")
    try:
        await asyncio.to_thread(check_content, data, content_type)
    except InvalidContent as exc:
        raise UnsupportedMediaType(f"the file is not a well-formed {content_type}: {exc}") from None
    stored = await services.files.save(data, content_type)
    file_id = uuid.uuid4()
    await services.pool.execute(
        "INSERT INTO files (id, owner_id, sha256, size, content_type) VALUES ($1, $2, $3, $4, $5)",
        file_id,
        owner_id,
        stored.sha256,
        stored.size,
        stored.content_type,
    )
    return FileInfo(
        file_id=str(file_id),
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
    )
