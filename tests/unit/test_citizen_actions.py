"""What the applicant may do now (``citizen_actions``): offered exactly when the aggregate
takes the command, so the mini-program shows a button only where it works."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from importlib.resources import files
from typing import Any

import pytest

from domain.application import Application, MaterialRef
from domain.application.citizen import (
    EVALUATION_WINDOW,
    BookingFact,
    citizen_actions,
    open_now,
)
from domain.catalog import ServiceDefinition, parse_definition
from domain.errors import DomainError
from tests.unit.test_application import (
    CALENDAR,
    CITIZEN,
    ID_CARD,
    LEAD,
    POLICE,
    accepted_food_application,
    approve_every_stage,
    at,
    staff,
    submit,
)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, ServiceDefinition]:
    raw: dict[str, Any] = json.loads(
        (files("backend") / "demo" / "catalog.json").read_text(encoding="utf-8")
    )
    return {entry["code"]: parse_definition(entry) for entry in raw["services"]}


CUTOFF = timedelta(hours=2)
ID_CARD_MATERIALS = (
    MaterialRef(material_id="id-card", certificate_id="330106199001010000"),
    MaterialRef(material_id="household-register", certificate_id="HR-1"),
)

# each action the aggregate itself checks, as the citizen's command
COMMANDS: dict[str, Callable[[Application], None]] = {
    "withdraw": lambda app: app.withdraw(actor=CITIZEN, reason="", at=at(500)),
    "pay": lambda app: app.record_payment(
        payment_id="p-1", amount=app.fee, transaction_id="420000", at=at(500)
    ),
    "supplement": lambda app: app.provide_materials(
        actor=CITIZEN,
        materials=tuple(
            MaterialRef(material_id=m, file_id=uuid.uuid4())
            for m in (app.missing or list(app.deferred))
        ),
        calendar=CALENDAR,
        at=at(500),
    ),
    "evaluate": lambda app: app.evaluate(actor=CITIZEN, rating=5, comment="", at=at(500)),
}


def offered(app: Application) -> set[str]:
    return set(citizen_actions(app, needs_appointment=False, booking=None, cancel_cutoff=CUTOFF))


def assert_offered_exactly_what_the_aggregate_takes(app: Application) -> None:
    shown = offered(app)
    for action, command in COMMANDS.items():
        attempt = copy.deepcopy(app)
        try:
            command(attempt)
        except DomainError:
            taken = False
        else:  # a repeated payment notice is taken without effect: not an action
            taken = len(attempt.pending_events) > len(app.pending_events)
        assert taken == (action in shown), (app.status, action, shown)


def paid_id_card(catalogue: dict[str, ServiceDefinition]) -> Application:
    app = submit(catalogue[ID_CARD], situation_id="expired", materials=ID_CARD_MATERIALS)
    app.accept(actor=staff(POLICE, "clerk"), calendar=CALENDAR, at=at(1))
    approve_every_stage(app)
    return app


def test_a_submitted_application_may_be_withdrawn_and_nothing_else(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[ID_CARD], situation_id="expired", materials=ID_CARD_MATERIALS)
    assert offered(app) == {"withdraw"}
    assert_offered_exactly_what_the_aggregate_takes(app)


def test_a_supplement_notice_offers_handing_the_materials_in(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = accepted_food_application(catalogue)
    app.request_supplement(actor=staff(LEAD, "clerk"), missing=["floor-plan"], note="", at=at(2))
    assert offered(app) == {"withdraw", "supplement"}
    assert_offered_exactly_what_the_aggregate_takes(app)


def test_an_assessed_fee_offers_paying_and_after_payment_withdrawing_with_a_refund(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = paid_id_card(catalogue)
    assert app.status == "awaiting_payment"
    assert offered(app) == {"pay"}
    assert_offered_exactly_what_the_aggregate_takes(app)

    COMMANDS["pay"](app)
    assert app.status == "approved"
    assert offered(app) == {"withdraw"}  # paid, result not issued: withdrawing refunds
    assert_offered_exactly_what_the_aggregate_takes(app)


def test_a_finished_case_may_be_evaluated_once_within_the_window(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = paid_id_card(catalogue)
    COMMANDS["pay"](app)
    app.issue_result(actor=staff(POLICE, "clerk"), document_no="SFZ-1", at=at(100))
    app.hand_over(actor=staff(POLICE, "clerk"), at=at(101))
    actions = citizen_actions(app, needs_appointment=False, booking=None, cancel_cutoff=CUTOFF)
    assert actions == {"evaluate": at(101) + EVALUATION_WINDOW}
    assert_offered_exactly_what_the_aggregate_takes(app)
    # the window closes: the read side stops offering it at that moment
    assert open_now(tuple(actions), actions, at(101) + EVALUATION_WINDOW) == ()

    COMMANDS["evaluate"](app)
    assert offered(app) == set()
    assert_offered_exactly_what_the_aggregate_takes(app)


def test_a_visit_is_offered_until_it_is_booked_and_a_booking_is_cancellable_until_the_cutoff(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[ID_CARD], situation_id="expired", materials=ID_CARD_MATERIALS)
    start = at(3000)

    unbooked = citizen_actions(app, needs_appointment=True, booking=None, cancel_cutoff=CUTOFF)
    booked = citizen_actions(
        app, needs_appointment=True, booking=BookingFact("booked", start), cancel_cutoff=CUTOFF
    )
    cancelled = citizen_actions(
        app, needs_appointment=True, booking=BookingFact("cancelled", start), cancel_cutoff=CUTOFF
    )

    assert "book" in unbooked
    assert "book" not in booked
    assert booked["cancelAppointment"] == start - CUTOFF
    assert "book" in cancelled
    assert "cancelAppointment" not in cancelled


def test_a_withdrawn_case_offers_nothing_but_cancelling_its_booking(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[ID_CARD], situation_id="expired", materials=ID_CARD_MATERIALS)
    app.withdraw(actor=CITIZEN, reason="", at=at(5))
    booking = BookingFact("booked", at(3000))
    actions = citizen_actions(app, needs_appointment=True, booking=booking, cancel_cutoff=CUTOFF)
    assert set(actions) == {"cancelAppointment"}
    assert_offered_exactly_what_the_aggregate_takes(app)
