"""One WeChat access token for every process, kept in PostgreSQL.

WeChat allows a limited number of token fetches a day, and each fetch makes the previous token
stop working some minutes later, so processes must not fetch one each. The token lives in
``wechat_access_tokens``; a process keeps a copy in memory until 5 minutes before it expires.
A refresh locks the app's row (``SELECT ... FOR UPDATE``), looks again (another process may have
refreshed meanwhile: then that token is used), and only then fetches, so one process fetches
while the others wait on the lock. The fetch runs under the lock, inside that transaction: it
is one HTTP call bounded by the client's timeout, and a wait there is cheaper than two fetches
invalidating each other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

    from integrations.wechat.subscribe import AccessToken

__all__ = ["SharedAccessTokens"]

_READ = (
    "SELECT access_token, extract(epoch FROM expires_at - now())::float8 AS seconds_left"
    " FROM wechat_access_tokens WHERE appid = $1"
)


class SharedAccessTokens:
    """:class:`integrations.wechat.subscribe.AccessTokens` stored in PostgreSQL."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        key: str,
        fetch: Callable[[], Awaitable[AccessToken]],
        *,
        margin_seconds: float = 300.0,
    ) -> None:
        """``key``: the app's appid (the sandbox adds its fake's URL: see ``wiring``)."""
        self._pool = pool
        self._key = key
        self._fetch = fetch
        self._margin = margin_seconds
        self._cached: tuple[str, float] | None = None  # token, monotonic time to stop using it
        self._lock = asyncio.Lock()  # one refresh at a time within this process

    async def current(self) -> str:
        """A token valid for more than the margin: from memory, the table, or WeChat."""
        if self._cached is not None and time.monotonic() < self._cached[1]:
            return self._cached[0]
        row = await self._pool.fetchrow(_READ, self._key)
        if row is not None and row["access_token"] and row["seconds_left"] > self._margin:
            return self._keep(row["access_token"], row["seconds_left"])
        return await self.refresh(row["access_token"] if row is not None else None)

    async def refresh(self, stale: str | None) -> str:
        """A token other than ``stale``: another process's fresh one, or a newly fetched one."""
        self._cached = None
        async with self._lock, self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO wechat_access_tokens (appid) VALUES ($1) ON CONFLICT DO NOTHING",
                self._key,
            )
            row = await conn.fetchrow(_READ + " FOR UPDATE", self._key)
            assert row is not None  # inserted just above
            token, seconds_left = row["access_token"], row["seconds_left"]
            if token and token != stale and seconds_left > self._margin:
                return self._keep(token, seconds_left)
            fetched = await self._fetch()
            await conn.execute(
                "UPDATE wechat_access_tokens SET access_token = $2,"
                " expires_at = now() + make_interval(secs => $3), refreshed_at = now(),"
                " refreshes = refreshes + 1 WHERE appid = $1",
                self._key,
                fetched.value,
                float(fetched.expires_in),
            )
            return self._keep(fetched.value, float(fetched.expires_in))

    def _keep(self, token: str, seconds_left: float) -> str:
        self._cached = (token, time.monotonic() + seconds_left - self._margin)
        return token
