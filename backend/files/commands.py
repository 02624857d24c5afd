"""Uploads: sniffed by content, decoded to prove it, stored by sha256, owned by the uploader."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import TYPE_CHECKING

from backend.files.dto import FileInfo
from domain.errors import (
    PayloadTooLarge,
    QuotaExceeded,
    UnsupportedMediaType,
    ValidationFailed,
)
from integrations.file_content import InvalidContent, check_content
from integrations.files import MAX_FILE_SIZE, sniff_content_type

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.services import Services

__all__ = ["upload"]

_KIND = {"image/jpeg": "JPEG 图片", "image/png": "PNG 图片", "application/pdf": "PDF 文件"}


async def _check_quota(
    services: Services, conn: asyncpg.Connection | PoolConnectionProxy, owner: uuid.UUID, size: int
) -> None:
    # the owner's lock: two uploads at once cannot both pass the last free place
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"uploads:{owner}")
    row = await conn.fetchrow(
        "SELECT count(*), coalesce(sum(size), 0) FROM files"
        " WHERE owner_id = $1 AND attached_at IS NULL",
        owner,
    )
    assert row is not None  # an aggregate always answers one row
    count, used = row
    settings = services.settings
    if count >= settings.upload_quota_files or used + size > settings.upload_quota_bytes:
        raise QuotaExceeded(
            f"未提交的上传文件最多{settings.upload_quota_files}个"
            f"（共{settings.upload_quota_bytes // (1024 * 1024)} MiB）；"
            "请先提交申请，或等待一天后未使用的文件自动清除"
        )


async def upload(services: Services, owner_id: uuid.UUID, data: bytes) -> FileInfo:
    """Store an upload (jpg, png or pdf, at most 10 MiB)."""
    if not data:
        raise ValidationFailed("文件为空", {"file": "必填"})
    if len(data) > MAX_FILE_SIZE:
        raise PayloadTooLarge(f"文件不能超过{MAX_FILE_SIZE // (1024 * 1024)} MiB")
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise UnsupportedMediaType("仅接受 JPEG、PNG 和 PDF 文件")
    sha = hashlib.sha256(data).hexdigest()
    try:
        await asyncio.to_thread(check_content, data, content_type)
    except InvalidContent as exc:
        raise UnsupportedMediaType(f"文件已损坏或不是有效的{_KIND[content_type]}：{exc}") from None
    file_id = uuid.uuid4()
    async with services.pool.acquire() as conn, conn.transaction():
        await _check_quota(services, conn, owner_id, len(data))
        # the content's lock: the cleanup never removes content a new row is being added for
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "file:" + sha)
        stored = await services.files.save(data, content_type)
        await conn.execute(
            "INSERT INTO files (id, owner_id, sha256, size, content_type)"
            " VALUES ($1, $2, $3, $4, $5)",
            file_id,
            owner_id,
            stored.sha256,
            stored.size,
            stored.content_type,
        )
    return FileInfo(
        file_id=str(file_id),
        id=str(file_id),
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
    )
