"""The same aggregate work through eventsourcing's own synchronous ``Application``.

``eventsourcing.postgres`` (psycopg, a connection pool) on the same database, in its own table
``stockbench_events``; N client threads in a ThreadPoolExecutor. One op: create our
``domain.application.Application`` with ``Application.submit(...)`` and ``save`` it, then
load it from the repository, ``accept(...)`` it and ``save`` again: two commands, each one
transaction (the stock write rule: lock the table, insert, commit).
"""

from __future__ import annotations

import itertools
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
from eventsourcing.application import Application as StockApplication
from eventsourcing.persistence import JSONTranscoder

from backend.eventstore import KeyRing
from backend.eventstore.mapper import register_transcodings
from backend.working_calendar.data import load_calendar
from bench.commands import DEPARTMENT, SITUATION, service_definition, submission
from bench.common import SECRET_KEY, CpuMeter, Recorded, Window
from domain.actors import Actor
from domain.application import Application
from domain.calendar import WorkingCalendar
from domain.catalog import ServiceDefinition

__all__ = ["StockBench", "run_stock", "stock_citizens", "stock_env"]

CST = timezone(timedelta(hours=8))
MAX_CONNECTIONS = 20  # the same cap as our asyncpg pool (backend.db.connect_pool)


class StockBench(StockApplication[uuid.UUID]):
    """The stock application; its table is ``stockbench_events``.

    It registers our transcodings, personal data included, so that it can store our
    ``Application`` at all: the applicant's form is sealed under the citizen's key, from a key
    ring filled before the run (as a synchronous tool's would be). It does the same encryption
    work as our handlers."""

    keys: ClassVar[KeyRing]

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        register_transcodings(transcoder, self.keys)


async def stock_citizens(url: str, count: int) -> tuple[KeyRing, list[uuid.UUID]]:
    """``count`` citizens with their data keys created and loaded in a fresh key ring."""
    keys = KeyRing(SECRET_KEY)
    citizens = [uuid.uuid4() for _ in range(count)]
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    assert pool is not None
    try:
        await keys.ensure(pool, citizens)
    finally:
        await pool.close()
    return keys, citizens


def stock_env(url: str, pool_size: int) -> dict[str, str]:
    """eventsourcing's settings for our database URL (a Unix socket dir is a valid host)."""
    parts = urlsplit(url)
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
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
        "CREATE_TABLE": "y",
    }


def _client(
    app: StockBench,
    *,
    definition: ServiceDefinition,
    calendar: WorkingCalendar,
    numbers: itertools.count[int],
    window: Window,
    citizen_id: uuid.UUID,
) -> Recorded:
    recorded = Recorded(window)
    command = submission(uuid.uuid4())
    clerk = Actor(id=str(uuid.uuid4()), role="clerk", department=DEPARTMENT)
    today = datetime.now(CST).strftime("%Y%m%d")
    while window.open():
        try:
            started = time.perf_counter()
            application = Application.submit(
                id=uuid.uuid4(),
                number=f"{today}-GF00301-{next(numbers):06d}",
                citizen_id=citizen_id,
                service=definition,
                service_version=1,
                situation_id=SITUATION,
                form=command.form,
                materials=command.materials,
                delivery=command.delivery,
                at=datetime.now(CST),
            )
            app.save(application)
            submitted = time.perf_counter()
            recorded.add("submit", started, submitted)
            loaded: Application = app.repository.get(application.id)
            loaded.accept(actor=clerk, calendar=calendar, at=datetime.now(CST))
            app.save(loaded)
            recorded.add("accept", submitted, time.perf_counter())
        except Exception as exc:  # noqa: BLE001 - counted and shown in the results
            recorded.error(exc)
    return recorded


def run_stock(
    url: str,
    citizens: tuple[KeyRing, list[uuid.UUID]],
    meter: CpuMeter,
    *,
    warmup: float,
    duration: float,
) -> tuple[Recorded, dict[str, float]]:
    """One thread per citizen doing submit+accept through the stock application (blocking);
    what they did and the CPU used while they ran (set-up and tear-down excluded)."""
    keys, citizen_ids = citizens
    clients = len(citizen_ids)
    StockBench.keys = keys
    app = StockBench(env=stock_env(url, min(clients, MAX_CONNECTIONS)))
    try:
        definition = service_definition()
        calendar = load_calendar()
        numbers = itertools.count(1 + int(time.time() * 1000) % 10**9)
        window = Window.after(warmup, duration)
        started = meter.start()
        with ThreadPoolExecutor(max_workers=clients) as executor:
            futures = [
                executor.submit(
                    _client,
                    app,
                    definition=definition,
                    calendar=calendar,
                    numbers=numbers,
                    window=window,
                    citizen_id=citizen,
                )
                for citizen in citizen_ids
            ]
            results = [f.result() for f in futures]
        cpu = meter.stop(started)
    finally:
        app.close()
    total = Recorded(window)
    for r in results:
        total.merge(r)
    return total, cpu
