"""The courier delivery of a result, with its application, driven without a database."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from importlib.resources import files
from typing import Any

import pytest

from domain.actors import Actor
from domain.application import Application, Delivery
from domain.catalog import ServiceDefinition, parse_definition
from domain.delivery import Delivery as CourierDelivery
from domain.delivery import Report, book, cancel_for_pickup, order_id_of, record_report
from domain.errors import Forbidden, InvalidState, ValidationFailed
from domain.personal import Personal, text_of
from projections.notification_templates import load_templates
from tests.unit.test_application import (
    CALENDAR,
    FOOD,
    LEAD,
    SUPERVISOR,
    approve_every_stage,
    at,
    courier_address,
    staff,
    submit,
)

COURIER = Actor(id="courier-1", role="courier", department="sf")


@pytest.fixture(scope="module")
def catalogue() -> dict[str, ServiceDefinition]:
    resource = files("backend") / "demo" / "catalog.json"
    raw: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return {entry["code"]: parse_definition(entry) for entry in raw["services"]}


def issued(catalogue: dict[str, ServiceDefinition], *, courier: bool = True) -> Application:
    delivery = Delivery(method="courier", address=courier_address()) if courier else None
    app = submit(catalogue[FOOD], delivery=delivery)
    app.accept(actor=staff(LEAD, "clerk"), calendar=CALENDAR, at=at(1))
    approve_every_stage(app)
    app.issue_result(actor=staff(LEAD, "clerk"), document_no="JY1", at=at(30))
    return app


def requested(app: Application, max_attempts: int = 2, actor: Actor | None = None) -> Any:
    return CourierDelivery.request(
        id=uuid.uuid4(),
        application=app,
        company="sf",
        max_attempts=max_attempts,
        at=at(31),
        actor=actor,
    )


def dispatched(
    catalogue: dict[str, ServiceDefinition], max_attempts: int = 2
) -> tuple[CourierDelivery, Application]:
    app = issued(catalogue)
    delivery = requested(app, max_attempts)
    book(delivery, app, waybill_no="SF1400000000001", at=at(32))
    return delivery, app


def report(kind: Any, minute: int, **fields: Any) -> Report:
    return Report(kind=kind, at=at(minute), **fields)


def move(delivery: CourierDelivery, app: Application, *steps: str, start: int = 40) -> datetime:
    minute = start
    for step in steps:
        fields: dict[str, str] = {}
        if step == "failed":
            fields["reason"] = "收件人不在"
        if step == "delivered":
            fields["signed_by"] = "张三"
        record_report(delivery, app, report(step, minute, **fields), actor=COURIER)
        minute += 1
    return at(minute)


def test_a_courier_order_is_requested_only_for_an_issued_courier_result(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    with pytest.raises(InvalidState):
        requested(issued(catalogue, courier=False))
    delivery = requested(issued(catalogue))
    assert delivery.status == "requested"
    assert delivery.order_id == order_id_of(delivery.id)
    assert delivery.order_id.startswith("OW")
    assert len(delivery.order_id) <= 64  # SF orderId


def test_booking_puts_the_application_out_for_delivery_with_the_waybill(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    delivery, app = dispatched(catalogue)
    assert delivery.status == "booked"
    assert delivery.waybill_no == "SF1400000000001"
    assert app.status == "delivering"
    with pytest.raises(InvalidState):
        book(delivery, app, waybill_no="SF1400000000002", at=at(33))


def test_the_parcel_goes_through_its_scans_to_the_door_and_completes_the_case(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    delivery, app = dispatched(catalogue)
    move(delivery, app, "picked_up", "in_transit", "in_transit", "out_for_delivery")
    record_report(
        delivery, app, report("delivered", 60, signed_by=" 张三 ", file_id="f-1"), actor=COURIER
    )
    assert delivery.status == "delivered"
    assert (text_of(delivery.signed_by), delivery.proof_file_id) == ("张三", "f-1")
    assert isinstance(delivery.signed_by, Personal)  # a name: sealed under the applicant's key
    assert delivery.signed_by.owner == app.citizen_id
    assert app.status == "completed"
    assert app.finished_at == at(60)
    types = [type(e).__name__ for e in app.collect_events()]
    assert types[-6:] == [
        "DeliveryDispatched",
        "DeliveryProgressed",
        "DeliveryProgressed",
        "DeliveryProgressed",
        "DeliveryProgressed",
        "Delivered",
    ]


@pytest.mark.parametrize(
    ("done", "kind"),
    [
        ((), "delivered"),  # not picked up yet
        ((), "failed"),
        ((), "in_transit"),
        (("picked_up",), "picked_up"),
        (("picked_up", "in_transit"), "failed"),  # a failed attempt is at the door
        (("picked_up", "delivered"), "in_transit"),
        (("picked_up", "returned"), "delivered"),
    ],
)
def test_impossible_transitions_are_refused_and_change_nothing(
    catalogue: dict[str, ServiceDefinition], done: tuple[str, ...], kind: str
) -> None:
    delivery, app = dispatched(catalogue)
    move(delivery, app, *done)
    before = (delivery.status, delivery.version, app.status, app.version)
    fields = {"reason": "收件人不在", "signed_by": "张三"}
    with pytest.raises(InvalidState):
        record_report(delivery, app, report(kind, 80, **fields), actor=COURIER)
    assert (delivery.status, delivery.version, app.status, app.version) == before


def test_the_companys_word_that_a_parcel_was_signed_for_is_taken_without_a_pickup_scan(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    delivery, app = dispatched(catalogue)
    with pytest.raises(InvalidState):  # a courier in the app scans the pick-up first
        record_report(delivery, app, report("delivered", 50, signed_by="张三"), actor=COURIER)
    record_report(delivery, app, report("delivered", 50, signed_by="本人"), actor=None)
    assert (delivery.status, app.status) == ("delivered", "completed")


def test_signing_needs_a_name_and_a_failure_needs_a_reason(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    delivery, app = dispatched(catalogue)
    move(delivery, app, "picked_up", "out_for_delivery")
    with pytest.raises(ValidationFailed) as info:
        record_report(delivery, app, report("delivered", 50, signed_by=" "), actor=COURIER)
    assert set(info.value.errors) == {"signedBy"}
    with pytest.raises(ValidationFailed) as info:
        record_report(delivery, app, report("failed", 50), actor=COURIER)
    assert set(info.value.errors) == {"reason"}
    assert delivery.status == "out_for_delivery"


def test_attempts_are_counted_and_the_last_allowed_failure_is_final(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    delivery, app = dispatched(catalogue, max_attempts=2)
    move(delivery, app, "picked_up", "out_for_delivery", "failed")
    assert (delivery.status, delivery.attempts) == ("attempt_failed", 1)
    assert app.status == "delivering"
    assert not app.delivery_failed
    move(delivery, app, "out_for_delivery", "failed", start=60)
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.closed
    assert app.delivery_failed  # a stuck case: a supervisor re-dispatches or switches
    failures = [e for e in app.collect_events() if type(e).__name__ == "DeliveryFailed"]
    assert [(e.attempts, e.final) for e in failures] == [(1, False), (2, True)]  # type: ignore[attr-defined]


def test_a_returned_parcel_is_a_final_failure(catalogue: dict[str, ServiceDefinition]) -> None:
    delivery, app = dispatched(catalogue)
    move(delivery, app, "picked_up")
    record_report(delivery, app, report("returned", 50, reason="地址不详"), actor=None)
    assert delivery.status == "returned"
    assert app.delivery_failed
    last = app.collect_events()[-1]
    assert type(last).__name__ == "DeliveryFailed"
    assert text_of(last.reason) == "快件已退回：地址不详"  # type: ignore[attr-defined]


def test_only_a_supervisor_redispatches_after_a_final_failure_with_a_new_order(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    delivery, app = dispatched(catalogue, max_attempts=1)
    with pytest.raises(InvalidState):  # still on its way: nothing to re-dispatch
        requested(app, actor=SUPERVISOR)
    move(delivery, app, "picked_up", "out_for_delivery", "failed")
    with pytest.raises(Forbidden):
        requested(app, actor=staff(LEAD, "clerk"))
    again = requested(app, actor=SUPERVISOR)
    assert again.redispatch
    assert again.order_id != delivery.order_id
    book(again, app, waybill_no="SF1400000000009", at=at(90))
    assert app.status == "delivering"
    assert not app.delivery_failed
    move(again, app, "picked_up", "delivered", start=91)
    assert app.status == "completed"


def test_switching_to_pickup_cancels_an_open_order(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    delivery, app = dispatched(catalogue)
    with pytest.raises(Forbidden):
        cancel_for_pickup(app, delivery, actor=COURIER, reason="改自取", at=at(50))
    cancel_for_pickup(app, delivery, actor=SUPERVISOR, reason="申请人要求自取", at=at(50))
    assert app.status == "ready_for_pickup"
    assert delivery.status == "cancelled"
    with pytest.raises(InvalidState):
        record_report(delivery, app, report("picked_up", 51), actor=COURIER)


def test_replaying_a_delivery_rebuilds_it(catalogue: dict[str, ServiceDefinition]) -> None:
    delivery, app = dispatched(catalogue)
    move(delivery, app, "picked_up", "out_for_delivery", "failed")
    replayed: Any = None
    for event in delivery.collect_events():
        replayed = event.mutate(replayed)
    assert replayed == delivery
    assert replayed.attempts == 1


def test_a_deliverys_own_events_notify_nobody(catalogue: dict[str, ServiceDefinition]) -> None:
    # the notification projection picks events by class name; the citizen hears of a delivery
    # through the application's events (DeliveryFailed, Delivered), never twice
    delivery, app = dispatched(catalogue)
    move(delivery, app, "picked_up", "out_for_delivery", "failed", "out_for_delivery")
    move(delivery, app, "delivered", start=70)
    templates = load_templates()
    names = {type(e).__name__ for e in delivery.collect_events()}
    assert names == {
        "DeliveryRequested",
        "DeliveryBooked",
        "DeliveryScanned",
        "DeliveryAttemptFailed",
        "DeliverySignedFor",
    }
    assert all(templates.for_event(name) is None for name in names)
