"""Books courier orders with the company, outside the transactions that asked for them.

Issuing a result for courier delivery (or a re-dispatch) writes a requested ``Delivery`` and a
pending ``courier_orders`` row in one transaction, and NOTIFYs. This dispatcher claims due rows
with a lease (``FOR UPDATE SKIP LOCKED``: several dispatchers, in any number of processes, never
hold the same one), calls the company with no transaction open, and records the waybill on the
delivery and the application, and settles the row, in one transaction.

Idempotency is the company's order id, one per delivery (SF ``orderId``): when a dispatcher dies
between SF's answer and the recorded waybill, the lease runs out and the next attempt asks for
the same order id, which SF answers with the waybill it already gave (8016, then a search).
Network errors and "try later" answers are retried with exponential backoff; refusals too,
more slowly (someone must fix the account or the data), and they show as stuck cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING

import asyncpg

from backend.deliveries import orders
from backend.deliveries.commands import load_for_booking, record_booking
from domain.errors import DomainError
from integrations.courier import CourierRefused, CourierUnavailable

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    from backend.deliveries.orders import Claimed
    from backend.services import Services

__all__ = ["BookingDispatcher", "retry_delay"]

_log = logging.getLogger(__name__)
_random = secrets.SystemRandom()
# (InternalClientError "cannot switch to state ...": a connection the server ended while a
# statement was on its way, at the instant PostgreSQL stops; it ended both workers' dispatchers
# in a ten-minute soak)
_DB_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)


def retry_delay(attempts: int, *, refused: bool = False) -> float:
    """Seconds before the next try after ``attempts`` failed ones: 5 s doubling up to 30 min
    when the company was unreachable, 60 s doubling up to 1 h when it refused; ±20 %."""
    base, cap = (60.0, 3600.0) if refused else (5.0, 1800.0)
    raw = min(cap, base * 2.0 ** max(0, attempts - 1))
    return raw * (1 + 0.2 * _random.uniform(-1, 1))


class BookingDispatcher:
    """Books pending courier orders until stopped."""

    def __init__(
        self,
        services: Services,
        *,
        batch_size: int = 10,
        lease_seconds: float = 60.0,
        poll_seconds: float | None = None,
    ) -> None:
        self.services = services
        self.batch_size = batch_size
        # far longer than one booking can take (two calls with a 10 s timeout each)
        self.lease_seconds = lease_seconds
        self.poll_seconds = (
            poll_seconds if poll_seconds is not None else services.settings.courier.poll_seconds
        )
        self._wake = asyncio.Event()

    async def run_once(self) -> int:
        """Claim one batch and book it; return how many orders were claimed."""
        claimed = await orders.claim(
            self.services.pool, limit=self.batch_size, lease_seconds=self.lease_seconds
        )
        results = await asyncio.gather(
            *(self._book(item) for item in claimed), return_exceptions=True
        )
        for item, result in zip(claimed, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                _log.error(
                    "booking courier order %s failed unexpectedly",
                    item.order_id,
                    exc_info=result,
                )
                await orders.record_retry(
                    self.services.pool,
                    item,
                    f"unexpected error: {result!r}",
                    retry_delay(item.attempts),
                )
        return len(claimed)

    async def _book(self, item: Claimed) -> None:
        couriers = self.services.couriers
        company = couriers.companies.get(item.company) if couriers is not None else None
        if couriers is None or company is None:
            error = f"no courier company {item.company!r} is configured"
            await orders.record_retry(self.services.pool, item, error, 300.0)
            return
        try:
            order = await load_for_booking(self.services, item, couriers.sender_phone)
        except DomainError as exc:  # nothing to send it to: a supervisor switches to pickup
            _log.error("courier order %s cannot be booked: %s", item.order_id, exc.detail)
            await orders.record_retry(self.services.pool, item, exc.detail, 3600.0)
            return
        if order is None:
            return
        try:
            booking = await company.book(order)
        except CourierUnavailable as exc:
            _log.warning("courier order %s: %s; retrying", item.order_id, exc)
            await orders.record_retry(
                self.services.pool, item, str(exc), retry_delay(item.attempts)
            )
            return
        except CourierRefused as exc:
            _log.error("courier order %s refused by %s: %s", item.order_id, item.company, exc)
            delay = retry_delay(item.attempts, refused=True)
            await orders.record_retry(self.services.pool, item, f"refused {exc}", delay)
            return
        await record_booking(self.services, item, booking.waybill_no)

    async def drain(self) -> int:
        """Book batches until nothing is due now; return how many orders were claimed."""
        total = 0
        while count := await self.run_once():
            total += count
        return total

    def wake(self) -> None:
        """Orders were written: look for due ones now."""
        self._wake.set()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Book until ``stop`` is set; sleep until woken (NOTIFY), an order falls due, or a poll."""
        listener: PoolConnectionProxy | None = None
        pool = self.services.pool
        try:
            listener = await pool.acquire()
            await listener.add_listener(orders.NOTIFY_CHANNEL, self._on_notify)
        except _DB_ERRORS:
            _log.warning(
                "LISTEN failed; the booking dispatcher falls back to polling", exc_info=True
            )
        try:
            while not stop.is_set():
                self._wake.clear()
                wait = self.poll_seconds
                try:
                    while not stop.is_set() and await self.run_once():
                        pass
                    due = await orders.next_due_in(pool)
                    if due is not None:
                        wait = min(wait, max(due, 0.05))
                except _DB_ERRORS:
                    _log.warning("booking dispatcher: database error", exc_info=True)
                await _first_of(self._wake, stop, within=wait)
        finally:
            if listener is not None:
                with contextlib.suppress(*_DB_ERRORS):
                    await listener.remove_listener(orders.NOTIFY_CHANNEL, self._on_notify)
                await pool.release(listener)


async def _first_of(wake: asyncio.Event, stop: asyncio.Event, *, within: float) -> None:
    """Return when either event is set or ``within`` seconds have passed."""
    waiters = [asyncio.create_task(wake.wait()), asyncio.create_task(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
