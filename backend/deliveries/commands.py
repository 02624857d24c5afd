"""Courier delivery commands: order on issue, book, scans and outcomes, re-dispatch, pickup.

Every write that touches a delivery and its application runs in one transaction holding the
application's delivery lock (``delivery-of:<id>``), so a booking, a courier's report, a route
push and a supervisor's action on the same case never interleave. The call to the courier
company itself never runs inside a transaction (see ``backend.deliveries.dispatcher``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from backend.deliveries import orders
from backend.deliveries.dto import DeliveryRecorded, Redispatched
from backend.deliveries.issue import lock_key, new_delivery
from backend.eventstore.retry import retry_on_conflict
from backend.files.ownership import attach_files
from backend.handling import CommandAccepted, accepted
from domain.application import Application
from domain.delivery import Delivery, Report, book, cancel_for_pickup, record_report
from domain.errors import InvalidState, NotFound, ValidationFailed
from integrations.courier import Contact, CourierOrder

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.deliveries.orders import Claimed
    from backend.services import Services
    from integrations.courier import Route

__all__ = [
    "PushOutcome",
    "apply_routes",
    "courier_order",
    "load_for_booking",
    "record_booking",
    "redispatch",
    "report",
    "switch_to_pickup",
]

_log = logging.getLogger(__name__)
# a courier's clock may run a little ahead of ours; more than this is a mistake
_FUTURE_SLACK = timedelta(minutes=5)


async def redispatch(services: Services, staff: Principal, application_id: UUID) -> Redispatched:
    """After a final failure, a supervisor sends the result again: a new courier order."""
    now = services.clock()

    async def attempt() -> Redispatched:
        async with services.repository.session() as session:
            await session.lock(lock_key(application_id))
            application = await session.get(Application, application_id)
            application.ensure_visible_to(staff.actor())
            current = await orders.open_order_of(session.conn, application_id)
            if current is not None and current[1] == "pending":
                raise InvalidState("该结果的快递正在下单", code="delivery_being_booked")
            delivery = new_delivery(services, application, now, staff)
            saved = await session.save(delivery, after_insert=orders.inserter(delivery))
        return Redispatched(
            id=str(application_id),
            status=application.status,
            position=saved.position,
            delivery_id=str(delivery.id),
        )

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def switch_to_pickup(
    services: Services, staff: Principal, application_id: UUID, reason: str
) -> CommandAccepted:
    """The citizen collects the result at the window; an open courier order is cancelled."""
    now = services.clock()

    async def attempt() -> CommandAccepted:
        async with services.repository.session() as session:
            await session.lock(lock_key(application_id))
            application = await session.get(Application, application_id)
            application.ensure_visible_to(staff.actor())
            current = await orders.open_order_of(session.conn, application_id)
            delivery = await session.get(Delivery, current[0]) if current else None
            cancel_for_pickup(application, delivery, actor=staff.actor(), reason=reason, at=now)
            changed: list[Any] = [application]
            if delivery is not None and delivery.pending_events:
                changed.append(delivery)
                await orders.mark_cancelled(session.conn, delivery.id)
            saved = await session.save(*changed)
        return accepted(application_id, application.status, saved)

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def report(
    services: Services, courier: Principal, delivery_id: UUID, event: Report
) -> DeliveryRecorded:
    """A courier of the delivery's company reports a scan or an outcome from the app."""
    now = services.clock()
    if event.at.tzinfo is None:
        raise ValidationFailed(
            "时间须带时区（如 +08:00）", {"at": "缺少时区"}, code="time_without_offset"
        )
    if event.at > now + _FUTURE_SLACK:
        raise ValidationFailed(
            "该时间晚于当前时间", {"at": "不能晚于当前时间"}, code="event_in_future"
        )
    if event.file_id is not None:
        owned = await services.pool.fetchval(
            "SELECT true FROM files WHERE id = $1 AND owner_id = $2",
            UUID(event.file_id),
            UUID(courier.id),
        )
        if not owned:
            raise ValidationFailed("照片不存在", {"fileId": "请先上传照片"})

    async def attempt() -> DeliveryRecorded:
        found = await services.repository.get(Delivery, delivery_id)
        if courier.department is None or found.company != courier.department:
            raise NotFound("快递任务不存在")  # another company's: never say whose
        async with services.repository.session() as session:
            await session.lock(lock_key(found.application_id))
            delivery = await session.get(Delivery, delivery_id)
            application = await session.get(Application, delivery.application_id)
            record_report(delivery, application, event, actor=courier.actor())
            saved = await session.save(delivery, application)
            photo = UUID(event.file_id) if event.file_id is not None else None
            await attach_files(session.conn, [photo])
        return DeliveryRecorded(
            id=str(delivery.id),
            application_id=str(application.id),
            status=delivery.status,
            position=saved.position,
        )

    return await retry_on_conflict(attempt, services.settings.command_retries)


class PushOutcome(msgspec.Struct, frozen=True):
    """What a route push did: routes applied, ignored (meaningless or impossible for us),
    already seen (a replay), or about waybills that are not ours."""

    applied: int = 0
    ignored: int = 0
    duplicates: int = 0
    unknown: int = 0


