"""Uploads of materials."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from backend.api.dto import FileInfo
from backend.api.guards import PrincipalDep, ServicesDep, requires
from backend.commands import files
from integrations.files import MAX_FILE_SIZE

__all__ = ["FilesController"]

# room for the multipart envelope around a file of the maximum size
_BODY_LIMIT = MAX_FILE_SIZE + 64 * 1024


class FilesController(Controller):
    path = "/api/v1/files"
    tags = ["files"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post("/", operation_id="uploadFile", status_code=201, request_max_body_size=_BODY_LIMIT)
    async def upload(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> FileInfo:
        """Upload a JPEG, PNG or PDF (checked by content) of at most 10 MiB."""
        content = await data.read()
        result = await files.upload(services, UUID(principal.id), content)
        return msgspec.convert(result, FileInfo)
