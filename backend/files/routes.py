"""Uploads of materials (citizens) and of proofs of delivery (couriers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from litestar import Controller, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from backend.files import commands as files
from backend.files.dto import FileInfo
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.rate_limit import rate_limit
from domain.errors import ValidationFailed
from integrations.files import MAX_FILE_SIZE

__all__ = ["FilesController"]

# room for the multipart envelope around a file of the maximum size
_BODY_LIMIT = MAX_FILE_SIZE + 64 * 1024


@dataclass
class FileUpload:
    """The multipart form: one part named ``file``."""

    file: UploadFile


class FilesController(Controller):
    path = "/api/v1/files"
    tags = ["files"]  # noqa: RUF012
    # citizens upload materials; couriers, photos proving a delivery
    guards = [requires("citizen", "courier")]  # noqa: RUF012

    @post(
        "/",
        operation_id="uploadFile",
        status_code=201,
        request_max_body_size=_BODY_LIMIT,
        guards=[rate_limit("upload")],
    )
    async def upload(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        data: Annotated[FileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> FileInfo:
        """Upload a JPEG, PNG or PDF (checked by content) of at most 10 MiB, as field ``file``."""
        if not isinstance(data.file, UploadFile):
            raise ValidationFailed("请在表单字段 file 中上传文件", {"file": "必填"})
        content = await data.file.read()
        return await files.upload(services, UUID(principal.id), content)
