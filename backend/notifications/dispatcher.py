"""Sends the outbox through WeChat: claim due rows, send each once, record what happened.

Delivery is **at least once, narrowed to a crash window**: a row is claimed with a lease
(``status='sending'``, ``claimed_until``) in a short transaction, sent with no transaction
open, and its outcome recorded in another short one. Several dispatchers (in one or many
processes) never hold the same row, because claims use ``FOR UPDATE SKIP LOCKED`` and a claimed
row is not due until its lease runs out. The lease (60 s) is far longer than a send can take
(HTTP timeout 5 s, at most three calls: token fetch, send, send after a token refresh), so a
live dispatcher always records its outcome first (while the database is away it tries again,
for up to 3/4 of the lease). Only when a dispatcher dies (or hangs past its lease, or the
database stays away that long) between WeChat's answer and the recorded outcome is the message
sent again once the lease runs out: a duplicate is preferred to a lost message, and WeChat's
one-time quota usually refuses the duplicate anyway (43101). A send that timed out is retried
for the same reason.

Outcomes: accepted -> ``sent``; 43101 -> ``skipped`` (not an error: the citizen did not
subscribe); network errors, HTTP 5xx, busy codes (-1, 45009, 45011) and a token still refused
after one refresh -> ``pending`` again after an exponential backoff (:class:`RetryPolicy`),
``failed`` once the attempts are used up; any other error code (47003 bad data, 40003 bad
openid, 40037 bad template, ...) -> ``failed`` at once. Failed rows are what the stuck-case
list shows.

**Catching up after an outage.** The backoff spares WeChat while it is away, but left alone it
would also keep the backlog waiting long after WeChat is back (a row that failed four times
waits 40 s more, after seven over five minutes). So once WeChat answers again after this
dispatcher found it unreachable for at least ``RetryPolicy.outage_seconds``, the rows that
waited for it (pending, failed since the outage began) are made due at once
(:func:`outbox.retry_now`). Only ``pending`` rows are touched, never a claimed one: nothing is
sent twice. A row that fails for reasons of its own while WeChat answers others meets no
outage (other sends succeed in between), so it keeps its backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec

from backend.notifications import outbox
from integrations.wechat.errors import (
    AccessTokenInvalid,
    NotSubscribed,
    WeChatError,
    WeChatUnavailable,
)
from integrations.wechat.subscribe import SubscribeMessage
from projections.notifications import NOTIFY_CHANNEL

if TYPE_CHECKING:
    from uuid import UUID

    from asyncpg.pool import PoolConnectionProxy

    from backend.notifications.outbox import Claimed
    from integrations.wechat.subscribe import SubscribeSender

__all__ = ["Dispatcher", "RetryPolicy"]

_log = logging.getLogger(__name__)
_random = secrets.SystemRandom()
# A database hiccup must not end the dispatcher: it waits and tries again.
# (InternalClientError "cannot switch to state ...": a connection the server ended while a
# statement was on its way, at the instant PostgreSQL stops; it ended both workers' dispatchers
# in a ten-minute soak)
_DB_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Exponential backoff: ``base * 2**(n-1)`` seconds after the n-th failed attempt, at most
    ``max_seconds``, each ±``jitter``; ``failed`` after ``max_attempts`` attempts. The
    defaults wait 5 s, 10 s, 20 s ... 30 min: about 1 h 40 min over 12 attempts."""

    base_seconds: float = 5.0
    max_seconds: float = 1800.0
    max_attempts: int = 12
    jitter: float = 0.2
    # WeChat unreachable this long, then answering: the rows that waited are due at once
    outage_seconds: float = 2.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after ``attempts`` failed attempts."""
        raw = min(self.max_seconds, self.base_seconds * 2.0 ** max(0, attempts - 1))
        return float(raw * (1 + self.jitter * _random.uniform(-1, 1)))


class Dispatcher:
    """One sender of the outbox; run as many as wanted, in as many processes."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        sender: SubscribeSender,
        *,
        retry: RetryPolicy | None = None,
        batch_size: int = 10,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        stale_after_seconds: float = 2 * 24 * 3600,
    ) -> None:
        self.pool = pool
        self.sender = sender
        self.retry = retry or RetryPolicy()
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        # first deployment or a long outage: old events are not news any more
        self.stale_after_seconds = stale_after_seconds
        self._wake = asyncio.Event()
        # (event loop time) the first send WeChat did not answer since the last it answered
        self._unreachable_since: float | None = None

    async def run_once(self) -> int:
        """Claim one batch, send it, record the outcomes; return how many rows were settled
        or sent (0: nothing was due)."""
        # the outcome must be recorded before the lease runs out (another would send again)
        record_by = asyncio.get_running_loop().time() + 0.75 * self.lease_seconds
        claimed, settled = await outbox.claim(
            self.pool,
            limit=self.batch_size,
            lease_seconds=self.lease_seconds,
            stale_after_seconds=self.stale_after_seconds,
            max_attempts=self.retry.max_attempts,
        )
        # one citizen's messages go out in event order; different citizens' in parallel
        by_citizen: dict[UUID, list[Claimed]] = {}
        for item in claimed:
            by_citizen.setdefault(item.citizen_id, []).append(item)
        results = await asyncio.gather(
            *(self._deliver_in_order(items, record_by) for items in by_citizen.values()),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return len(claimed) + settled

    async def _deliver_in_order(self, items: list[Claimed], record_by: float) -> None:
        for item in items:
            await self._deliver(item, record_by)

    async def _deliver(self, item: Claimed, record_by: float) -> None:
        message = SubscribeMessage(item.openid, item.template_id, item.data, item.page)
        answered = True  # WeChat answered (whatever it said): it is reachable
        outcome: Callable[[], Awaitable[bool]]
        try:
            await self.sender.send(message)
        except NotSubscribed as exc:
            outcome = partial(outbox.record_skipped, self.pool, item, _describe(exc))
        except AccessTokenInvalid as exc:  # refused again right after a refresh
            outcome = partial(self._retry_or_fail, item, _describe(exc))
        except WeChatError as exc:
            outcome = partial(outbox.record_failed, self.pool, item, _describe(exc))
        except WeChatUnavailable as exc:
            answered = False
            if self._unreachable_since is None:
                self._unreachable_since = asyncio.get_running_loop().time()
            outcome = partial(self._retry_or_fail, item, str(exc))
        except Exception as exc:  # noqa: BLE001 - logged with its traceback; others go on
            answered = False  # (nor an outage: it tells nothing about WeChat)
            _log.exception("sending notification %s failed unexpectedly", item.id)
            outcome = partial(self._retry_or_fail, item, f"unexpected error: {exc!r}")
        else:
            outcome = partial(outbox.record_sent, self.pool, item)
        done = await self._record(outcome, item, record_by)
        if not done:
            _log.warning("notification %s: lease lost before the outcome was recorded", item.id)
        if answered:
            await self._answered_again()

    async def _answered_again(self) -> None:
        """WeChat answered: if it had been unreachable for a while, the rows that waited for
        it are due now instead of at the end of their backoff."""
        since, self._unreachable_since = self._unreachable_since, None
        if since is None:
            return
        away = asyncio.get_running_loop().time() - since
        if away < self.retry.outage_seconds:
            return
        # (rows other dispatchers failed a little before this one noticed: a minute's margin)
        count = await outbox.retry_now(self.pool, failed_within=away + 60.0)
        _log.info("WeChat answers again after %.0f s: %d waiting messages due now", away, count)

    async def _record(
        self, outcome: Callable[[], Awaitable[bool]], item: Claimed, record_by: float
    ) -> bool:
        """Record what WeChat said; while the database is away, try again until ``record_by``
        (before the lease runs out): the outcome is known, and a row left ``sending`` would be
        sent again once its lease ran out (a duplicate: seen when PostgreSQL stopped just
        after WeChat had accepted a batch)."""
        loop = asyncio.get_running_loop()
        delay = 0.1
        while True:
            try:
                return await outcome()
            except _DB_ERRORS:
                if loop.time() + delay >= record_by:
                    raise
                _log.warning("notification %s: recording its outcome failed; again", item.id)
                await asyncio.sleep(delay)
                delay = min(2 * delay, 2.0)

    async def _retry_or_fail(self, item: Claimed, error: str) -> bool:
        if item.attempts >= self.retry.max_attempts:
            return await outbox.record_failed(
                self.pool, item, f"gave up after {item.attempts} attempts: {error}"
            )
        return await outbox.record_retry(self.pool, item, error, self.retry.delay(item.attempts))

    async def drain(self) -> int:
        """Run batches until nothing is due now; return how many rows were handled."""
        total = 0
        while count := await self.run_once():
            total += count
        return total

    def wake(self) -> None:
        """Rows were written: look for due ones now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; sleep until woken (NOTIFY), a row falls due, or a poll."""
        listener: PoolConnectionProxy | None = None
        try:
            listener = await self.pool.acquire()
            await listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        except _DB_ERRORS:
            _log.warning("LISTEN failed; the dispatcher falls back to polling", exc_info=True)
        try:
            while not stop.is_set():
                self._wake.clear()
                wait = self.poll_seconds
                try:
                    while not stop.is_set() and await self.run_once():
                        pass
                    due = await outbox.next_due_in(self.pool)
                    if due is not None:  # a floor: a due row may be locked by another claim
                        wait = min(wait, max(due, 0.05))
                except _DB_ERRORS:
                    _log.warning("notification dispatcher: database error", exc_info=True)
                await _first_of(self._wake, stop, within=wait)
        finally:
            if listener is not None:
                with contextlib.suppress(*_DB_ERRORS):
                    await listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
                await self.pool.release(listener)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run in a background task; on exit, let the current batch finish and stop."""
        stop = asyncio.Event()
        task = asyncio.create_task(self.run(stop), name="notification-dispatcher")
        try:
            yield
        finally:
            stop.set()
            await task

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()


async def _first_of(*events: asyncio.Event, within: float) -> None:
    """Wait until one of ``events`` is set, at most ``within`` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _describe(exc: WeChatError) -> str:
    return f"{exc.errcode} {exc.errmsg}"
