"""The projection runner against a real PostgreSQL: every event is applied exactly once, a failed
batch leaves nothing behind, concurrent workers never double-apply, a rebuild reproduces the
incremental read model, and the live worker wakes on NOTIFY."""

from __future__ import annotations

import asyncio
import gc
import itertools
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest

from backend.db import _init_connection  # (the pool's json codecs, as the app's pools have)
from backend.demo_data import demo_catalog
from backend.eventstore import KeyRing, Recorder, Repository, build_mapper, decoder
from domain.actors import Actor
from domain.application import Application, Delivery, MaterialRef
from domain.calendar import WorkingCalendar
from domain.catalog import ServiceDefinition, ServiceItem, parse_definition
from domain.errors import ValidationFailed
from projections.catalog import CatalogProjection
from projections.progress import ProgressProjection
from projections.progress_rows import _literal
from projections.runner import ProjectionRunner

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    from backend.eventstore.mapper import Event
    from projections.base import Projection

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=CST)  # a Monday
FOOD = "XK-00101-000"  # stages AMR -> (health || fire) -> AMR, no fee
MARRIAGE = "QR-00701-000"  # one stage, 市民政局
CALENDAR = WorkingCalendar()
_numbers = itertools.count(1)


def staff(role: str, department: str) -> Actor:
    return Actor(id=str(uuid.uuid4()), role=role, department=department)  # type: ignore[arg-type]


def clerk_of(department: str) -> Actor:
    return staff("clerk", department)


def reviewer_of(department: str) -> Actor:
    return staff("reviewer", department)


class Ledger:
    """A read model that writes down every position it is given, to count applications."""

    name: str = "ledger"
    tables: tuple[str, ...] = ("test_ledger",)

    async def process(
        self, conn: asyncpg.Connection | PoolConnectionProxy, event: Event, position: int
    ) -> None:
        await conn.execute(
            "INSERT INTO test_ledger (position, type) VALUES ($1, $2)",
            position,
            type(event).__qualname__,
        )


class Boom(Exception):
    pass


