"""Courier tasks: one row per courier order, what couriers of each company have to do."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from domain.delivery import Delivery
from domain.personal import text_of
from projections.texts import china_iso

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["DeliveryProjection"]

# the columns an event sets, and its entry in the delivery's history
Change = tuple[dict[str, Any], dict[str, Any]]


def _entry(event: Event, kind: str, **fields: Any) -> dict[str, Any]:
    return {"at": china_iso(event.timestamp), "type": kind, **fields}


class DeliveryProjection:
    """Keeps ``delivery_view``."""

    name: str = "deliveries"
    tables: tuple[str, ...] = ("delivery_view",)

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        if isinstance(event, Delivery.DeliveryRequested):
            await conn.execute(
                "INSERT INTO delivery_view (id, application_id, company, order_id, status,"
                " max_attempts, redispatch, events, requested_at, updated_at, version)"
                " VALUES ($1, $2, $3, $4, 'requested', $5, $6, $7, $8, $8, $9)"
                " ON CONFLICT (id) DO NOTHING",
                event.originator_id,
                event.application_id,
                event.company,
                event.order_id,
                event.max_attempts,
                event.redispatch,
                [_entry(event, "requested")],
                event.timestamp,
                event.originator_version,
            )
            return
        change = self._change(event)
        if change is None:
            return
        columns, entry = change
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=5))
        await conn.execute(
            f"UPDATE delivery_view SET events = events || $2::jsonb, updated_at = $3,"  # noqa: S608
            f" version = $4{', ' if columns else ''}{assignments} WHERE id = $1",
            event.originator_id,
            [entry],
            event.timestamp,
            event.originator_version,
            *columns.values(),
        )

    @staticmethod
    def _change(event: Event) -> Change | None:
        """The columns an event sets (names are constants here) and its history entry."""
        change = _CHANGES.get(type(event))
        return change(event) if change is not None else None


def _booked(event: Delivery.DeliveryBooked) -> Change:
    entry = _entry(event, "booked", waybillNo=event.waybill_no)
    return {"status": "booked", "waybill_no": event.waybill_no}, entry


def _scanned(event: Delivery.DeliveryScanned) -> Change:
    return {"status": event.step}, _entry(event, event.step, location=event.location)


def _attempt_failed(event: Delivery.DeliveryAttemptFailed) -> Change:
    status = "failed" if event.final else "attempt_failed"
    reason = text_of(event.reason)
    entry = _entry(event, "failed", reason=reason, attempts=event.attempts, final=event.final)
    return {"status": status, "attempts": event.attempts}, entry


def _signed_for(event: Delivery.DeliverySignedFor) -> Change:
    # who signed is personal data: it stays in the event
    return {"status": "delivered", "proof_file_id": event.file_id}, _entry(event, "delivered")


def _returned(event: Delivery.DeliveryReturned) -> Change:
    return {"status": "returned"}, _entry(event, "returned", reason=text_of(event.reason))


def _cancelled(event: Delivery.DeliveryCancelled) -> Change:
    return {"status": "cancelled"}, _entry(event, "cancelled", reason=event.reason)


_CHANGES: dict[type[Any], Callable[[Any], Change]] = {
    Delivery.DeliveryBooked: _booked,
    Delivery.DeliveryScanned: _scanned,
    Delivery.DeliveryAttemptFailed: _attempt_failed,
    Delivery.DeliverySignedFor: _signed_for,
    Delivery.DeliveryReturned: _returned,
    Delivery.DeliveryCancelled: _cancelled,
}
