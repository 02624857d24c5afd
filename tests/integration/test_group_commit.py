"""Group commit keeps every guarantee of one transaction per command."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from eventsourcing.domain import Aggregate

from backend.eventstore import CommitFailed, Recorder, Repository, build_mapper
from backend.eventstore.group_commit import GroupCommitWriter
from backend.files.ownership import FilesInUse
from domain.errors import ConflictError, ValidationFailed

ROOT = Path(__file__).resolve().parents[2]


class Counter(Aggregate):
    """A test aggregate whose commands can be repeated."""

    class Started(Aggregate.Created):
        label: str

    class Ticked(Aggregate.Event):
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.ticks.append(self.by)

    def __init__(self, *, label: str) -> None:
        self.label = label
        self.ticks: list[str] = []

    def tick(self, by: str) -> None:
        self.trigger_event(self.Ticked, by=by)


@pytest.fixture
async def grouped(pool: asyncpg.Pool) -> Any:
    recorder = Recorder()
    writer = GroupCommitWriter(pool, recorder)
    repository = Repository(pool, recorder, build_mapper(), writer=writer)
    yield repository, writer
    await writer.close()


async def test_concurrent_commands_share_transactions_and_each_gets_its_own_positions(
    grouped: Any, pool: asyncpg.Pool
) -> None:
    repository, writer = grouped
    counters = [Counter(label=f"c{i}") for i in range(300)]
    saved = await asyncio.gather(*(repository.save(c) for c in counters))
    assert writer.commands == 300
    assert writer.groups < 300, "concurrent saves must have been grouped"
    positions = [s.position for s in saved]
    assert len(set(positions)) == 300
    rows = await pool.fetch(
        "SELECT originator_id, notification_id FROM onewindow_events ORDER BY notification_id"
    )
    by_id = {r["originator_id"]: r["notification_id"] for r in rows}
    assert [by_id[c.id] for c in counters] == positions


async def test_a_conflict_fails_only_its_own_command_and_the_rest_of_the_group_commits(
    grouped: Any, pool: asyncpg.Pool
) -> None:
    repository, _ = grouped
    shared = Counter(label="shared")
    await repository.save(shared)
    # twenty stale copies of the same aggregate race with 200 independent commands
    stale = [await repository.get(Counter, shared.id) for _ in range(20)]
    for i, copy in enumerate(stale):
        copy.tick(f"stale{i}")
    fresh = [Counter(label=f"f{i}") for i in range(200)]
    outcomes = await asyncio.gather(
        *(repository.save(c) for c in [*stale, *fresh]), return_exceptions=True
    )
    stale_outcomes, fresh_outcomes = outcomes[:20], outcomes[20:]
    assert sum(not isinstance(o, BaseException) for o in stale_outcomes) == 1
    assert all(isinstance(o, ConflictError) for o in stale_outcomes if isinstance(o, Exception))
    assert not any(isinstance(o, BaseException) for o in fresh_outcomes)
    reloaded = await repository.get(Counter, shared.id)
    assert len(reloaded.ticks) == 1
    assert await pool.fetchval("SELECT count(*) FROM onewindow_events") == 1 + 1 + 200


_OTHER_PROCESS = textwrap.dedent(
    """
    import asyncio, sys
    from backend.db import connect_pool
    from backend.eventstore import Recorder, Repository, build_mapper
    from backend.eventstore.group_commit import GroupCommitWriter
    from tests.integration.test_group_commit import Counter

    async def main(url: str, count: int) -> None:
        pool = await connect_pool(url, min_size=1, max_size=4)
        recorder = Recorder()
        repository = Repository(
            pool, recorder, build_mapper(), writer=GroupCommitWriter(pool, recorder)
        )
        print("ready", flush=True)
        sys.stdin.readline()
        await asyncio.gather(*(repository.save(Counter(label=f"p{i}")) for i in range(count)))
        await repository.writer.close()
        await pool.close()

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


