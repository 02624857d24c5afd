"""Our asyncpg event store against a real PostgreSQL: the write rule (table lock until commit)
keeps notification ids in commit order across connections and processes, optimistic
concurrency loses nothing, and eventsourcing's own PostgreSQL application reads what we store."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
import msgspec
import pytest
from eventsourcing.application import Application as StockApplication
from eventsourcing.persistence import JSONTranscoder, StoredEvent

from backend.eventstore import KeyRing, Recorder, Repository, build_mapper
from backend.eventstore.mapper import register_transcodings
from domain.actors import Actor
from domain.application import Application, Delivery, MaterialRef
from domain.calendar import WorkingCalendar
from domain.catalog import ServiceDefinition, ServiceItem, parse_definition
from domain.errors import ConflictError
from domain.personal import Personal

ROOT = Path(__file__).resolve().parents[2]
CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=CST)
EVENTS_PER_WRITER = 1_000

Pair = tuple[str, int]


def catalogue_item(code: str) -> ServiceDefinition:
    raw = json.loads((files("backend") / "demo" / "catalog.json").read_text(encoding="utf-8"))
    return parse_definition(next(s for s in raw["services"] if s["code"] == code))


def noise_events(rng: random.Random, remaining: int) -> list[StoredEvent]:
    """One transaction's worth (1-5 events) for a fresh originator; the log ignores the payload."""
    originator_id = uuid.uuid4()
    return [
        StoredEvent(originator_id=originator_id, originator_version=v, topic="t:Noise", state=b"{}")
        for v in range(1, min(rng.randint(1, 5), remaining) + 1)
    ]


