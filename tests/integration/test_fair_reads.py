"""Read-model queries are served in the order they came, not to whoever asks last."""

from __future__ import annotations

import asyncio

from backend.db import connect_pool
from backend.db.fair import FairQueries


async def _arrivals_served(queries: FairQueries) -> list[int]:
    """One connection; a long query holds it while 1..5 queue up, then, the moment it is
    freed, 6..8 arrive: the order the eight queries ran in."""
    served: list[int] = []

    async def query(number: int, seconds: float) -> None:
        await queries.fetchval("SELECT pg_sleep($1::float8)", seconds)
        served.append(number)

    holder = asyncio.create_task(query(0, 0.3))
    await asyncio.sleep(0.1)
    waiting = [asyncio.create_task(query(n, 0.01)) for n in range(1, 6)]
    await asyncio.sleep(0.05)
    await holder  # the connection is free now; newcomers ask in this very turn
    newcomers = [asyncio.create_task(query(n, 0.01)) for n in range(6, 9)]
    await asyncio.gather(*waiting, *newcomers)
    return served


async def test_queued_queries_go_first_and_newcomers_wait_their_turn(db_url: str) -> None:
    pool = await connect_pool(db_url, min_size=1, max_size=1)
    try:
        served = await _arrivals_served(FairQueries(pool))
    finally:
        await pool.close()

    assert served == [0, 1, 2, 3, 4, 5, 6, 7, 8]
