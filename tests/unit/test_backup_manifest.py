"""What restore checks in a backup's manifest before it writes anything."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from backend.db.backup import BackupError, Manifest, MigrationEntry
from backend.db.migrate import load_migrations
from backend.db.restore import check_archive

CODE = load_migrations()
KEYS = {"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"}


def _manifest(**changes: object) -> Manifest:
    base = Manifest(
        created_at=datetime.now(UTC),
        onewindow_version="0.1.0",
        server_version="18.6",
        pg_dump_version="pg_dump (PostgreSQL) 18.6",
        database="onewindow",
        migrations=tuple(MigrationEntry(m.version, m.name, m.checksum) for m in CODE),
        events=10,
        last_notification_id=10,
        snapshots=0,
        data_keys={"aaaaaaaaaaaaaaaa": 3},
        files=0,
        file_bytes=0,
        dump_sha256="0" * 64,
        dump_bytes=1,
    )
    return msgspec.structs.replace(base, **changes)


def test_a_backup_of_this_code_or_of_an_older_one_is_accepted() -> None:
    check_archive(_manifest(), CODE, KEYS)
    older = _manifest(migrations=_manifest().migrations[:5])  # newer ones are applied later
    check_archive(older, CODE, KEYS)


def test_a_backup_with_a_migration_this_code_does_not_have_is_refused() -> None:
    newer = _manifest(migrations=(*_manifest().migrations, MigrationEntry(9999, "future", "x")))
    with pytest.raises(BackupError, match="9999_future"):
        check_archive(newer, CODE, KEYS)


def test_a_backup_whose_migration_was_changed_is_refused() -> None:
    first, *rest = _manifest().migrations
    edited = _manifest(migrations=(MigrationEntry(first.version, first.name, "edited"), *rest))
    with pytest.raises(BackupError, match=f"{first.version:04d}_{first.name}"):
        check_archive(edited, CODE, KEYS)


def test_personal_data_under_a_secret_key_not_configured_is_refused() -> None:
    with pytest.raises(BackupError, match=r"cccccccccccccccc.*not configured"):
        check_archive(_manifest(data_keys={"cccccccccccccccc": 1}), CODE, KEYS)
    # keys from before rows named theirs cannot be checked by id: restore reads them later
    check_archive(_manifest(data_keys={"": 2}), CODE, KEYS)
