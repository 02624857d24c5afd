"""A write left in flight while the next is computed: its error is not lost, and a batch that
fails meanwhile still rolls back whole."""

from __future__ import annotations

import asyncpg
import pytest

from projections.in_flight import InFlight


async def test_each_statement_runs_in_order_in_the_transaction(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("CREATE TEMP TABLE written (n int)")
        async with conn.transaction():
            writes = InFlight(conn)
            for n in range(3):
                await writes.send("INSERT INTO written VALUES ($1)", n)
            await writes.done()
            assert await conn.fetchval("SELECT array_agg(n ORDER BY n) FROM written") == [0, 1, 2]


async def test_a_failed_statement_is_reported_when_the_next_one_is_sent(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        await conn.execute("CREATE TEMP TABLE written (n int CHECK (n > 0))")

        async def batch() -> None:
            async with conn.transaction():
                writes = InFlight(conn)
                await writes.send("INSERT INTO written VALUES ($1)", -1)
                await writes.send("INSERT INTO written VALUES ($1)", 1)

        with pytest.raises(asyncpg.CheckViolationError):
            await batch()
        assert await conn.fetchval("SELECT count(*) FROM written") == 0


async def test_a_batch_that_fails_while_a_write_runs_rolls_back_that_write_too(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        await conn.execute("CREATE TEMP TABLE written (n int)")

        async def batch() -> None:
            async with conn.transaction():
                writes = InFlight(conn)
                await writes.send("INSERT INTO written SELECT 1 FROM pg_sleep(0.05)")
                try:
                    raise ValueError("the next chunk cannot be computed")
                except BaseException:
                    await writes.abandon()  # the connection must be free for the rollback
                    raise

        with pytest.raises(ValueError, match="the next chunk"):
            await batch()
        assert await conn.fetchval("SELECT count(*) FROM written") == 0
