"""Rate limits shared by every API process: fixed-window counters in PostgreSQL.

One row per (bucket, window): ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING hits`` counts a
request atomically whichever process serves it. Past the limit the request is refused with
``RateLimited`` (HTTP 429 ``rate_limited`` with ``Retry-After``) until the window ends. Windows
are cut from the app's clock, so tests can move time; expired rows are swept now and then.
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from domain.errors import DomainError

if TYPE_CHECKING:
    import asyncpg

    from backend.clock import Clock

__all__ = ["RateLimited", "RateLimiter", "RateLimits", "Rule"]

_SWEEP_EVERY = 60.0  # seconds between deletions of expired windows, per process
_MAX_KEY = 200
_RULE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+)\s*)?$")


class RateLimited(DomainError):
    """Too many requests in the current window; ``retry_after`` seconds until it ends."""

    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Rule(msgspec.Struct, frozen=True):
    """At most ``limit`` requests per ``window_seconds``; a limit of 0 means no limit."""

    limit: int
    window_seconds: int = 60

    @classmethod
    def parse(cls, text: str) -> Rule:
        """``"10"`` (per minute) or ``"10/60"`` (requests / seconds); ``"0"`` turns it off."""
        match = _RULE.match(text)
        if not match or (match.group(2) is not None and int(match.group(2)) <= 0):
            msg = f"a rate limit looks like 10 or 10/60 (requests/seconds): {text!r}"
            raise ValueError(msg)
        return cls(int(match.group(1)), int(match.group(2) or 60))


class RateLimits(msgspec.Struct, frozen=True, kw_only=True):
    """The limits (ONEWINDOW_RATE_LIMIT_*). Per-IP login limits count everyone behind one
    address together (mobile carrier NAT), so they are looser than the per-username one."""

    login_per_ip: Rule = Rule(60)  # wechat-login and staff-login, per client IP
    login_per_username: Rule = Rule(10)  # staff-login, per username tried
    create_per_citizen: Rule = Rule(30)  # creating POSTs (submit, upload, book, pay), per caller

    @classmethod
    def from_env(cls, env: dict[str, str]) -> RateLimits:
        """Read ``ONEWINDOW_RATE_LIMIT_LOGIN_PER_IP`` and friends; unset ones keep defaults."""
        values: dict[str, Rule] = {}
        for name in cls.__struct_fields__:
            text = env.get(f"ONEWINDOW_RATE_LIMIT_{name.upper()}")
            if text:
                values[name] = Rule.parse(text)
        return cls(**values)


class RateLimiter:
    """Counts requests per bucket in ``rate_limit_counters``; one per process."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock) -> None:
        self.pool = pool
        self.clock = clock
        self._swept = -math.inf

    async def hit(self, bucket: str, rule: Rule) -> None:
        """Count one request in ``bucket``; ``RateLimited`` when that passes ``rule``'s limit."""
        if rule.limit <= 0:
            return
        now = self.clock().timestamp()
        start = math.floor(now / rule.window_seconds) * rule.window_seconds
        end = start + rule.window_seconds
        hits = await self.pool.fetchval(
            "INSERT INTO rate_limit_counters (bucket, window_start, expires_at, hits)"
            " VALUES ($1, $2, $3, 1) ON CONFLICT (bucket, window_start)"
            " DO UPDATE SET hits = rate_limit_counters.hits + 1 RETURNING hits",
            bucket[:_MAX_KEY],
            datetime.fromtimestamp(start, UTC),
            datetime.fromtimestamp(end, UTC),
        )
        await self._sweep(now)
        if hits > rule.limit:
            retry_after = max(1, math.ceil(end - now))
            raise RateLimited(
                f"too many requests: at most {rule.limit} per {rule.window_seconds} s;"
                f" try again in {retry_after} s",
                retry_after,
            )

    async def _sweep(self, now: float) -> None:
        """Delete windows that ended (once a minute per process is plenty)."""
        tick = time.monotonic()
        if tick - self._swept < _SWEEP_EVERY:
            return
        self._swept = tick
        await self.pool.execute(
            "DELETE FROM rate_limit_counters WHERE expires_at < $1",
            datetime.fromtimestamp(now, UTC) - timedelta(seconds=1),
        )