class FailingAt:
    """Wraps a projection; raises instead of applying the event at ``position``."""

    def __init__(self, inner: Projection, position: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.tables = inner.tables
        self.position = position
        self.applied: list[int] = []

    async def process(
        self, conn: asyncpg.Connection | PoolConnectionProxy, event: Event, position: int
    ) -> None:
        if position == self.position:
            raise Boom(f"failing on purpose at {position}")
        await self.inner.process(conn, event, position)
        self.applied.append(position)


class World:
    """The event store and the catalogue, written through the domain and the repository."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.recorder = Recorder()
        self.mapper = build_mapper(KeyRing("projection-test-secret-key"))
        self.repository = Repository(pool, self.recorder, self.mapper)
        self.catalogue: dict[str, ServiceDefinition] = {}

    def runner(self, *projections: Projection, batch_size: int = 500) -> ProjectionRunner:
        return ProjectionRunner(
            self.pool,
            self.recorder,
            decoder(self.mapper),
            list(projections) or [ProgressProjection(), CatalogProjection()],
            batch_size=batch_size,
        )

    async def head(self) -> int:
        async with self.pool.acquire() as conn:
            return await self.recorder.max_notification_id(conn)

    async def publish_catalogue(self) -> None:
        for entry in demo_catalog():
            definition = parse_definition(entry)
            await self.repository.save(ServiceItem.publish(definition, at=T0))
            self.catalogue[definition.code] = definition

    def draft(self, code: str = FOOD, at: datetime = T0) -> Application:
        service = self.catalogue[code]
        situation = service.situations[0]
        materials = tuple(
            MaterialRef(material_id=m.id, file_id=uuid.uuid4())
            for m in situation.materials
            if m.required and not m.deferrable
        )
        return Application.submit(
            id=uuid.uuid4(),
            number=f"20260302-{code.replace('-', '')[:7]}-{next(_numbers):06d}",
            citizen_id=uuid.uuid4(),
            service=service,
            service_version=1,
            situation_id=situation.id,
            form={"shopName": "老王面馆"},
            materials=materials,
            delivery=Delivery(method="pickup"),
            at=at,
        )

    async def submit(self, code: str = FOOD) -> Application:
        application = self.draft(code)
        await self.repository.save(application)
        return application

    async def accept(self, application: Application) -> None:
        application.accept(
            actor=clerk_of(application.service.department),
            calendar=CALENDAR,
            at=T0 + timedelta(hours=1),
        )
        await self.repository.save(application)

    async def approve_stage(self, application: Application) -> None:
        """Every department of the current stage approves, each saved on its own."""
        for department in application.pending_departments:
            application.review(
                actor=reviewer_of(department),
                decision="approve",
                opinion="同意",
                at=T0 + timedelta(hours=2),
            )
            await self.repository.save(application)

    async def write_history(self) -> dict[str, Application]:
        """Applications in several states, each step its own transaction."""
        submitted = await self.submit()
        accepted = await self.submit()
        await self.accept(accepted)
        in_review = await self.submit()
        await self.accept(in_review)
        await self.approve_stage(in_review)
        approved = await self.submit(MARRIAGE)
        await self.accept(approved)
        await self.approve_stage(approved)
        issued = await self.submit(MARRIAGE)
        await self.accept(issued)
        await self.approve_stage(issued)
        issued.issue_result(
            actor=clerk_of(issued.service.department),
            document_no="MZ-2026-0001",
            at=T0 + timedelta(hours=3),
        )
        await self.repository.save(issued)
        denied = await self.submit()
        await self.accept(denied)
        denied.review(
            actor=reviewer_of(denied.service.department),
            decision="deny",
            opinion="场所不符合要求",
            at=T0 + timedelta(hours=2),
        )
        await self.repository.save(denied)
        withdrawn = await self.submit()
        withdrawn.withdraw(
            actor=Actor(id=str(withdrawn.citizen_id), role="citizen"),
            reason="不办了",
            at=T0 + timedelta(minutes=5),
        )
        await self.repository.save(withdrawn)
        return {
            "submitted": submitted,
            "accepted": accepted,
            "in_review": in_review,
            "approved": approved,
            "issued": issued,
            "denied": denied,
            "withdrawn": withdrawn,
        }


@pytest.fixture
async def world(pool: asyncpg.Pool) -> World:
    await pool.execute("CREATE TABLE test_ledger (position bigint NOT NULL, type text NOT NULL)")
    return World(pool)


async def rows(pool: asyncpg.Pool, table: str) -> list[dict[str, Any]]:
    key = "code" if table == "catalog_view" else "id"
    return [dict(r) for r in await pool.fetch(f"SELECT * FROM {table} ORDER BY {key}")]


async def ledger_counts(pool: asyncpg.Pool) -> Counter[int]:
    counted = await pool.fetch("SELECT position, count(*) FROM test_ledger GROUP BY 1")
    return Counter({r[0]: r[1] for r in counted})


async def timeline_lengths(pool: asyncpg.Pool) -> dict[uuid.UUID, int]:
    lengths = await pool.fetch(
        "SELECT id, json_array_length(detail->'timeline') FROM application_view"
    )
    return {r[0]: r[1] for r in lengths}


async def test_catch_up_applies_each_event_once_and_tracks_the_head(world: World) -> None:
    await world.publish_catalogue()
    apps = await world.write_history()
    head = await world.head()
    progress, catalog, ledger = ProgressProjection(), CatalogProjection(), Ledger()
    runner = world.runner(progress, catalog, ledger, batch_size=7)  # batches cross steps

    for projection in (progress, catalog, ledger):
        assert await runner.catch_up(projection) == head
        assert await runner.position(projection.name) == head
        assert gc.isenabled()  # paused across the batches of a backlog, given back at the end

    assert await ledger_counts(world.pool) == Counter(dict.fromkeys(range(1, head + 1), 1))
    assert await world.pool.fetchval("SELECT count(*) FROM catalog_view") == len(world.catalogue)
    views = {r["id"]: r for r in await rows(world.pool, "application_view")}
    assert set(views) == {a.id for a in apps.values()}
    for application in apps.values():
        view = views[application.id]
        assert view["version"] == application.version
        assert view["status"] == application.status
    lengths = await timeline_lengths(world.pool)
    assert lengths[apps["submitted"].id] == 1  # 申请已提交
    assert lengths[apps["accepted"].id] == 2  # + 已受理

    # at the head, another catch-up reads nothing and changes nothing
    before = await rows(world.pool, "application_view")
    assert await runner.catch_up(progress) == 0
    assert await rows(world.pool, "application_view") == before


async def test_a_batch_that_fails_midway_leaves_neither_rows_nor_tracking_moved(
    world: World,
) -> None:
    await world.publish_catalogue()
    first = await world.submit()
    second = await world.submit()
    healthy = world.runner(ProgressProjection(), Ledger())
    for projection in healthy.projections:
        await healthy.catch_up(projection)
    settled = await world.head()
    before = await rows(world.pool, "application_view")
    ledger_before = await ledger_counts(world.pool)

    await world.accept(first)  # settled + 1
    await world.accept(second)  # settled + 2: the batch fails here
    third = await world.submit()  # settled + 3
    head = await world.head()
    assert head == settled + 3
    failing = [FailingAt(ProgressProjection(), settled + 2), FailingAt(Ledger(), settled + 2)]
    broken = world.runner(*failing)

    for projection in failing:
        with pytest.raises(Boom):
            await broken.catch_up(projection)
        assert projection.applied == [settled + 1]  # it did get that far inside the batch
        assert await broken.position(projection.name) == settled
    assert await rows(world.pool, "application_view") == before
    assert await ledger_counts(world.pool) == ledger_before

    for projection in healthy.projections:
        assert await healthy.catch_up(projection) == 3
        assert await healthy.position(projection.name) == head
    assert await ledger_counts(world.pool) == Counter(dict.fromkeys(range(1, head + 1), 1))
    views = {r["id"]: r for r in await rows(world.pool, "application_view")}
    assert views[first.id]["status"] == views[second.id]["status"] == "accepted"
    assert views[third.id]["status"] == "submitted"
    lengths = await timeline_lengths(world.pool)
    assert (lengths[first.id], lengths[second.id], lengths[third.id]) == (2, 2, 1)


async def test_two_runners_on_one_projection_apply_each_event_once(world: World) -> None:
    await world.publish_catalogue()
    for _ in range(6):
        await world.write_history()
    head = await world.head()
    one, two = world.runner(batch_size=3), world.runner(batch_size=3)
    progress = (ProgressProjection(), ProgressProjection())
    ledger = (Ledger(), Ledger())

    totals = await asyncio.gather(
        one.catch_up(progress[0]),
        two.catch_up(progress[1]),
        one.catch_up(ledger[0]),
        two.catch_up(ledger[1]),
    )

    assert totals[0] + totals[1] == head
    assert totals[2] + totals[3] == head
    assert await ledger_counts(world.pool) == Counter(dict.fromkeys(range(1, head + 1), 1))
    assert await one.position("progress") == head
    concurrent = await rows(world.pool, "application_view")

    alone = world.runner()
    assert await alone.rebuild(alone.projection("progress")) == head
    assert await rows(world.pool, "application_view") == concurrent


async def test_a_rebuild_from_zero_gives_the_rows_of_the_incremental_runs(world: World) -> None:
    runner = world.runner(batch_size=4)

    async def keep_up() -> None:
        for projection in runner.projections:
            await runner.catch_up(projection)

    await world.publish_catalogue()
    await keep_up()
    for _ in range(2):
        apps = await world.write_history()
        await keep_up()
        await world.accept(apps["submitted"])
        await keep_up()
        await world.approve_stage(apps["in_review"])  # health and fire in parallel
        await keep_up()
    head = await world.head()
    incremental = {t: await rows(world.pool, t) for t in ("application_view", "catalog_view")}
    assert len(incremental["application_view"]) == 14

    for projection in runner.projections:
        assert await runner.rebuild(projection) == head
        assert await runner.position(projection.name) == head

    rebuilt = {t: await rows(world.pool, t) for t in ("application_view", "catalog_view")}
    assert rebuilt == incremental

    # the whole log in one batch, each row its own statement, each sent while the next is moved
    one_by_one = ProgressProjection(rows_per_statement=1)
    assert await world.runner(one_by_one, batch_size=1_000).rebuild(one_by_one) == head
    assert await rows(world.pool, "application_view") == incremental["application_view"]


async def reach(runner: ProjectionRunner, name: str, position: int, *, within: float) -> None:
    """Wait until the projection's tracking position is at ``position``; TimeoutError if late."""
    async with asyncio.timeout(within):
        for _ in itertools.count():
            if await runner.position(name) >= position:
                return
            await asyncio.sleep(0.01)


async def test_the_live_worker_wakes_on_notify_and_stops_when_asked(world: World) -> None:
    await world.publish_catalogue()
    # a poll this long means only NOTIFY can bring the new event in within the wait below
    runner = ProjectionRunner(
        world.pool,
        world.recorder,
        decoder(world.mapper),
        [ProgressProjection(), CatalogProjection()],
        idle_poll_seconds=60,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await reach(runner, "catalog", await world.head(), within=5)

        application = world.draft()
        saved = await world.repository.save(application)
        await reach(runner, "progress", saved.position, within=2)
        status = await world.pool.fetchval(
            "SELECT status FROM application_view WHERE id = $1", application.id
        )
        assert status == "submitted"

        stop.set()
        runner.wake()  # what bootstrap does on shutdown
        async with asyncio.timeout(2):
            await task
    finally:
        if not task.done():
            task.cancel()
    assert task.exception() is None


async def test_a_denial_opinion_with_a_nul_character_does_not_wedge_the_progress_read_model(
    world: World,
) -> None:
    await world.publish_catalogue()
    application = await world.submit()
    await world.accept(application)
    try:
        application.review(
            actor=reviewer_of(application.service.department),
            decision="deny",
            opinion="场所不符合要求\x00",
            at=T0 + timedelta(hours=2),
        )
    except ValidationFailed:
        return  # refused at the door: fine too
    await world.repository.save(application)
    later = await world.submit()
    runner = world.runner()

    await runner.catch_up(runner.projection("progress"))

    statuses = {
        r["id"]: r["status"]
        for r in await world.pool.fetch("SELECT id, status FROM application_view")
    }
    assert statuses == {application.id: "denied", later.id: "submitted"}


async def test_a_worker_that_finds_the_database_starting_up_waits_and_goes_on(
    world: World, db_url: str
) -> None:
    """While PostgreSQL restarts, connecting is refused for a moment with 57P03 "the database
    system is starting up": the runner waits and tries again, and goes on leading. (It used to
    end there, leaving its worker alive but following nothing: no takeover when the leader
    then died.)"""
    await world.publish_catalogue()
    refusals = 3

    async def connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
        nonlocal refusals
        if refusals > 0:
            refusals -= 1
            raise asyncpg.CannotConnectNowError("the database system is starting up")
        return await asyncpg.connect(*args, **kwargs)

    starting = await asyncpg.create_pool(
        db_url, min_size=0, max_size=4, connect=connect, init=_init_connection
    )
    runner = ProjectionRunner(
        starting,
        world.recorder,
        decoder(world.mapper),
        [ProgressProjection(), CatalogProjection()],
        idle_poll_seconds=0.05,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        watcher = world.runner()  # reads the positions through a pool of its own
        await reach(watcher, "catalog", await world.head(), within=10)
        assert refusals == 0  # it did meet the refusals
        application = world.draft()
        saved = await world.repository.save(application)
        await reach(watcher, "progress", saved.position, within=5)
        assert runner.leading == {"progress", "catalog"}
        stop.set()
        runner.wake()
        async with asyncio.timeout(5):
            await task
    finally:
        if not task.done():
            task.cancel()
        await starting.close()
    assert task.exception() is None


async def test_the_progress_rows_text_arrays_read_back_element_for_element(
    pool: asyncpg.Pool,
) -> None:
    # department names and warnings reach the row as array literals (progress_rows)
    names = ["市市场监督管理局", 'a"b', "c\\d", "e,f {g}", "NULL", " x "]
    assert await pool.fetchval("SELECT $1::text::text[]", _literal(names)) == names
    assert await pool.fetchval("SELECT $1::text::text[]", _literal([])) == []
