"""``onewindow restore FILE``: an archive of ``onewindow backup`` back into an empty database and
file store, checked against its manifest before and after.

Before anything is written: the archive's migrations must be this code's first ones (same
names, same checksums; newer ones are applied afterwards), and every secret key that wraps
citizens' data keys in it must be configured. The target must be empty unless ``force``. The
dump is restored in one transaction (``pg_restore --single-transaction``): a failure leaves the
database as empty as it was. Each file is checked against the SHA-256 it is named by. The read
models are rebuilt afterwards by the caller (they need the whole application wired).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import shutil
import tarfile
from pathlib import Path
from typing import IO

import asyncpg
import msgspec

from backend.db.backup import DUMP, FORMAT, MANIFEST, BackupError, Manifest, file_sha256
from backend.db.migrate import Migration
from backend.db.tools import pg_program, run_program

__all__ = ["check_archive", "database_is_empty", "read_manifest", "restore_backup"]

_FILE = re.compile(r"files/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")


def read_manifest(archive: Path) -> Manifest:
    """The manifest of an archive (its first member)."""
    try:
        with tarfile.open(archive, "r:") as tar:
            first = tar.next()
            source = tar.extractfile(first) if first is not None else None
            if first is None or first.name != MANIFEST or source is None:
                msg = f"{archive} is not a onewindow backup: it does not start with {MANIFEST}"
                raise BackupError(msg)
            manifest = msgspec.json.decode(source.read(), type=Manifest)
    except (tarfile.TarError, msgspec.DecodeError, OSError) as exc:
        msg = f"{archive} cannot be read as a onewindow backup: {exc}"
        raise BackupError(msg) from None
    if manifest.format != FORMAT:
        msg = f"backup format {manifest.format} is not one this onewindow reads ({FORMAT})"
        raise BackupError(msg)
    return manifest


def check_archive(manifest: Manifest, migrations: list[Migration], key_ids: set[str]) -> None:
    """Refuse an archive this code cannot take: migrations it does not know (or knows
    otherwise), or personal data wrapped under a secret key that is not configured."""
    code = [(m.version, m.name, m.checksum) for m in migrations]
    theirs = [(m.version, m.name, m.checksum) for m in manifest.migrations]
    for number, (version, name, checksum) in enumerate(theirs):
        if number >= len(code) or code[number] != (version, name, checksum):
            msg = (
                f"the backup's migration {version:04d}_{name} is not this code's (unknown here,"
                " or changed); restore it with the onewindow version that made it"
                f" ({manifest.onewindow_version})"
            )
            raise BackupError(msg)
    unknown = sorted(kid for kid in manifest.data_keys if kid and kid not in key_ids)
    if unknown:
        msg = (
            f"the backup's personal data is wrapped under secret key {', '.join(unknown)}, which"
            " is not configured: set it as ONEWINDOW_SECRET_KEY or in"
            " ONEWINDOW_ACCEPTED_SECRET_KEYS (the key is never in the backup)"
        )
        raise BackupError(msg)


async def database_is_empty(url: str) -> bool:
    """Whether the database has nothing of its own in the ``public`` schema."""
    conn = await asyncpg.connect(url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public'"
        )
    finally:
        await conn.close()
    return count == 0


def _has_files(root: Path) -> bool:
    return root.is_dir() and any(p.is_file() for p in root.rglob("*"))


def _copy(source: IO[bytes], target: Path) -> str:
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _unpack(archive: Path, dump: Path, files: Path) -> int:
    """The dump to ``dump``, the files under ``files`` (each checked); how many files."""
    count = 0
    with tarfile.open(archive, "r:") as tar:
        for member in tar:
            source = tar.extractfile(member) if member.isfile() else None
            if member.name == MANIFEST:
                continue
            if source is None:
                if member.isdir():
                    continue
                msg = f"unexpected entry in the backup: {member.name}"
                raise BackupError(msg)
            if member.name == DUMP:
                _copy(source, dump)
                continue
            match = _FILE.fullmatch(member.name)
            if match is None or not match.group(3).startswith(match.group(1) + match.group(2)):
                msg = f"unexpected entry in the backup: {member.name}"
                raise BackupError(msg)
            target = files.joinpath(*match.groups())
            target.parent.mkdir(parents=True, exist_ok=True)
            if _copy(source, target) != match.group(3):
                msg = f"{member.name} is damaged: its content does not match its SHA-256"
                raise BackupError(msg)
            count += 1
    return count


async def _wipe(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


async def _check_restored(url: str, manifest: Manifest) -> None:
    conn = await asyncpg.connect(url)
    try:
        events = await conn.fetchval("SELECT count(*) FROM onewindow_events")
        last = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM onewindow_events")
    finally:
        await conn.close()
    if (events, last) != (manifest.events, manifest.last_notification_id):
        msg = (
            f"the restored database has {events} events up to {last}; the manifest says"
            f" {manifest.events} up to {manifest.last_notification_id}"
        )
        raise BackupError(msg)


async def restore_backup(
    url: str,
    files_root: Path,
    archive: Path,
    *,
    migrations: list[Migration],
    key_ids: set[str],
    force: bool = False,
) -> Manifest:
    """Restore ``archive`` into the database at ``url`` and the file store at ``files_root``."""
    manifest = await asyncio.to_thread(read_manifest, archive)
    check_archive(manifest, migrations, key_ids)
    if not force:
        if not await database_is_empty(url):
            msg = "the database is not empty: restore into an empty one, or pass --force"
            raise BackupError(msg)
        if await asyncio.to_thread(_has_files, files_root):
            msg = f"{files_root} holds files: restore into an empty data dir, or pass --force"
            raise BackupError(msg)
    files_root = await asyncio.to_thread(files_root.resolve)
    await asyncio.to_thread(files_root.parent.mkdir, parents=True, exist_ok=True)
    staged = files_root.with_name(files_root.name + ".restoring")
    dump = files_root.with_name(".restoring.dump")
    await asyncio.to_thread(shutil.rmtree, staged, ignore_errors=True)
    staged.mkdir()
    try:
        count = await asyncio.to_thread(_unpack, archive, dump, staged)
        if count != manifest.files:
            msg = f"the backup holds {count} files; its manifest says {manifest.files}"
            raise BackupError(msg)
        if await asyncio.to_thread(file_sha256, dump) != manifest.dump_sha256:
            raise BackupError("the database dump is damaged: its SHA-256 is not the manifest's")
        if force:
            await _wipe(url)
        await asyncio.to_thread(
            run_program,
            pg_program("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--dbname={url}",
            str(dump),
        )
        old = files_root.with_name(files_root.name + ".replaced")
        if files_root.exists():
            files_root.replace(old)
        staged.replace(files_root)
        await asyncio.to_thread(shutil.rmtree, old, ignore_errors=True)
    finally:
        with contextlib.suppress(FileNotFoundError):
            dump.unlink()
        await asyncio.to_thread(shutil.rmtree, staged, ignore_errors=True)
    await _check_restored(url, manifest)
    return manifest
