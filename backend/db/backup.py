"""``onewindow backup FILE``: one archive holding the database, the uploaded files and a manifest.

The archive is a plain tar (the dump is compressed by ``pg_dump``, scans and PDFs do not
compress): ``manifest.json`` first, then ``database.dump`` (``pg_dump -Fc``), then
``files/ab/cd/<sha256>`` as the file store keeps them. The manifest's counts come from the very
snapshot ``pg_dump`` reads (``pg_export_snapshot``), so they describe the dump exactly, even
while the API goes on writing. The secret key is never in it (see ``docs/operations.md``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import tarfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from backend.db.tools import pg_program, run_program

__all__ = [
    "DUMP",
    "FORMAT",
    "MANIFEST",
    "BackupError",
    "Manifest",
    "MigrationEntry",
    "file_sha256",
    "write_backup",
]

MANIFEST = "manifest.json"
DUMP = "database.dump"
FORMAT = 1


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why and what to do."""


class MigrationEntry(msgspec.Struct, frozen=True):
    """One applied migration, as ``schema_migrations`` has it."""

    version: int
    name: str
    checksum: str


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """What an archive holds, and what restore checks before and after."""

    format: int = FORMAT
    created_at: datetime
    onewindow_version: str
    server_version: str
    pg_dump_version: str
    database: str
    migrations: tuple[MigrationEntry, ...]
    events: int
    last_notification_id: int
    snapshots: int
    # live citizens' data keys per secret key id ("" : wrapped before rows named their key)
    data_keys: dict[str, int]
    files: int
    file_bytes: int
    files_missing: tuple[str, ...] = ()  # named by the database, absent from the file store
    dump_sha256: str
    dump_bytes: int


def _version() -> str:
    try:
        return metadata.version("onewindow")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


async def _counts(conn: asyncpg.Connection) -> tuple[dict[str, Any], set[str]]:
    """What the manifest says of the database, read in the dump's snapshot, and the files
    the database names."""
    migrations = await conn.fetch(
        "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
    )
    keys = await conn.fetch(
        "SELECT coalesce(kek_id, '') AS kek, count(*) AS keys FROM citizen_keys"
        " WHERE wrapped_key IS NOT NULL GROUP BY 1"
    )
    fields = {
        "server_version": await conn.fetchval("SHOW server_version"),
        "database": await conn.fetchval("SELECT current_database()"),
        "migrations": tuple(MigrationEntry(r[0], r[1], r[2]) for r in migrations),
        "events": await conn.fetchval("SELECT count(*) FROM onewindow_events"),
        "last_notification_id": await conn.fetchval(
            "SELECT coalesce(max(notification_id), 0) FROM onewindow_events"
        ),
        "snapshots": await conn.fetchval("SELECT count(*) FROM onewindow_snapshots"),
        "data_keys": {r["kek"]: r["keys"] for r in keys},
    }
    return fields, {r[0] for r in await conn.fetch("SELECT DISTINCT sha256 FROM files")}


def _stored_files(root: Path) -> list[Path]:
    """The file store's content files (``ab/cd/<sha256>``), without its temporary files."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("??/??/*") if p.is_file() and not p.name.startswith("."))


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_tar(target: Path, manifest: Manifest, dump: Path, files: list[Path], root: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w") as tar:
        data = msgspec.json.format(msgspec.json.encode(manifest), indent=2)
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(data), int(manifest.created_at.timestamp()), 0o600
        tar.addfile(info, io.BytesIO(data))
        tar.add(dump, arcname=DUMP)
        for path in files:
            tar.add(path, arcname=f"files/{path.relative_to(root).as_posix()}")
    partial.replace(target)  # a half-written archive never takes the backup's name


async def write_backup(url: str, files_root: Path, target: Path) -> Manifest:
    """Dump the database at ``url`` and copy the file store at ``files_root`` into ``target``."""
    target = await asyncio.to_thread(target.resolve)
    await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
    dump = target.with_name(f".{target.name}.dump")
    pg_dump = pg_program("pg_dump")
    try:
        counts, referenced = await _dump(url, pg_dump, dump)
        files = await asyncio.to_thread(_stored_files, files_root)
        present = {p.name for p in files}
        manifest = Manifest(
            created_at=datetime.now(UTC),
            onewindow_version=_version(),
            pg_dump_version=(await asyncio.to_thread(run_program, pg_dump, "--version")).strip(),
            files=len(files),
            file_bytes=sum(p.stat().st_size for p in files),
            files_missing=tuple(sorted(referenced - present)),
            dump_sha256=await asyncio.to_thread(file_sha256, dump),
            dump_bytes=dump.stat().st_size,
            **counts,
        )
        await asyncio.to_thread(_write_tar, target, manifest, dump, files, files_root)
    finally:
        with contextlib.suppress(FileNotFoundError):
            dump.unlink()
    return manifest


async def _dump(url: str, pg_dump: str, dump: Path) -> tuple[dict[str, Any], set[str]]:
    """``pg_dump`` into ``dump``, and the counts of the snapshot it read."""
    conn = await asyncpg.connect(url)
    try:
        # the dump reads the snapshot this transaction exports: the counts are the dump's
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            counts = await _counts(conn)
            await asyncio.to_thread(
                run_program,
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--no-unlogged-table-data",  # rate-limit counters and login back-offs
                f"--snapshot={snapshot}",
                f"--file={dump}",
                f"--dbname={url}",
            )
    finally:
        await conn.close()
    return counts
