"""Whose uploads are whose: a material may only name a file its applicant uploaded."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from backend.eventstore import GroupRows
from domain.errors import ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.services import Services
    from domain.application import MaterialRef

__all__ = [
    "FilesInUse",
    "attach_files",
    "check_file_ids_owned",
    "check_files_owned",
    "file_errors",
    "unowned_files",
]

_UNKNOWN_FILE = "找不到该文件，请重新上传"


async def check_files_owned(
    services: Services, citizen_id: UUID, refs: tuple[MaterialRef, ...]
) -> None:
    """400 with the field when a material names a file ``citizen_id`` did not upload."""
    errors = await unowned_files(services, citizen_id, refs)
    if errors:
        raise ValidationFailed("材料引用了不存在的文件", errors)


async def unowned_files(
    services: Services, citizen_id: UUID, refs: tuple[MaterialRef, ...]
) -> dict[str, str]:
    """Field errors for the materials that name a file ``citizen_id`` did not upload."""
    file_ids = [f for r in refs for f in r.files]
    if not file_ids:
        return {}
    owned = {
        r[0]
        for r in await services.pool.fetch(
            "SELECT id FROM files WHERE owner_id = $1 AND id = ANY($2::uuid[])",
            citizen_id,
            file_ids,
        )
    }
    return file_errors(refs, owned)


def file_errors(refs: tuple[MaterialRef, ...], owned: Collection[UUID]) -> dict[str, str]:
    """Field errors for the materials naming a file that is not among ``owned`` (the ids of
    the caller's uploads that the materials name)."""
    return {
        f"materials[{i}].{'fileId' if r.file_id is not None else 'fileIds'}": _UNKNOWN_FILE
        for i, r in enumerate(refs)
        if any(f not in owned for f in r.files)
    }


async def check_file_ids_owned(
    services: Services, owner_id: UUID, file_ids: tuple[UUID, ...], field: str = "fileIds"
) -> None:
    """400 naming each of ``file_ids`` that ``owner_id`` did not upload (a message's images)."""
    if not file_ids:
        return
    owned = {
        r[0]
        for r in await services.pool.fetch(
            "SELECT id FROM files WHERE owner_id = $1 AND id = ANY($2::uuid[])",
            owner_id,
            list(file_ids),
        )
    }
    errors = {f"{field}[{i}]": "unknown file" for i, f in enumerate(file_ids) if f not in owned}
    if errors:
        raise ValidationFailed("留言引用了不存在的文件", errors)


_ATTACH = (
    "UPDATE files SET attached_at = coalesce(attached_at, now())"
    " WHERE id = ANY($1::uuid[]) RETURNING id"
)
_CLEANED_UP = "文件在提交前已被清除，请重新上传"


async def attach_files(
    conn: asyncpg.Connection | PoolConnectionProxy, file_ids: Iterable[UUID | None]
) -> None:
    """Mark files as in use (in the transaction of the command that names them): they no
    longer count against their owner's quota and are never cleaned up."""
    ids = sorted({i for i in file_ids if i is not None})
    if not ids:
        return
    found = await conn.fetch(_ATTACH, ids)
    if len(found) != len(ids):  # an unused upload was cleaned up meanwhile: nothing is saved
        raise ValidationFailed(_CLEANED_UP, {"materials": "已过期"})


class FilesInUse(GroupRows):
    """``attach_files`` as rows of a save: the files of every command of a group commit are
    marked in one statement; a command whose file was cleaned up meanwhile fails alone (the
    group is written again command by command, see ``GroupRows``)."""

    def __init__(self, file_ids: Iterable[UUID | None]) -> None:
        self.ids = frozenset(i for i in file_ids if i is not None)

    @classmethod
    async def write_all(
        cls, conn: asyncpg.Connection | PoolConnectionProxy, rows: Sequence[FilesInUse]
    ) -> None:
        ids = sorted(frozenset[UUID]().union(*(r.ids for r in rows)))
        if not ids:
            return
        found = {r[0] for r in await conn.fetch(_ATTACH, ids)}
        if len(found) != len(ids):
            raise ValidationFailed(_CLEANED_UP, {"materials": "已过期"})
