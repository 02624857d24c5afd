"""Rate limits shared by every API process: fixed-window counters in PostgreSQL.

One row per (bucket, window): ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING hits`` counts a
request atomically whichever process serves it. Past the limit the request is refused with
``RateLimited`` (HTTP 429 ``rate_limited`` with ``Retry-After``) until the window ends. Windows
are cut from the app's clock, so tests can move time; expired rows are swept now and then.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from domain.errors import DomainError

if TYPE_CHECKING:
    import asyncpg

    from backend.clock import Clock

__all__ = ["LoginBackoff", "LoginThrottle", "RateLimited", "RateLimiter", "RateLimits", "Rule"]

_log = logging.getLogger(__name__)
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
    address together (mobile carrier NAT), so they are loose; wrong passwords are slowed per
    username and client by ``LoginBackoff`` instead."""

    login_per_ip: Rule = Rule(60)  # wechat-login and staff-login, per client IP
    create_per_citizen: Rule = Rule(30)  # creating POSTs (submit, book, pay), per caller
    # uploads, per caller: a submission of many multi-page materials uploads dozens of files,
    # so they have a budget of their own (the upload quota bounds what they may hold)
    upload_per_citizen: Rule = Rule(120)

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
                f"请求过于频繁：每{rule.window_seconds}秒最多{rule.limit}次，"
                f"请{retry_after}秒后再试",
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


def username_key(username: str) -> str:
    """A username as the throttle keeps it: hashed (any text may be tried, none is stored)."""
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class LoginBackoff(msgspec.Struct, frozen=True, kw_only=True):
    """Wrong passwords for one username from one client: ``free_attempts`` of them cost
    nothing, then each makes the next wait twice as long (1 s, 2 s, 4 s ... ``max_seconds``).
    ``spray_clients`` clients failing on one username within ``spray_window_seconds`` is an
    attack on that account (a metric and a warning; the account itself stays usable)."""

    free_attempts: int = 5
    max_seconds: int = 900
    spray_clients: int = 5
    spray_window_seconds: int = 600

    def delay(self, failures: int) -> int:
        """Seconds the pair must wait after ``failures`` wrong passwords in a row."""
        if failures < self.free_attempts:
            return 0
        return min(1 << min(failures - self.free_attempts, 30), self.max_seconds)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> LoginBackoff:
        """``ONEWINDOW_LOGIN_FREE_ATTEMPTS`` and ``ONEWINDOW_LOGIN_BACKOFF_MAX_SECONDS``."""
        return cls(
            free_attempts=int(env.get("ONEWINDOW_LOGIN_FREE_ATTEMPTS", 5)),
            max_seconds=int(env.get("ONEWINDOW_LOGIN_BACKOFF_MAX_SECONDS", 900)),
        )


class LoginThrottle:
    """Back-off of failed staff logins per (username, client), shared through PostgreSQL."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        policy: LoginBackoff,
        on_spray: Callable[[], None] | None = None,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.policy = policy
        self.on_spray = on_spray

    async def check(self, username: str, client: str) -> None:
        """``RateLimited`` while this client must wait before trying this username again."""
        blocked_until: datetime | None = await self.pool.fetchval(
            "SELECT blocked_until FROM login_failures WHERE username_key = $1 AND client = $2",
            username_key(username),
            client,
        )
        now = self.clock()
        if blocked_until is not None and blocked_until > now:
            wait = max(1, math.ceil((blocked_until - now).total_seconds()))
            raise RateLimited(f"密码错误次数过多，请{wait}秒后再试", wait)

    async def failed(self, username: str, client: str) -> None:
        """A wrong password: one more failure for the pair; an alert when many clients fail
        on one username (password spraying or guessing from many addresses)."""
        now = self.clock()
        key = username_key(username)
        failures = await self.pool.fetchval(
            "INSERT INTO login_failures (username_key, client, failures, blocked_until,"
            " last_failure_at) VALUES ($1, $2, 1, $3, $3) ON CONFLICT (username_key, client)"
            " DO UPDATE SET failures = login_failures.failures + 1, last_failure_at = $3"
            " RETURNING failures",
            key,
            client[:_MAX_KEY],
            now,
        )
        delay = self.policy.delay(int(failures))
        if delay:
            await self.pool.execute(
                "UPDATE login_failures SET blocked_until = $3"
                " WHERE username_key = $1 AND client = $2",
                key,
                client[:_MAX_KEY],
                now + timedelta(seconds=delay),
            )
        clients = await self.pool.fetchval(
            "SELECT count(*) FROM login_failures WHERE username_key = $1 AND last_failure_at > $2",
            key,
            now - timedelta(seconds=self.policy.spray_window_seconds),
        )
        if int(clients) >= self.policy.spray_clients:
            _log.warning(
                "failed logins for one username from %d clients in %d s: an attack on it?",
                clients,
                self.policy.spray_window_seconds,
            )
            if self.on_spray is not None:
                self.on_spray()

    async def succeeded(self, username: str, client: str) -> None:
        """The right password: this pair starts afresh."""
        await self.pool.execute(
            "DELETE FROM login_failures WHERE username_key = $1 AND client = $2",
            username_key(username),
            client[:_MAX_KEY],
        )
