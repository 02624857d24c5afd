"""Snapshots make long streams cheap to load and never change what is loaded."""

from __future__ import annotations

import asyncpg

from backend.eventstore import Recorder, Repository, SnapshotPolicy, build_mapper
from tests.integration.test_group_commit import Counter


async def test_a_snapshot_every_n_events_loads_the_same_state_as_a_full_replay(
    pool: asyncpg.Pool,
) -> None:
    repository = Repository(
        pool, Recorder(), build_mapper(), snapshots=SnapshotPolicy(every=100, types=(Counter,))
    )
    counter = Counter(label="long")
    await repository.save(counter)
    for batch in range(25):
        for i in range(10):
            counter.tick(f"{batch}-{i}")
        await repository.save(counter)
    versions = [
        r[0]
        for r in await pool.fetch(
            "SELECT originator_version FROM onewindow_snapshots ORDER BY originator_version"
        )
    ]
    assert versions == [101, 201]  # the saves that crossed 100 and 200
    loaded = await repository.get(Counter, counter.id)
    assert loaded.version == counter.version == 251
    assert loaded.ticks == counter.ticks

    plain = Repository(pool, Recorder(), build_mapper())
    await pool.execute("DELETE FROM onewindow_snapshots")
    assert (await plain.get(Counter, counter.id)).ticks == loaded.ticks
