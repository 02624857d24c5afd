"""Rotating the secret key against a real PostgreSQL: citizens' data keys are re-wrapped under the
new key in batches, a stopped run resumes, and afterwards the new key alone reads everyone."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from backend.eventstore import KeyRing, KeyUnavailable, Recorder, Repository, build_mapper
from backend.eventstore.key_rotation import (
    data_keys_by_secret_key,
    pending_rewraps,
    rewrap_data_keys,
)
from backend.secret_keys import SecretKeys, key_id
from domain.application import Application
from tests.integration.test_cli import onewindow
from tests.integration.test_personal_data import FORM, courier_application

OLD = "rotation-test-old-secret-key-0123456789"
NEW = "rotation-test-new-secret-key-0123456789"


def _store(pool: asyncpg.Pool, current: str, *accepted: str) -> Repository:
    """The event store of a process configured with these keys (its own, empty key cache)."""
    return Repository(pool, Recorder(), build_mapper(KeyRing(SecretKeys(current, accepted))))


async def _applications(pool: asyncpg.Pool, count: int, key: str) -> list[uuid.UUID]:
    """``count`` citizens' applications, their data keys wrapped under ``key``."""
    ids = []
    for _ in range(count):
        application = courier_application(uuid.uuid4())
        await _store(pool, key).save(application)
        ids.append(application.id)
    return ids


async def _readable_with(pool: asyncpg.Pool, ids: list[uuid.UUID], *keys: str) -> bool:
    store = _store(pool, keys[0], *keys[1:])
    for app_id in ids:
        application = await store.get(Application, app_id)
        assert application.form.value == FORM
    return True


async def test_after_rotation_the_new_key_alone_reads_every_citizen(pool: asyncpg.Pool) -> None:
    ids = await _applications(pool, 7, OLD)
    ring = KeyRing(SecretKeys(NEW, [OLD]))
    assert await pending_rewraps(pool, key_id(NEW)) == 7
    steps: list[int] = []

    assert await rewrap_data_keys(pool, ring, batch_size=3, progress=steps.append) == 7

    assert steps == [3, 3, 1]  # three transactions of at most three rows
    assert await data_keys_by_secret_key(pool) == {key_id(NEW): 7}
    assert await _readable_with(pool, ids, NEW)
    with pytest.raises(KeyUnavailable, match="neither ONEWINDOW_SECRET_KEY nor"):
        await _readable_with(pool, ids, OLD)  # the old key alone opens nothing now


async def test_a_stopped_rotation_resumes_with_only_the_rows_still_under_the_old_key(
    pool: asyncpg.Pool,
) -> None:
    ids = await _applications(pool, 6, OLD)
    ring = KeyRing(SecretKeys(NEW, [OLD]))

    def interrupt(_: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C right after the first batch committed

    with pytest.raises(KeyboardInterrupt):
        await rewrap_data_keys(pool, ring, batch_size=4, progress=interrupt)
    assert await data_keys_by_secret_key(pool) == {key_id(NEW): 4, key_id(OLD): 2}
    # half-way, processes holding both keys read everyone
    assert await _readable_with(pool, ids, NEW, OLD)

    assert await rewrap_data_keys(pool, ring, batch_size=4) == 2
    assert await _readable_with(pool, ids, NEW)


async def test_data_keys_wrapped_before_rows_named_their_key_are_read_and_then_named(
    pool: asyncpg.Pool,
) -> None:
    ids = await _applications(pool, 3, OLD)
    await pool.execute("UPDATE citizen_keys SET kek_id = NULL")  # as the migration left them
    assert await _readable_with(pool, ids, NEW, OLD)

    assert await rewrap_data_keys(pool, KeyRing(SecretKeys(NEW, [OLD]))) == 3
    assert await data_keys_by_secret_key(pool) == {key_id(NEW): 3}


async def test_an_erased_citizen_stays_erased_through_a_rotation(pool: asyncpg.Pool) -> None:
    kept, erased = await _applications(pool, 2, OLD)
    old = _store(pool, OLD)
    citizen = (await old.get(Application, erased)).citizen_id
    assert await old.keys.forget(pool, citizen, by="test")

    assert await rewrap_data_keys(pool, KeyRing(SecretKeys(NEW, [OLD]))) == 1
    new = _store(pool, NEW)
    assert (await new.get(Application, kept)).form.value == FORM
    assert (await new.get(Application, erased)).form.erased


async def test_a_rotation_without_the_old_key_stops_at_the_first_row_it_cannot_open(
    pool: asyncpg.Pool,
) -> None:
    await _applications(pool, 2, OLD)
    with pytest.raises(KeyUnavailable, match=key_id(OLD)):
        await rewrap_data_keys(pool, KeyRing(SecretKeys(NEW)))
    assert await data_keys_by_secret_key(pool) == {key_id(OLD): 2}  # nothing was touched


async def test_keys_commands_make_a_key_rotate_and_report_in_the_data_dir(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    (tmp_path / "secret_key").write_text(OLD)
    ids = await _applications(pool, 3, OLD)

    made = await onewindow(db_url, tmp_path, "keys", "new")
    assert made.returncode == 0, made.stderr
    new = (tmp_path / "secret_key").read_text()
    assert new != OLD
    assert (tmp_path / "accepted_secret_keys").read_text().split() == [OLD]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # for this user only

    before = await onewindow(db_url, tmp_path, "keys", "status")
    assert f"accepted: {key_id(OLD)} (3 data keys): still needed" in before.stdout

    rotated = await onewindow(db_url, tmp_path, "keys", "rotate", "--batch-size", "2")
    assert rotated.returncode == 0, rotated.stderr
    assert "3 data keys re-wrapped" in rotated.stdout
    assert "3/3" in rotated.stderr  # the progress bar

    after = await onewindow(db_url, tmp_path, "keys", "status")
    assert f"current secret key: {key_id(new)} (3 data keys)" in after.stdout
    assert f"accepted: {key_id(OLD)} (0 data keys): may be retired" in after.stdout
    assert await _readable_with(pool, ids, new)
