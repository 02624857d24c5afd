"""Personal data in the event store against a real PostgreSQL: sealed under per-citizen keys that
are wrapped under the secret key, erased by deleting the key (events and snapshots alike), and
read back the same by every process that has the secret key."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import msgspec
import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    MapperDeserialisationError,
    StoredEvent,
    UUIDAsHex,
)

from backend.eventstore import KeyRing, KeyUnavailable, Recorder, Repository, build_mapper
from domain.application import Address, Application, Delivery, MaterialRef
from tests.integration.test_cli import onewindow
from tests.integration.test_event_store import catalogue_item

SECRET = "personal-data-test-secret-key"
CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=CST)
FORM = {"shopName": "老王面馆", "idNumber": "110101199003078515", "phone": "13800138000"}
ADDRESS = Address(
    name="王小明",
    phone="13800138000",
    province="上海市",
    city="上海市",
    district="长宁区",
    detail="长宁路88号",
)


class Ticks:
    """A monotonic clock the test moves (the key cache's time-to-live)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def store(pool: asyncpg.Pool, keys: KeyRing | None = None) -> Repository:
    """The event store of one process: its own key ring (cache) unless given one."""
    return Repository(pool, Recorder(), build_mapper(keys or KeyRing(SECRET)))


def courier_application(citizen_id: uuid.UUID) -> Application:
    definition = catalogue_item("XK-00101-000")
    return Application.submit(
        id=uuid.uuid4(),
        number=f"20260302-XK00101-{uuid.uuid4().int % 1_000_000:06d}",
        citizen_id=citizen_id,
        service=definition,
        service_version=1,
        situation_id="new",
        form=dict(FORM),
        materials=(
            MaterialRef(material_id="application-form", file_id=uuid.uuid4()),
            MaterialRef(material_id="business-licence", certificate_id="91330100MA0000000X"),
            MaterialRef(material_id="id-card", file_id=uuid.uuid4()),
            MaterialRef(material_id="floor-plan", file_id=uuid.uuid4()),
        ),
        delivery=Delivery(method="courier", address=ADDRESS),
        at=T0,
    )


async def test_a_citizens_key_opens_only_with_the_secret_key_it_was_wrapped_with(
    pool: asyncpg.Pool,
) -> None:
    citizen_id = uuid.uuid4()
    application = courier_application(citizen_id)
    await store(pool).save(application)
    wrapped = await pool.fetchval(
        "SELECT wrapped_key FROM citizen_keys WHERE citizen_id = $1", citizen_id
    )
    assert len(wrapped) == 12 + 32 + 16  # nonce, the 256-bit key sealed, the GCM tag

    loaded = await store(pool).get(Application, application.id)  # another process, same secret
    assert loaded.form.value == FORM
    assert loaded.delivery.address == ADDRESS
    for wrong in (KeyRing("another-secret-key"), KeyRing(None)):
        # a wrong key is an error to fix, never "erased": nothing may look deleted by mistake
        with pytest.raises(KeyUnavailable):
            await store(pool, wrong).get(Application, application.id)


async def test_an_envelope_copied_to_another_citizen_does_not_open(pool: asyncpg.Pool) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    ours = store(pool)
    victim, other = courier_application(first), courier_application(second)
    await ours.save(victim, other)
    (stored,) = await ours.recorder.select_events(pool, victim.id)
    assert first.hex in stored.state.decode()  # the owner is in clear: it names the key
    forged = StoredEvent(
        originator_id=other.id,
        originator_version=1,
        topic=stored.topic,
        state=stored.state.replace(first.hex.encode(), second.hex.encode()),
    )
    with pytest.raises(MapperDeserialisationError):  # the associated data names the owner
        await ours.decode([forged])


async def test_a_deleted_key_erases_events_and_snapshots_and_other_caches_follow_within_the_ttl(
    pool: asyncpg.Pool,
) -> None:
    citizen_id = uuid.uuid4()
    ticks = Ticks()
    ours = store(pool)
    theirs = store(pool, KeyRing(SECRET, ttl_seconds=60, clock=ticks))
    application = courier_application(citizen_id)
    await ours.save(application)
    await ours.take_snapshot(application)
    assert (await theirs.get(Application, application.id)).form.value == FORM  # now cached

    assert await ours.keys.forget(pool, citizen_id, by="test")
    assert not await ours.keys.forget(pool, citizen_id, by="test")  # nothing left to delete
    erased = await ours.get(Application, application.id)  # from the snapshot
    assert erased.form.erased
    assert erased.delivery == Delivery(method="courier", address=None)
    assert erased.status == "submitted"
    assert erased.number == application.number
    (submitted,) = await ours.events(application.id)
    assert submitted.form.erased
    assert submitted.delivery["address"].erased
    await pool.execute("DELETE FROM onewindow_snapshots")
    assert (await store(pool).get(Application, application.id)).form.erased  # from the events

    # another process keeps its cached key until the time-to-live runs out
    assert (await theirs.get(Application, application.id)).form.value == FORM
    ticks.now += 61
    assert (await theirs.get(Application, application.id)).form.erased

    # the citizen comes back: new data under a new key, the old stays erased
    again = courier_application(citizen_id)
    await ours.save(again)
    assert (
        await pool.fetchval("SELECT version FROM citizen_keys WHERE citizen_id = $1", citizen_id)
        == 2
    )
    fresh = store(pool)
    assert (await fresh.get(Application, again.id)).form.value == FORM
    assert (await fresh.get(Application, application.id)).form.erased


async def test_processes_creating_one_citizens_key_at_once_agree_on_it(pool: asyncpg.Pool) -> None:
    citizen_id = uuid.uuid4()
    applications = [courier_application(citizen_id) for _ in range(4)]
    await asyncio.gather(*(store(pool).save(a) for a in applications))  # four key rings
    assert await pool.fetchval("SELECT count(*) FROM citizen_keys") == 1
    fresh = store(pool)
    for application in applications:
        assert (await fresh.get(Application, application.id)).delivery.address == ADDRESS


async def test_applications_stored_before_personal_data_was_sealed_still_load(
    pool: asyncpg.Pool,
) -> None:
    citizen_id = uuid.uuid4()
    application = courier_application(citizen_id)
    (event,) = application.collect_events()
    # the v1 shape: form and address in plain JSON, no class version
    state = {
        k: v for k, v in vars(event).items() if k not in ("originator_id", "originator_version")
    }
    state["form"] = dict(FORM)
    state["delivery"] = {"method": "courier", "address": msgspec.to_builtins(ADDRESS)}
    plain = JSONTranscoder()
    plain.register(UUIDAsHex())
    plain.register(DatetimeAsISO())
    legacy = StoredEvent(
        originator_id=application.id,
        originator_version=1,
        topic=f"{Application.Submitted.__module__}:{Application.Submitted.__qualname__}",
        state=plain.encode(state),
    )
    async with pool.acquire() as conn, conn.transaction():
        await Recorder().insert(conn, [legacy])

    loaded = await store(pool).get(Application, application.id)
    assert loaded.form.value == FORM
    assert loaded.form.owner == citizen_id
    assert loaded.delivery.address == ADDRESS


async def test_onewindow_citizen_forget_deletes_the_key_from_the_command_line(
    pool: asyncpg.Pool, db_url: str, tmp_path: Path
) -> None:
    citizen_id = uuid.uuid4()
    await store(pool).save(courier_application(citizen_id))

    run = await onewindow(db_url, tmp_path, "citizen", "forget", str(citizen_id))
    assert run.returncode == 0, run.stderr
    assert "data key deleted" in run.stdout
    row = await pool.fetchrow(
        "SELECT wrapped_key, erased_by FROM citizen_keys WHERE citizen_id = $1", citizen_id
    )
    assert row["wrapped_key"] is None
    assert row["erased_by"] == "cli"
    bad = await onewindow(db_url, tmp_path, "citizen", "forget", "not-a-uuid")
    assert bad.returncode == 2


async def test_many_first_saves_of_new_citizens_never_wait_for_ever_on_a_small_pool(
    db_url: str,
) -> None:
    """Found by the benchmark: each first save held a pooled connection while creating the
    citizen's key on a second one; with the pool full, every save waited for ever."""
    from backend.db import connect_pool

    small = await connect_pool(db_url, min_size=1, max_size=3)
    try:
        repository = store(small)
        applications = [courier_application(uuid.uuid4()) for _ in range(20)]
        async with asyncio.timeout(30):
            saved = await asyncio.gather(*(repository.save(a) for a in applications))
        assert len({s.position for s in saved}) == 20
    finally:
        await small.close()
