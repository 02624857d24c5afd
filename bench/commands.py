"""Command throughput through our handlers: "submit + accept" at N concurrent clients.

Each client is an asyncio task on one event loop in this process. A client submits an
application of GF-00301-000 (situation "self": three materials naming one uploaded file,
whose ``files`` row is inserted directly) and the clerk accepts it; repeat until the window closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from backend.applications import submission as applications
from backend.applications.commands import submit
from backend.applications.dto import SubmitApplication
from backend.auth.tokens import Principal
from backend.back_office.commands import accept
from backend.bootstrap import bootstrap
from backend.catalog.commands import publish_catalog
from backend.demo_data import demo_catalog
from backend.eventstore.group_commit import GroupCommitWriter
from backend.services import Services
from bench.common import CpuMeter, Recorded, Window, settings_for
from domain.application import Delivery, MaterialRef
from domain.catalog import ServiceDefinition, parse_definition
from domain.numbering import application_number, compact_code

__all__ = [
    "DEPARTMENT",
    "SERVICE",
    "SITUATION",
    "add_citizen",
    "numbers_without_fsync",
    "prepare",
    "run_ours",
    "service_definition",
    "submission",
]

SERVICE = "GF-00301-000"
SITUATION = "self"
DEPARTMENT = "市人力资源和社会保障局"


@dataclass(frozen=True)
class Citizen:
    principal: Principal
    command: SubmitApplication


def service_definition() -> ServiceDefinition:
    """The benchmark's service item as the demo catalogue defines it (version 1)."""
    return parse_definition(next(s for s in demo_catalog() if s["code"] == SERVICE))


def submission(file_id: UUID) -> SubmitApplication:
    """What a citizen sends: three uploaded materials (one file row, named three times)."""
    return SubmitApplication(
        service_code=SERVICE,
        situation_id=SITUATION,
        materials=(
            MaterialRef(material_id="id-card", file_id=file_id),
            MaterialRef(material_id="social-security-card", file_id=file_id),
            MaterialRef(material_id="termination-proof", file_id=file_id),
        ),
        delivery=Delivery(method="pickup"),
        form={"reason": "合同期满"},
    )


async def add_citizen(services: Services) -> Citizen:
    """A citizen with one uploaded file (the row only: no bytes are needed to submit) and a data
    key, created and cached here as for the stock application: without it, 20 or more first
    submits at once hang the pool (``Repository._save`` holds a connection while
    ``KeyRing.ensure`` waits for another; see docs/performance.md)."""
    citizen_id, file_id = uuid.uuid4(), uuid.uuid4()
    await services.repository.keys.ensure(services.pool, [citizen_id])
    await services.pool.execute(
        "INSERT INTO files (id, owner_id, sha256, size, content_type) VALUES ($1, $2, $3, $4, $5)",
        file_id,
        citizen_id,
        "0" * 64,
        1024,
        "application/pdf",
    )
    return Citizen(Principal(id=str(citizen_id), role="citizen"), submission(file_id))


async def prepare(url: str, data_dir: Path) -> None:
    """Migrate the database and publish the demo catalogue."""
    async with bootstrap(settings_for(url, data_dir), run_workers=False) as services:
        await publish_catalog(services, demo_catalog())


async def _client(
    services: Services, citizen: Citizen, clerk: Principal, recorded: Recorded
) -> None:
    window = recorded.window
    while window.open():
        try:
            started = time.perf_counter()
            answer = await submit(services, citizen.principal, citizen.command)
            submitted = time.perf_counter()
            recorded.add("submit", started, submitted)
            await accept(services, clerk, UUID(answer.body.id))
            recorded.add("accept", submitted, time.perf_counter())
        except Exception as exc:  # noqa: BLE001 - counted and shown in the results
            recorded.error(exc)


async def _number_without_fsync(services: Services, service_code: str) -> str:
    """The application-number upsert of ``submission.next_number``, still one statement in
    its own transaction, but with ``synchronous_commit`` off for that transaction: it commits
    (and releases the row lock) without waiting for its WAL flush. The application's save
    flushes the WAL after it, so a number is durable whenever an application holding it is; a
    crash in between loses only a number nobody holds. The diagnostic row measures this."""
    today = services.clock().date()
    sequence = await services.pool.fetchval(
        "INSERT INTO application_numbers (day, service_code, last)"
        " SELECT $1, $2, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) s"
        " ON CONFLICT (day, service_code) DO UPDATE SET last = application_numbers.last + 1"
        " RETURNING last",
        today,
        compact_code(service_code),
    )
    return application_number(today, service_code, int(sequence))


@contextlib.contextmanager
def numbers_without_fsync() -> Iterator[bool]:
    """Swap in ``_number_without_fsync`` while the block runs; yields False (and changes
    nothing) if the handler module no longer has ``next_number``."""
    original = getattr(applications, "next_number", None)
    if original is None:
        yield False
        return
    applications.next_number = _number_without_fsync
    try:
        yield True
    finally:
        applications.next_number = original


async def run_ours(
    url: str,
    data_dir: Path,
    clients: int,
    meter: CpuMeter,
    *,
    group_commit: bool,
    warmup: float,
    duration: float,
) -> tuple[Recorded, dict[str, float]]:
    """``clients`` tasks doing submit+accept for ``warmup`` + ``duration`` seconds; what they
    did and the CPU used while they ran (set-up and tear-down excluded)."""
    settings = settings_for(url, data_dir, group_commit=group_commit)
    async with bootstrap(settings, run_workers=False) as services:
        citizens = [await add_citizen(services) for _ in range(clients)]
        clerk = Principal(id=str(uuid.uuid4()), role="clerk", department=DEPARTMENT)
        recorded = Recorded(Window.after(warmup, duration))
        started = meter.start()
        await asyncio.gather(*(_client(services, c, clerk, recorded) for c in citizens))
        cpu = meter.stop(started)
        writer = services.repository.writer
        if isinstance(writer, GroupCommitWriter) and writer.groups:
            # saves per group commit, over the whole run (warm-up included)
            recorded.extra["commands_per_group"] = round(writer.commands / writer.groups, 1)
    return recorded, cpu