# A writer in another OS process: the table lock must serialise writers that share nothing
# but the database. It says "ready", waits for "go" so that it overlaps the in-process writers,
# and prints what it wrote.
WRITER_SCRIPT = """
import asyncio, json, random, sys, uuid
import asyncpg
from eventsourcing.persistence import StoredEvent
from backend.eventstore import Recorder

async def main(url, total):
    recorder = Recorder()
    conn = await asyncpg.connect(url)
    print("ready", flush=True)
    sys.stdin.readline()
    rng, written = random.Random(), []
    while len(written) < total:
        originator_id = uuid.uuid4()
        size = min(rng.randint(1, 5), total - len(written))
        events = [StoredEvent(originator_id, v, "t:Noise", b"{}") for v in range(1, size + 1)]
        async with conn.transaction():
            await recorder.insert(conn, events)
        written.extend((str(e.originator_id), e.originator_version) for e in events)
    await conn.close()
    print(json.dumps(written), flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def write_in_task(pool: asyncpg.Pool, recorder: Recorder, go: asyncio.Event) -> set[Pair]:
    rng = random.Random()
    written: set[Pair] = set()
    await go.wait()
    while len(written) < EVENTS_PER_WRITER:
        events = noise_events(rng, EVENTS_PER_WRITER - len(written))
        async with pool.acquire() as conn, conn.transaction():
            await recorder.insert(conn, events)
            # let other writers and the reader run while this transaction is open
            await asyncio.sleep(0)
        written.update((str(e.originator_id), e.originator_version) for e in events)
    return written


async def test_two_writers_never_interleave_notification_ids(
    pool: asyncpg.Pool, db_url: str
) -> None:
    recorder = Recorder()
    go = asyncio.Event()
    writers_done = asyncio.Event()
    seen: list[tuple[int, Pair]] = []

    async def follow() -> None:
        """A projection-style reader: only ever asks for ids above the last one it saw."""
        last = 0
        async with pool.acquire() as conn:
            while True:
                finished = writers_done.is_set()
                rows = await recorder.select_notifications(conn, after=last, limit=50)
                for row in rows:
                    assert row.id > last, "an id at or below one already seen"
                    seen.append((row.id, (str(row.originator_id), row.originator_version)))
                    last = row.id
                if finished and not rows:
                    return
                await asyncio.sleep(0)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITER_SCRIPT,
        db_url,
        str(EVENTS_PER_WRITER),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"ready\n"
        reader = asyncio.create_task(follow())
        writers = [asyncio.create_task(write_in_task(pool, recorder, go)) for _ in range(2)]
        process.stdin.write(b"go\n")
        await process.stdin.drain()
        go.set()
        written_here = await asyncio.gather(*writers)
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    written_there = {(o, v) for o, v in json.loads(out)}
    writers_done.set()
    await asyncio.wait_for(reader, 30)

    written = written_there.union(*written_here)
    assert len(written) == 3 * EVENTS_PER_WRITER
    seen_pairs = [pair for _, pair in seen]
    assert len(seen_pairs) == len(set(seen_pairs)), "an event was seen twice"
    assert set(seen_pairs) == written, "the reader skipped events committed below its position"
    ids = [i for i, _ in seen]
    assert ids == sorted(ids)
    async with pool.acquire() as conn:
        assert await recorder.max_notification_id(conn) == ids[-1]


async def test_concurrent_updates_to_one_aggregate_lose_no_event(pool: asyncpg.Pool) -> None:
    repository = Repository(pool, Recorder(), build_mapper())
    definition = catalogue_item("XK-00101-000")
    item = ServiceItem.publish(definition, at=T0)
    await repository.save(item)
    conflicts = 0

    async def revise(n: int) -> None:
        """A command handler: load, call the domain, save; on a conflict, start again."""
        nonlocal conflicts
        for _ in range(100):
            current = await repository.get(ServiceItem, item.id)
            changed = msgspec.structs.replace(current.definition, description=f"revision {n}")
            assert current.revise(changed, at=T0 + timedelta(seconds=n))
            try:
                await repository.save(current)
            except ConflictError:
                conflicts += 1
                await asyncio.sleep(random.random() / 100)
            else:
                return
        pytest.fail(f"task {n} never saved")

    tasks = 20
    await asyncio.gather(*(revise(n) for n in range(tasks)))

    events = await repository.events(item.id)
    assert [e.originator_version for e in events] == list(range(1, tasks + 2))
    descriptions = [
        e.definition["description"] for e in events if isinstance(e, ServiceItem.Revised)
    ]
    assert sorted(descriptions) == sorted(f"revision {n}" for n in range(tasks))
    assert conflicts > 0, "the tasks did not actually race"
    final = await repository.get(ServiceItem, item.id)
    assert final.version == tasks + 1
    assert final.definition.description == descriptions[-1]


async def test_conflicting_save_raises_conflict_and_writes_nothing(pool: asyncpg.Pool) -> None:
    recorder = Recorder()
    repository = Repository(pool, recorder, build_mapper())
    item = ServiceItem.publish(catalogue_item("XK-00101-000"), at=T0)
    await repository.save(item)

    first = await repository.get(ServiceItem, item.id)
    second = await repository.get(ServiceItem, item.id)
    first.revise(msgspec.structs.replace(first.definition, fee=100), at=T0)
    await repository.save(first)
    async with pool.acquire() as conn:
        head = await recorder.max_notification_id(conn)

    # the stale revision and a brand-new aggregate in one save: all or nothing
    second.revise(msgspec.structs.replace(second.definition, fee=200), at=T0)
    newcomer = ServiceItem.publish(catalogue_item("GG-00201-000"), at=T0)
    with pytest.raises(ConflictError):
        await repository.save(newcomer, second)

    async with pool.acquire() as conn:
        assert await recorder.max_notification_id(conn) == head
    assert await repository.events(newcomer.id) == []
    assert (await repository.get(ServiceItem, item.id)).definition.fee == 100


async def test_select_notifications_pages_in_order_and_max_notification_id_is_the_head(
    pool: asyncpg.Pool,
) -> None:
    recorder = Recorder()
    async with pool.acquire() as conn:
        assert await recorder.max_notification_id(conn) == 0
        assert await recorder.select_notifications(conn, after=0, limit=10) == []
        rng = random.Random(7)
        written: list[Pair] = []
        while len(written) < 23:
            events = noise_events(rng, 23 - len(written))
            async with conn.transaction():
                ids = await recorder.insert(conn, events)
            assert len(ids) == len(events)
            written.extend((str(e.originator_id), e.originator_version) for e in events)

        head = await recorder.max_notification_id(conn)
        pages: list[list[int]] = []
        after = 0
        while page := await recorder.select_notifications(conn, after=after, limit=5):
            pages.append([n.id for n in page])
            after = page[-1].id
        bounded = await recorder.select_notifications(conn, after=3, limit=100, up_to=10)
        everything = await recorder.select_notifications(conn, after=0, limit=100)

    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    ids = [i for p in pages for i in p]
    assert ids == list(range(1, 24))
    assert head == 23
    assert [(str(n.originator_id), n.originator_version) for n in everything] == written
    assert [n.id for n in bounded] == list(range(4, 11))


def stock_env(db_url: str) -> dict[str, str]:
    """eventsourcing's settings for the same database (a Unix socket dir is a valid host)."""
    parts = urlsplit(db_url)
    query = parse_qs(parts.query)
    host = query["host"][0] if "host" in query else parts.hostname
    assert host
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(parts.port or query.get("port", ["5432"])[0]),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "CREATE_TABLE": "n",
    }


