"""Growth: the progress query on a small and a large read model; a long stream with and without
a snapshot.

1. One real application is submitted through our handler and projected; ``application_view``
   is then filled to the small size and later to the large one with SQL copies of that row
   (``generate_series``: new id, number and citizen per copy, the rest identical), analysed,
   and the bare ``get_progress`` query path (``backend.applications.queries``, no HTTP) is
   timed by one client on random rows.
2. An ``Application`` with a 1,000-event stream (submit, accept, then ``add_note``) is loaded
   by ``Repository.get`` without a snapshot and again after ``Repository.take_snapshot``.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

from backend.applications.commands import submit
from backend.applications.queries import get_progress
from backend.auth.tokens import Principal
from backend.back_office.commands import accept
from backend.bootstrap import bootstrap
from backend.catalog.commands import publish_catalog
from backend.demo_data import demo_catalog
from backend.eventstore import KeyRing, Recorder, Repository, build_mapper
from backend.services import Services
from bench.commands import DEPARTMENT, add_citizen, service_definition, submission
from bench.common import SECRET_KEY, percentile, settings_for
from domain.actors import Actor
from domain.application import Application
from domain.calendar import WorkingCalendar

__all__ = ["run_growth"]

CST = timezone(timedelta(hours=8))


async def _fill(services: Services, target: int) -> int:
    """Copy the first row until the view holds ``target`` rows; return the row count."""
    pool = services.pool
    have = int(await pool.fetchval("SELECT count(*) FROM application_view"))
    if have < target:
        columns = [
            r[0]
            for r in await pool.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'application_view' ORDER BY ordinal_position"
            )
        ]
        replaced = {
            "id": "gen_random_uuid()",
            "number": "v.number || '-c' || g",
            "citizen_id": "gen_random_uuid()",
            "submitted_at": "v.submitted_at - g * interval '1 second'",
        }
        select = ", ".join(replaced.get(c, f"v.{c}") for c in columns)
        await pool.execute(
            f"INSERT INTO application_view ({', '.join(columns)})"
            f" SELECT {select} FROM (SELECT * FROM application_view LIMIT 1) v,"
            " generate_series($1::bigint, $2::bigint) g",
            have,
            target - 1,
        )
        # the copies answer with their own id (the citizen's view shows it)
        await pool.execute(
            "UPDATE application_view"
            " SET detail = jsonb_set(detail::jsonb, '{id}', to_jsonb(id::text))::json"
            " WHERE detail->>'id' <> id::text"
        )
    await pool.execute("VACUUM ANALYZE application_view")
    return int(await pool.fetchval("SELECT count(*) FROM application_view"))


async def _time_queries(services: Services, queries: int) -> dict[str, float]:
    rows = await services.pool.fetch(
        "SELECT id, citizen_id FROM application_view ORDER BY random() LIMIT $1", queries
    )
    picks = [(r[0], Principal(id=str(r[1]), role="citizen")) for r in rows]
    latencies = []
    for app_id, citizen in picks:
        started = time.perf_counter()
        await get_progress(services, citizen, app_id)
        latencies.append(time.perf_counter() - started)
    return {
        "queries": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
        "per_second": round(len(latencies) / sum(latencies), 1),
    }


async def _long_stream(repository: Repository, events: int, loads: int) -> dict[str, float]:
    """Load times (ms, median of ``loads``) of one ``events``-long stream, then with a snapshot."""
    at = datetime(2026, 3, 2, 9, 0, tzinfo=CST)
    clerk = Actor(id=str(uuid.uuid4()), role="clerk", department=DEPARTMENT)
    command = submission(uuid.uuid4())
    app = Application.submit(
        id=uuid.uuid4(),
        number="20260302-GF00301-LONG01",
        citizen_id=uuid.uuid4(),
        service=service_definition(),
        service_version=1,
        situation_id="self",
        form=command.form,
        materials=command.materials,
        delivery=command.delivery,
        at=at,
    )
    app.accept(actor=clerk, calendar=WorkingCalendar(), at=at)
    for i in range(events - 2):
        app.add_note(actor=clerk, text=f"第{i + 1}次跟进：已电话联系申请人", at=at)
    await repository.save(app)

    async def median_load() -> float:
        times = []
        for _ in range(loads):
            started = time.perf_counter()
            loaded = await repository.get(Application, app.id)
            times.append(time.perf_counter() - started)
            assert loaded.version == events
        return percentile(times, 50) * 1000

    without = await median_load()
    await repository.take_snapshot(await repository.get(Application, app.id))
    with_snapshot = await median_load()
    return {
        "events": events,
        "loads": loads,
        "without_snapshot_ms": round(without, 3),
        "with_snapshot_ms": round(with_snapshot, 3),
    }


async def run_growth(
    url: str, data_dir: Path, *, sizes: tuple[int, int], queries: int, stream: int, loads: int
) -> dict[str, object]:
    """Query latency at both sizes, and the long stream's load times."""
    async with bootstrap(settings_for(url, data_dir), run_workers=False) as services:
        await publish_catalog(services, demo_catalog())
        citizen = await add_citizen(services)
        answer = await submit(services, citizen.principal, citizen.command)
        clerk = Principal(id=str(uuid.uuid4()), role="clerk", department=DEPARTMENT)
        await accept(services, clerk, UUID(answer.body.id))
        for projection in services.runner.projections:
            await services.runner.catch_up(projection)
        small, large = sizes
        result: dict[str, object] = {}
        for size in (small, large):
            rows = await _fill(services, size)
            result[f"rows_{size}"] = {"rows": rows, **await _time_queries(services, queries)}
        result["table_mb"] = round(
            int(await services.pool.fetchval("SELECT pg_total_relation_size('application_view')"))
            / 2**20,
            1,
        )
        # a repository without automatic snapshots (bootstrap's takes one every 50 events)
        plain = Repository(services.pool, Recorder(), build_mapper(KeyRing(SECRET_KEY)))
        result["stream"] = await _long_stream(plain, stream, loads)
    return result
