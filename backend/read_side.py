"""Where a query of a read model reads, and reading one's own writes (``?after=position``).

Every query of a read model asks ``read_model(services, projection, after)`` for its database:
a replica of the read pool (``ONEWINDOW_READ_DATABASE_URL``) when one is there, the primary
otherwise. With ``after`` it first waits until the read model has that position:

1. a replica whose tracking position (as last read on it) already has it answers at once;
2. else wait for the primary's word that its projection has it (one LISTEN per process,
   ``backend.db.positions``: no polling while the projection catches up); a hot standby cannot
   LISTEN, and it replays that very tracking row in WAL order, so once the primary has it the
   replica has it within its replay lag;
3. then read the replicas' replicated ``projection_tracking`` a few times (1, 2, 4 .. 20 ms
   apart) for at most ``ONEWINDOW_READ_REPLICA_WAIT_SECONDS``; a replica that has it answers,
   else the primary does (it has the position);
4. when even the primary has not got there within ``ONEWINDOW_PROJECTION_WAIT_SECONDS``, the
   read is refused (503 ``read_model_behind``, ``Retry-After``), never answered without the write.

A position the event store has not reached (no write has it: a client's mistake, not a write on its
way) is refused at once with 400 ``after_beyond_head`` instead of waiting for what never comes.

Who answered is in the response headers (``backend.http.read_source``) and in ``/metrics``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from backend.db.reader import Reader
from backend.db.replicas import LOST
from backend.http.read_source import ReadModelBehind, note_after, note_source
from domain.errors import ValidationFailed

if TYPE_CHECKING:
    from backend.db.replicas import Replica
    from backend.services import Services

__all__ = [
    "APPOINTMENTS",
    "CATALOG",
    "DELIVERIES",
    "NOTIFICATIONS",
    "PROGRESS",
    "RECTIFICATIONS",
    "ReadModelBehind",
    "read_model",
    "wait_for_position",
]

# the read models queries name (the projections' names, backend.bootstrap.projections)
CATALOG = "catalog"
PROGRESS = "progress"
RECTIFICATIONS = "rectifications"
APPOINTMENTS = "appointments"
NOTIFICATIONS = "notifications"
DELIVERIES = "deliveries"

_FIRST_POLL, _LAST_POLL = 0.001, 0.02


async def read_model(services: Services, projection: str, after: int | None = None) -> Reader:
    """The database to read ``projection`` from in this request; with ``after``, one whose
    read model has applied that position (``ReadModelBehind`` when none has in time)."""
    candidates = services.reads.candidates()
    if not after:
        replica = candidates[0] if candidates else None
        return _answer(services, replica, "replica" if replica else "no_replica")
    loop = asyncio.get_running_loop()
    started = loop.time()
    for replica in candidates:
        if replica.positions.get(projection, 0) >= after:
            return _waited(services, replica, "replica", loop.time() - started)
    await _check_written(services, after)
    within = services.settings.projection_wait_seconds
    services.runner.wake()  # a worker in this process looks at once
    if not await services.positions.wait(projection, after, within):
        services.metrics.read_timeouts.labels(projection).inc()
        note_source("primary")
        note_after("timeout")
        raise ReadModelBehind(projection, after)
    reason = "no_replica"
    if candidates:
        left = started + within - loop.time()
        wait = min(services.reads.replica_wait_seconds, max(left, 0.0))
        replica = await _replayed(services, candidates, projection, after, wait)
        if replica is not None:
            return _waited(services, replica, "replica", loop.time() - started)
        reason = "replica_behind"
    return _waited(services, None, reason, loop.time() - started)


async def _check_written(services: Services, after: int) -> None:
    """Refuse a position beyond the event store's head: no write has it, waiting cannot help."""
    if after <= max(services.positions.known(), default=0):
        return  # some read model has applied it: it was written
    head = await services.recorder.max_notification_id(services.reads.primary)
    if after > head:
        raise ValidationFailed(
            "after 参数超出了已记录的办理进度，请使用提交时返回的 position",
            {"after": f"最大为 {head}"},
            code="after_beyond_head",
        )


async def _replayed(
    services: Services, candidates: list[Replica], projection: str, position: int, within: float
) -> Replica | None:
    """The first of ``candidates`` whose replicated tracking reaches ``position`` within
    ``within`` seconds (each round reads every candidate once), or None."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    delay = _FIRST_POLL
    while candidates:
        for replica in list(candidates):
            try:
                positions = await replica.read_positions()
            except LOST as exc:
                services.reads.lost(replica, exc)
                candidates = [c for c in candidates if c is not replica]
                continue
            if positions.get(projection, 0) >= position:
                return replica
        left = deadline - loop.time()
        if left <= 0:
            return None
        await asyncio.sleep(min(delay, left))
        delay = min(delay * 2, _LAST_POLL)
    return None


def _waited(services: Services, replica: Replica | None, reason: str, seconds: float) -> Reader:
    reader = _answer(services, replica, reason)
    services.metrics.read_wait.labels(reader.source).observe(seconds)
    note_after("reached")
    return reader


def _answer(services: Services, replica: Replica | None, reason: str) -> Reader:
    metrics = services.metrics

    def lost(gone: Replica, error: BaseException) -> None:
        services.reads.lost(gone, error)
        metrics.count_read("primary", "replica_unreachable")
        note_source("primary")

    reader = Reader(services.reads.primary_reads, replica, lost)
    metrics.count_read(reader.source, reason)
    note_source(reader.source)
    return reader


async def wait_for_position(services: Services, position: int, projection: str) -> bool:
    """Wait briefly until the primary's read model has applied ``position``; False when it
    had not within ``projection_wait_seconds``. (Queries use ``read_model``, which also
    chooses the database and refuses instead of answering without the write.)"""
    services.runner.wake()
    return await services.positions.wait(
        projection, position, services.settings.projection_wait_seconds
    )
