"""What an API process remembers about logged-out tokens is bounded: logouts for as long as the
process runs do not grow it, and a token it forgot is still refused (the table keeps it until
it expires)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from backend.auth.revocations import TokenRevocations


async def test_remembered_answers_stay_bounded_and_a_forgotten_logout_is_still_refused(
    pool: asyncpg.Pool,
) -> None:
    revocations = TokenRevocations(pool, cache_size=10)
    expires = datetime.now(UTC) + timedelta(hours=1)
    logged_out = [f"out-{i}" for i in range(25)]
    for token_id in logged_out:
        await revocations.revoke(token_id, expires)
        assert revocations.cached <= 10
    for i in range(25):
        assert not await revocations.is_revoked(f"in-{i}")
        assert revocations.cached <= 20  # at most cache_size of each kind

    other_process = TokenRevocations(pool, cache_size=10)
    assert [await other_process.is_revoked(t) for t in logged_out] == [True] * 25
    assert [await revocations.is_revoked(t) for t in logged_out] == [True] * 25
    assert other_process.cached <= 10