class OneWindow(StockApplication[uuid.UUID]):
    """The stock application under our application name: its table is ``onewindow_events``.

    It registers our transcodings, personal data included: the stock application reads sealed
    personal data with the same key ring (filled here by our repository, as the key ring of a
    synchronous tool would be filled before it maps)."""

    keys: KeyRing

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        register_transcodings(transcoder, self.keys)


async def test_stock_eventsourcing_application_reads_what_we_store(
    pool: asyncpg.Pool, db_url: str
) -> None:
    recorder = Recorder()
    keys = KeyRing("compatibility-test-secret-key")
    repository = Repository(pool, recorder, build_mapper(keys))
    definition = catalogue_item("XK-00101-000")
    item = ServiceItem.publish(definition, at=T0)
    item.revise(msgspec.structs.replace(definition, fee=1500), at=T0 + timedelta(days=1))
    citizen_id = uuid.uuid4()
    app = Application.submit(
        id=uuid.uuid4(),
        number="20260302-XK00101-000001",
        citizen_id=citizen_id,
        service=item.definition,
        service_version=item.version,
        situation_id="new",
        form={"shopName": "小笼包店", "area": 35.5},
        materials=(
            MaterialRef(material_id="application-form", file_id=uuid.uuid4()),
            MaterialRef(material_id="business-licence", certificate_id="91330100MA0000000X"),
            MaterialRef(material_id="id-card", file_id=uuid.uuid4()),
            MaterialRef(material_id="floor-plan", file_id=uuid.uuid4()),
        ),
        delivery=Delivery(method="pickup"),
        at=T0 + timedelta(days=2),
    )
    clerk = Actor(id="c-1", role="clerk", department=definition.department)
    app.accept(actor=clerk, calendar=WorkingCalendar(), at=T0 + timedelta(days=3))
    await repository.save(item, app)
    ours_item = await repository.get(ServiceItem, item.id)
    ours_app = await repository.get(Application, app.id)
    async with pool.acquire() as conn:
        ours_log = await recorder.select_notifications(conn, after=0, limit=100)
    assert len(ours_log) == 4

    def read_with_stock_application() -> dict[str, Any]:
        OneWindow.keys = keys
        stock = OneWindow(env=stock_env(db_url))
        try:
            notifications = stock.recorder.select_notifications(start=1, limit=100)
            section = stock.notification_log.select(start=1, limit=10)
            stock_item: ServiceItem = stock.repository.get(item.id)
            # and the other way round: what the stock application writes, we read
            stock_item.revise(msgspec.structs.replace(definition, fee=0), at=T0 + timedelta(days=4))
            stock.save(stock_item)
            return {
                "item": stock.repository.get(item.id, version=2),
                "app": stock.repository.get(app.id),
                "notifications": notifications,
                "section": section,
                "decoded": [stock.mapper.to_domain_event(n) for n in notifications],
                "max": stock.recorder.max_notification_id(),
            }
        finally:
            stock.close()

    stock = await asyncio.to_thread(read_with_stock_application)

    assert stock["app"] == ours_app
    assert stock["app"].number == app.number
    assert stock["app"].status == "accepted"
    assert stock["app"].citizen_id == citizen_id
    assert stock["app"].service == app.service
    assert stock["app"].form == Personal(citizen_id, {"shopName": "小笼包店", "area": 35.5})
    assert "小笼包店".encode() not in b"".join(n.state for n in ours_log)  # sealed in the table
    assert stock["item"] == ours_item
    assert stock["item"].definition == item.definition
    assert stock["item"].definition.fee == 1500

    def rows(log: Any) -> list[tuple[int, uuid.UUID, int, str, bytes]]:
        return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in log]

    assert rows(stock["notifications"]) == rows(ours_log)
    assert rows(stock["section"]) == rows(ours_log)
    mapper = build_mapper(keys)
    assert stock["decoded"] == [mapper.to_domain_event(n.stored_event()) for n in ours_log]
    assert stock["max"] == 5

    after_stock = await repository.get(ServiceItem, item.id)
    assert after_stock.version == 3
    assert after_stock.definition.fee == 0
    async with pool.acquire() as conn:
        assert [n.id for n in await recorder.select_notifications(conn, after=4, limit=9)] == [5]