async def apply_routes(services: Services, company: str, routes: list[Route]) -> PushOutcome:
    """Apply a route push in order, in one transaction with the route ids it saw."""
    now = services.clock()

    async def attempt() -> PushOutcome:
        counts = {"applied": 0, "ignored": 0, "duplicates": 0, "unknown": 0}
        async with services.repository.session() as session:
            conn = session.conn
            known = await orders.find_by_waybill(
                conn, company, sorted({r.waybill_no for r in routes})
            )
            for application_id in sorted({a for _, a in known.values()}):
                await session.lock(lock_key(application_id))
            loaded: dict[UUID, tuple[Delivery, Application]] = {}
            for route in routes:
                found = known.get(route.waybill_no)
                if found is None:
                    _log.info("route push for %s waybill %s: not ours", company, route.waybill_no)
                    counts["unknown"] += 1
                    continue
                delivery_id, application_id = found
                fresh = await conn.fetchval(
                    "INSERT INTO courier_routes_seen (company, route_id, delivery_id, op_code,"
                    " outcome) VALUES ($1, $2, $3, $4, 'applied') ON CONFLICT DO NOTHING"
                    " RETURNING true",
                    company,
                    route.route_id,
                    delivery_id,
                    route.op_code,
                )
                if not fresh:
                    counts["duplicates"] += 1
                    continue
                if delivery_id not in loaded:
                    loaded[delivery_id] = (
                        await session.get(Delivery, delivery_id),
                        await session.get(Application, application_id),
                    )
                if _apply(route, *loaded[delivery_id], now=now):
                    counts["applied"] += 1
                    continue
                counts["ignored"] += 1
                await conn.execute(
                    "UPDATE courier_routes_seen SET outcome = 'ignored'"
                    " WHERE company = $1 AND route_id = $2",
                    company,
                    route.route_id,
                )
            changed = [a for pair in loaded.values() for a in pair if a.pending_events]
            if changed:
                await session.save(*changed)
        return PushOutcome(**counts)

    return await retry_on_conflict(attempt, services.settings.command_retries)


def _apply(route: Route, delivery: Delivery, application: Application, *, now: datetime) -> bool:
    """Record one route; False when it means nothing for us or cannot happen now (a late or
    repeated scan): SF's pushes are facts we cannot refuse, so those are kept as seen only."""
    if route.kind is None:
        return False
    event = Report(
        kind=route.kind,
        # the company's clock may differ a little from ours: a push is dated within what the
        # delivery already knows and now
        at=min(max(route.at, delivery.modified_on), now),
        location=route.location[:200],
        note=route.remark[:500],
        signed_by=route.signed_by[:100],
        reason=route.reason[:500],
    )
    try:
        record_report(delivery, application, event, actor=None)
    except (InvalidState, ValidationFailed) as exc:
        _log.info(
            "route %s (opCode %s) of %s ignored: %s",
            route.route_id,
            route.op_code,
            route.waybill_no,
            exc.detail,
        )
        return False
    return True


# --- booking (run by the dispatcher, outside any transaction while calling the company) -------


async def load_for_booking(
    services: Services, item: Claimed, sender_phone: str
) -> CourierOrder | None:
    """What to send the company for a claimed order; None when there is nothing to book any
    more (booked meanwhile, or cancelled), in which case the order is settled."""
    delivery = await services.repository.get(Delivery, item.delivery_id)
    if delivery.status != "requested":
        async with services.pool.acquire() as conn:
            if delivery.waybill_no:
                await orders.mark_booked(conn, delivery.id, delivery.waybill_no)
            else:
                await orders.mark_cancelled(conn, delivery.id)
        return None
    application = await services.repository.get(Application, item.application_id)
    return courier_order(application, delivery.order_id, sender_phone)


def courier_order(application: Application, order_id: str, sender_phone: str) -> CourierOrder:
    """The parcel: from the lead department's window to the applicant's address."""
    address = application.delivery.address
    if address is None:  # the applicant's personal data was erased
        raise InvalidState("收件地址已不可用（申请人的个人信息已删除）", code="address_erased")
    service = application.service
    sender = Contact(
        name=service.department,
        phone=sender_phone,
        address=service.pickup_place or service.department,
        company=service.department,
    )
    recipient = Contact(
        name=address.name,
        phone=address.phone,
        province=address.province,
        city=address.city,
        district=address.district,
        address=address.detail,
    )
    return CourierOrder(
        order_id=order_id,
        sender=sender,
        recipient=recipient,
        cargo=f"{service.name}办理结果",
        remark=f"办件编号{application.number}",
    )


async def record_booking(services: Services, item: Claimed, waybill_no: str) -> bool:
    """The company booked the order: record the waybill on the delivery and the application
    (and settle the order) in one transaction. False when the case no longer wanted a courier:
    the delivery is cancelled instead."""
    now = services.clock()

    async def attempt() -> bool:
        async with services.repository.session() as session:
            await session.lock(lock_key(item.application_id))
            delivery = await session.get(Delivery, item.delivery_id)
            if delivery.status != "requested":
                return delivery.waybill_no == waybill_no
            application = await session.get(Application, item.application_id)
            try:
                book(delivery, application, waybill_no=waybill_no, at=now)
            except InvalidState as exc:
                _log.warning("courier order %s not needed any more: %s", item.order_id, exc.detail)
                delivery.cancel(reason=f"不再需要寄送：{exc.detail}", actor=None, at=now)
                await session.save(delivery)
                await orders.mark_cancelled(session.conn, delivery.id)
                return False
            await session.save(delivery, application)
            await orders.mark_booked(session.conn, delivery.id, waybill_no)
            return True

    return await retry_on_conflict(attempt, services.settings.command_retries)