async def test_two_processes_writing_groups_never_interleave_ids_and_lose_nothing(
    grouped: Any, pool: asyncpg.Pool, db_url: str
) -> None:
    repository, _ = grouped
    per_process = 1500
    other = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _OTHER_PROCESS,
        db_url,
        str(per_process),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert other.stdout is not None
    assert other.stdin is not None
    assert (await other.stdout.readline()).strip() == b"ready"
    seen: list[int] = []
    done = asyncio.Event()

    async def follow() -> None:
        last = 0
        async with pool.acquire() as conn:
            while True:
                finished = done.is_set()
                rows = await conn.fetch(
                    "SELECT notification_id FROM onewindow_events WHERE notification_id > $1"
                    " ORDER BY notification_id",
                    last,
                )
                for row in rows:
                    assert row[0] > last
                    seen.append(row[0])
                    last = row[0]
                if finished and not rows:
                    return
                await asyncio.sleep(0.002)

    reader = asyncio.create_task(follow())
    other.stdin.write(b"go\n")
    await other.stdin.drain()
    ours = [Counter(label=f"o{i}") for i in range(per_process)]
    await asyncio.gather(*(repository.save(c) for c in ours))
    async with asyncio.timeout(60):
        assert await other.wait() == 0
    done.set()
    await reader
    total = await pool.fetchval("SELECT count(*) FROM onewindow_events")
    assert total == 2 * per_process
    assert len(seen) == len(set(seen)) == total, "the reader must see every event exactly once"


async def test_a_failed_commit_fails_every_command_of_the_group_and_writes_nothing(
    pool: asyncpg.Pool,
) -> None:
    recorder = Recorder()
    writer = GroupCommitWriter(pool, recorder)
    repository = Repository(pool, recorder, build_mapper(), writer=writer)
    victim_pid: list[int] = []

    async def kill_connection(conn: Any, saved: Any) -> None:
        # the last command of the group kills the group's connection before the commit
        if not victim_pid:
            victim_pid.append(await conn.fetchval("SELECT pg_backend_pid()"))
            async with pool.acquire() as other:
                await other.execute("SELECT pg_terminate_backend($1)", victim_pid[0])

    counters = [Counter(label=f"k{i}") for i in range(30)]
    outcomes = await asyncio.gather(
        *(
            repository.save(c, after_insert=kill_connection if i == 29 else None)
            for i, c in enumerate(counters)
        ),
        return_exceptions=True,
    )
    failed = [o for o in outcomes if isinstance(o, CommitFailed)]
    assert failed, "the group whose connection died must report CommitFailed"
    committed = {
        c.id for c, o in zip(counters, outcomes, strict=True) if not isinstance(o, Exception)
    }
    stored = {r[0] for r in await pool.fetch("SELECT originator_id FROM onewindow_events")}
    assert stored == committed, "a failed group leaves nothing behind"
    # the writer recovers for the next commands
    later = Counter(label="after")
    await repository.save(later)
    assert (await repository.get(Counter, later.id)).label == "after"
    await writer.close()
    assert uuid.UUID(str(later.id))


async def test_group_rows_are_written_for_the_whole_group_and_a_failure_is_its_commands_own(
    grouped: Any, pool: asyncpg.Pool
) -> None:
    repository, writer = grouped
    owner = uuid.uuid4()
    files = [uuid.uuid4() for _ in range(30)]
    for file_id in files[1:]:  # the first was cleaned up before its command was saved
        await pool.execute(
            "INSERT INTO files (id, owner_id, sha256, size, content_type)"
            " VALUES ($1, $2, $3, 1, 'a')",
            file_id,
            owner,
            "0" * 64,
        )
    counters = [Counter(label=f"r{i}") for i in range(30)]
    groups_before = writer.groups

    outcomes = await asyncio.gather(
        *(repository.save(c, rows=FilesInUse([f])) for c, f in zip(counters, files, strict=True)),
        return_exceptions=True,
    )

    assert writer.groups - groups_before < 30, "the saves must have been grouped"
    assert isinstance(outcomes[0], ValidationFailed)
    assert not any(isinstance(o, BaseException) for o in outcomes[1:])
    stored = {r[0] for r in await pool.fetch("SELECT originator_id FROM onewindow_events")}
    assert stored == {c.id for c in counters[1:]}
    attached = {
        r[0] for r in await pool.fetch("SELECT id FROM files WHERE attached_at IS NOT NULL")
    }
    assert attached == set(files[1:])
