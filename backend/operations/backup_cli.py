"""``onewindow backup FILE`` and ``onewindow restore FILE [--force]`` (docs/operations.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.db.backup import Manifest
    from backend.services import Services
    from backend.settings import Settings

__all__ = ["add_backup_commands", "describe_manifest"]

WithServices = Callable[["Settings", Callable[["Services"], Awaitable[Any]]], Any]
_MB = 1024 * 1024


def add_backup_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], with_services: WithServices
) -> None:
    """Register ``backup`` and ``restore``; ``with_services`` runs the work inside a
    bootstrapped app (the CLI's own helper, passed in to keep the imports one-way)."""
    backup = commands.add_parser(
        "backup", help="write the database, the uploaded files and a manifest into one archive"
    )
    backup.add_argument("file")
    backup.set_defaults(run=_backup)
    restore = commands.add_parser(
        "restore", help="restore an archive into an empty database and data dir"
    )
    restore.add_argument("file")
    restore.add_argument(
        "--force", action="store_true", help="replace a database and files that are not empty"
    )
    restore.set_defaults(run=lambda args, settings: _restore(args, settings, with_services))


def describe_manifest(manifest: Manifest) -> str:
    """What an archive holds, in a line or two for a terminal."""
    text = (
        f"{manifest.events} events (last notification {manifest.last_notification_id}),"
        f" {len(manifest.migrations)} migrations, {manifest.files} files"
        f" ({manifest.file_bytes / _MB:.1f} MiB), database dump {manifest.dump_bytes / _MB:.1f}"
        f" MiB; PostgreSQL {manifest.server_version}, onewindow {manifest.onewindow_version},"
        f" made {manifest.created_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    if manifest.files_missing:
        text += f"\nWARNING: {len(manifest.files_missing)} files named by the database were absent"
    return text


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from backend.db import database_url
    from backend.db.backup import BackupError, write_backup
    from backend.db.tools import ProgramFailed

    url = database_url(settings)
    target = Path(args.file)
    try:
        manifest = asyncio.run(write_backup(url, settings.data_dir / "files", target))
    except (BackupError, ProgramFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{target}: {describe_manifest(manifest)}")
    print("The secret key is not in the archive: keep it apart (README, 'Keeping the secret key').")
    return 0


def _restore(args: argparse.Namespace, settings: Settings, with_services: WithServices) -> int:
    from backend.db import database_url
    from backend.db.backup import BackupError
    from backend.db.migrate import load_migrations
    from backend.db.restore import restore_backup
    from backend.db.tools import ProgramFailed
    from backend.operations.rebuild import rebuild_read_models

    url = database_url(settings)
    try:
        manifest = asyncio.run(
            restore_backup(
                url,
                settings.data_dir / "files",
                Path(args.file),
                migrations=load_migrations(),
                key_ids=set(settings.secret_keys.by_id),
                force=args.force,
            )
        )
    except (BackupError, ProgramFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"restored {describe_manifest(manifest)}")
    # newer migrations are applied as the app starts; then every read model from the log
    replayed: dict[str, int] = with_services(settings, rebuild_read_models)
    print(f"read models rebuilt: {', '.join(replayed)}")
    return 0
