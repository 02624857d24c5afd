"""The application aggregate (办件), driven through its public commands without a database."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from importlib.resources import files
from typing import Any

import pytest

from domain.actors import Actor, Role
from domain.application import Address, Application, Delivery, MaterialRef
from domain.application.values import material_files
from domain.calendar import WorkingCalendar
from domain.catalog import ServiceDefinition, parse_definition
from domain.errors import InvalidState, NotFound, ValidationFailed
from domain.numbering import application_number

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=CST)

FOOD = "XK-00101-000"  # stages: 市场监管 -> 卫健委 ‖ 消防 -> 市场监管; fee 0; pickup or courier
ID_CARD = "GG-00201-000"  # one stage (公安局); fee 2000 fen
UNEMPLOYMENT = "GF-00301-000"  # pickup only

LEAD = "市市场监督管理局"
HEALTH = "市卫生健康委员会"
FIRE = "市消防救援支队"
POLICE = "市公安局"

CITIZEN_ID = uuid.UUID("0b7a4d4e-8a55-4d0b-9d7e-6a1f4f0e0001")
CITIZEN = Actor(id=str(CITIZEN_ID), role="citizen")
OTHER_CITIZEN = Actor(id=str(uuid.UUID("0b7a4d4e-8a55-4d0b-9d7e-6a1f4f0e0002")), role="citizen")
SUPERVISOR = Actor(id="s-1", role="supervisor")


PAGE = uuid.UUID("0b7a4d4e-8a55-4d0b-9d7e-6a1f4f0e0099")
CALENDAR = WorkingCalendar()  # weekends only: the dates below have no holidays


def staff(department: str, role: Role = "reviewer") -> Actor:
    return Actor(id=f"{role}-{department}", role=role, department=department)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, ServiceDefinition]:
    resource = files("backend") / "demo" / "catalog.json"
    raw: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return {entry["code"]: parse_definition(entry) for entry in raw["services"]}


def food_materials() -> tuple[MaterialRef, ...]:
    """The required, non-deferrable materials of 食品经营许可 / 新办."""
    return (
        MaterialRef(material_id="application-form", file_id=uuid.uuid4()),
        MaterialRef(material_id="business-licence", certificate_id="91330100MA0000000X"),
        MaterialRef(material_id="id-card", file_id=uuid.uuid4()),
        MaterialRef(material_id="floor-plan", file_id=uuid.uuid4()),
    )


def submit(
    service: ServiceDefinition,
    *,
    situation_id: str = "new",
    materials: tuple[MaterialRef, ...] | None = None,
    delivery: Delivery | None = None,
) -> Application:
    return Application.submit(
        id=uuid.uuid4(),
        number=application_number(T0.date(), service.code, 1),
        citizen_id=CITIZEN_ID,
        service=service,
        service_version=1,
        situation_id=situation_id,
        form={"shopName": "小笼包店"},
        materials=food_materials() if materials is None else materials,
        delivery=delivery or Delivery(method="pickup"),
        at=at(0),
    )


def accepted_food_application(catalogue: dict[str, ServiceDefinition]) -> Application:
    app = submit(catalogue[FOOD])
    app.accept(actor=staff(LEAD, "clerk"), calendar=CALENDAR, at=at(1))
    return app


def in_parallel_stage(catalogue: dict[str, ServiceDefinition]) -> Application:
    app = accepted_food_application(catalogue)
    app.review(actor=staff(LEAD), decision="approve", opinion="材料齐全", at=at(2))
    assert app.stage == 1
    return app


def courier_address(**changes: str) -> Address:
    fields = {
        "name": "张三",
        "phone": "13800138000",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "文三路100号",
    }
    fields.update(changes)
    return Address(**fields)


# --- submission ------------------------------------------------------------------------------


def test_submit_pins_the_service_version_and_waits_for_the_lead_department(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[FOOD])
    assert app.status == "submitted"
    assert app.service.code == FOOD
    assert app.service.version == 1
    assert app.service.stages == ((LEAD,), (HEALTH, FIRE), (LEAD,))
    assert app.pending_departments == (LEAD,)
    assert app.created_on == at(0)


def test_submit_refuses_an_unknown_situation(catalogue: dict[str, ServiceDefinition]) -> None:
    with pytest.raises(ValidationFailed) as info:
        submit(catalogue[FOOD], situation_id="no-such-situation")
    assert "situationId" in info.value.errors


def test_submit_lists_each_missing_required_material_but_not_deferrable_or_optional_ones(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    only_the_form = (MaterialRef(material_id="application-form", file_id=uuid.uuid4()),)
    with pytest.raises(ValidationFailed) as info:
        submit(catalogue[FOOD], materials=only_the_form)
    assert set(info.value.errors) == {
        "materials.business-licence",
        "materials.id-card",
        "materials.floor-plan",
    }
    assert "营业执照" in info.value.errors["materials.business-licence"]


def test_submit_accepts_deferrable_materials_given_later(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    # food-safety-rules and health-certificates are 容缺; power-of-attorney is optional
    app = submit(catalogue[FOOD], materials=food_materials())
    assert [m["materialId"] for m in app.materials] == [
        "application-form",
        "business-licence",
        "id-card",
        "floor-plan",
    ]


def test_submit_refuses_a_material_not_in_the_situation(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    materials = (*food_materials(), MaterialRef(material_id="marriage-proof", file_id=uuid.uuid4()))
    with pytest.raises(ValidationFailed) as info:
        submit(catalogue[FOOD], materials=materials)
    assert set(info.value.errors) == {"materials[4]"}


def test_submit_refuses_the_same_material_twice(catalogue: dict[str, ServiceDefinition]) -> None:
    materials = (*food_materials(), MaterialRef(material_id="floor-plan", file_id=uuid.uuid4()))
    with pytest.raises(ValidationFailed) as info:
        submit(catalogue[FOOD], materials=materials)
    assert set(info.value.errors) == {"materials[4]"}


@pytest.mark.parametrize(
    "ref",
    [
        MaterialRef(material_id="floor-plan"),
        MaterialRef(material_id="floor-plan", file_id=uuid.uuid4(), certificate_id="C-1"),
        # the floor plan has no certificate type, so no e-certificate can stand for it
        MaterialRef(material_id="floor-plan", certificate_id="C-1"),
    ],
    ids=["neither", "both", "certificate-not-allowed"],
)
def test_submit_needs_exactly_one_file_or_an_allowed_certificate(
    catalogue: dict[str, ServiceDefinition], ref: MaterialRef
) -> None:
    materials = (*food_materials()[:3], ref)
    with pytest.raises(ValidationFailed) as info:
        submit(catalogue[FOOD], materials=materials)
    assert set(info.value.errors) == {"materials[3]"}


def test_a_material_of_several_pages_is_handed_in_as_several_files_in_page_order(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    pages = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    materials = (*food_materials()[:3], MaterialRef(material_id="floor-plan", file_ids=pages))
    app = submit(catalogue[FOOD], materials=materials)
    floor_plan = next(m for m in app.materials if m["materialId"] == "floor-plan")
    assert material_files(floor_plan) == [str(p) for p in pages]


@pytest.mark.parametrize(
    "ref",
    [
        MaterialRef(material_id="floor-plan", file_id=uuid.uuid4(), file_ids=(uuid.uuid4(),)),
        MaterialRef(material_id="floor-plan", file_ids=tuple(uuid.uuid4() for _ in range(21))),
        MaterialRef(material_id="floor-plan", file_ids=(PAGE, PAGE)),
    ],
    ids=["fileId-and-fileIds", "too-many-pages", "same-page-twice"],
)
def test_the_pages_of_a_material_are_one_list_of_at_most_20_distinct_files(
    catalogue: dict[str, ServiceDefinition], ref: MaterialRef
) -> None:
    with pytest.raises(ValidationFailed) as info:
        submit(catalogue[FOOD], materials=(*food_materials()[:3], ref))
    assert set(info.value.errors) == {"materials[3]"}


def test_submit_accepts_an_e_certificate_for_a_material_with_a_certificate_type(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    materials = (
        MaterialRef(material_id="id-card", certificate_id="330106199001010000"),
        MaterialRef(material_id="household-register", certificate_id="HR-1"),
    )
    app = submit(catalogue[ID_CARD], situation_id="expired", materials=materials)
    assert app.status == "submitted"


def test_submit_refuses_a_delivery_method_the_item_does_not_offer(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    service = catalogue[UNEMPLOYMENT]
    assert service.delivery_options == ("pickup",)
    materials = (
        MaterialRef(material_id="id-card", certificate_id="330106199001010000"),
        MaterialRef(material_id="social-security-card", certificate_id="SS-1"),
        MaterialRef(material_id="termination-proof", file_id=uuid.uuid4()),
    )
    with pytest.raises(ValidationFailed) as info:
        submit(
            service,
            situation_id="self",
            materials=materials,
            delivery=Delivery(method="courier", address=courier_address()),
        )
    assert set(info.value.errors) == {"delivery.method"}


def test_courier_delivery_needs_an_address(catalogue: dict[str, ServiceDefinition]) -> None:
    with pytest.raises(ValidationFailed) as info:
        submit(catalogue[FOOD], delivery=Delivery(method="courier"))
    assert set(info.value.errors) == {"delivery.address"}


def test_courier_address_with_blank_fields_names_each_of_them(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    address = courier_address(name=" ", detail="")
    with pytest.raises(ValidationFailed) as info:
        submit(catalogue[FOOD], delivery=Delivery(method="courier", address=address))
    assert set(info.value.errors) == {"delivery.address.name", "delivery.address.detail"}


@pytest.mark.parametrize(
    "phone", ["1380013800", "138001380001", "23800138000", "1380013800a", "13800138000\n"]
)
def test_courier_address_needs_an_11_digit_mobile_number(
    catalogue: dict[str, ServiceDefinition], phone: str
) -> None:
    address = courier_address(phone=phone)
    with pytest.raises(ValidationFailed) as info:
        submit(catalogue[FOOD], delivery=Delivery(method="courier", address=address))
    assert set(info.value.errors) == {"delivery.address.phone"}


def test_courier_delivery_with_a_full_address_is_accepted(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[FOOD], delivery=Delivery(method="courier", address=courier_address()))
    assert app.delivery.address == courier_address()


# --- acceptance ------------------------------------------------------------------------------


def test_lead_department_accepts_and_the_clock_starts(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = accepted_food_application(catalogue)
    assert app.status == "accepted"
    assert app.deadline == "2026-03-09"
    assert app.pending_departments == (LEAD,)


@pytest.mark.parametrize(
    "actor",
    [staff(HEALTH, "clerk"), staff("市民政局", "clerk"), CITIZEN],
    ids=["department-of-a-later-stage", "unrelated-department", "citizen"],
)
def test_only_the_lead_department_can_accept(
    catalogue: dict[str, ServiceDefinition], actor: Actor
) -> None:
    app = submit(catalogue[FOOD])
    with pytest.raises(NotFound):
        app.accept(actor=actor, calendar=CALENDAR, at=at(1))
    assert app.status == "submitted"


def test_a_supervisor_can_accept_for_the_lead_department(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[FOOD])
    app.accept(actor=SUPERVISOR, calendar=CALENDAR, at=at(1))
    assert app.status == "accepted"


def test_an_application_cannot_be_accepted_twice(catalogue: dict[str, ServiceDefinition]) -> None:
    app = accepted_food_application(catalogue)
    with pytest.raises(InvalidState):
        app.accept(actor=staff(LEAD, "clerk"), calendar=CALENDAR, at=at(2))


def test_review_before_acceptance_is_refused(catalogue: dict[str, ServiceDefinition]) -> None:
    app = submit(catalogue[FOOD])
    with pytest.raises(InvalidState):
        app.review(actor=staff(LEAD), decision="approve", opinion="", at=at(1))


# --- review ----------------------------------------------------------------------------------


def test_a_department_of_a_later_stage_cannot_review_yet(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = accepted_food_application(catalogue)
    # its stage is not reached: the case does not even exist for it yet
    with pytest.raises(NotFound):
        app.review(actor=staff(FIRE), decision="approve", opinion="", at=at(2))


@pytest.mark.parametrize(
    "order", [(HEALTH, FIRE), (FIRE, HEALTH)], ids=["health-first", "fire-first"]
)
def test_a_parallel_stage_completes_only_when_both_departments_approve(
    catalogue: dict[str, ServiceDefinition], order: tuple[str, str]
) -> None:
    app = in_parallel_stage(catalogue)
    assert set(app.pending_departments) == {HEALTH, FIRE}
    first, second = order

    app.review(actor=staff(first), decision="approve", opinion="符合要求", at=at(3))
    assert app.stage == 1
    assert app.pending_departments == (second,)
    assert app.status == "under_review"

    app.review(actor=staff(second), decision="approve", opinion="符合要求", at=at(4))
    assert app.stage == 2
    assert app.pending_departments == (LEAD,)
    assert app.status == "under_review"


def test_the_same_department_cannot_decide_twice_on_a_stage(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = in_parallel_stage(catalogue)
    app.review(actor=staff(HEALTH), decision="approve", opinion="", at=at(3))
    with pytest.raises(InvalidState):
        app.review(actor=staff(HEALTH), decision="deny", opinion="改主意了", at=at(4))
    assert app.pending_departments == (FIRE,)


def test_a_supervisor_reviews_on_behalf_of_a_named_department(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = in_parallel_stage(catalogue)
    app.review(actor=SUPERVISOR, department=FIRE, decision="approve", opinion="", at=at(3))
    assert app.pending_departments == (HEALTH,)


def test_a_denial_needs_a_written_opinion(catalogue: dict[str, ServiceDefinition]) -> None:
    app = in_parallel_stage(catalogue)
    with pytest.raises(ValidationFailed) as info:
        app.review(actor=staff(FIRE), decision="deny", opinion="  ", at=at(3))
    assert set(info.value.errors) == {"opinion"}
    assert app.pending_departments == (HEALTH, FIRE)


def test_one_denial_in_a_parallel_stage_ends_the_application(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = in_parallel_stage(catalogue)
    app.review(actor=staff(HEALTH), decision="approve", opinion="", at=at(3))
    app.review(actor=staff(FIRE), decision="deny", opinion="消防通道不符合要求", at=at(4))
    assert app.status == "denied"
    assert app.pending_departments == ()
    with pytest.raises(InvalidState):
        app.review(actor=staff(LEAD), decision="approve", opinion="", at=at(5))


def approve_every_stage(app: Application, start: int = 10) -> None:
    minute = start
    while app.pending_departments and app.status in ("accepted", "under_review"):
        department = app.pending_departments[0]
        app.review(actor=staff(department), decision="approve", opinion="同意", at=at(minute))
        minute += 1


def test_approval_of_the_last_stage_of_a_free_item_makes_it_approved(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = accepted_food_application(catalogue)
    approve_every_stage(app)
    assert app.status == "approved"
    assert app.stage == 3
    assert app.pending_departments == (LEAD,)  # to issue the result


def test_approval_of_a_paid_item_waits_for_payment(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    materials = (
        MaterialRef(material_id="id-card", certificate_id="330106199001010000"),
        MaterialRef(material_id="household-register", certificate_id="HR-1"),
    )
    app = submit(catalogue[ID_CARD], situation_id="expired", materials=materials)
    app.accept(actor=staff(POLICE, "clerk"), calendar=CALENDAR, at=at(1))
    approve_every_stage(app)
    assert catalogue[ID_CARD].fee == 2000
    assert app.status == "awaiting_payment"
    with pytest.raises(InvalidState):
        app.issue_result(actor=staff(POLICE, "clerk"), document_no="D-1", at=at(30))


# --- result ----------------------------------------------------------------------------------


def test_issuing_the_result_for_pickup_makes_it_ready_for_pickup(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = accepted_food_application(catalogue)
    approve_every_stage(app)
    app.issue_result(actor=staff(LEAD, "clerk"), document_no=" JY13301000000001 ", at=at(30))
    assert app.status == "ready_for_pickup"
    assert app.document_no == "JY13301000000001"


def test_issuing_the_result_for_courier_delivery_waits_for_the_courier(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[FOOD], delivery=Delivery(method="courier", address=courier_address()))
    app.accept(actor=staff(LEAD, "clerk"), calendar=CALENDAR, at=at(1))
    approve_every_stage(app)
    app.issue_result(actor=staff(LEAD, "clerk"), document_no="JY1", at=at(30))
    assert app.status == "result_issued"


def test_only_the_lead_department_issues_the_result(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = accepted_food_application(catalogue)
    approve_every_stage(app)
    with pytest.raises(NotFound):
        app.issue_result(actor=staff(HEALTH, "clerk"), document_no="JY1", at=at(30))
    with pytest.raises(ValidationFailed):
        app.issue_result(actor=staff(LEAD, "clerk"), document_no="  ", at=at(30))
    assert app.status == "approved"


def test_the_result_cannot_be_issued_before_approval(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = in_parallel_stage(catalogue)
    with pytest.raises(InvalidState):
        app.issue_result(actor=staff(LEAD, "clerk"), document_no="JY1", at=at(30))


# --- withdrawal ------------------------------------------------------------------------------


@pytest.mark.parametrize("progress", ["submitted", "accepted", "under_review"])
def test_the_citizen_can_withdraw_before_a_decision(
    catalogue: dict[str, ServiceDefinition], progress: str
) -> None:
    app = submit(catalogue[FOOD])
    if progress != "submitted":
        app.accept(actor=staff(LEAD, "clerk"), calendar=CALENDAR, at=at(1))
    if progress == "under_review":
        app.review(actor=staff(LEAD), decision="approve", opinion="", at=at(2))
    assert app.status == progress
    app.withdraw(actor=CITIZEN, reason="不办了", at=at(5))
    assert app.status == "withdrawn"
    assert app.pending_departments == ()


@pytest.mark.parametrize("outcome", ["approved", "denied", "withdrawn"])
def test_the_citizen_cannot_withdraw_after_a_decision(
    catalogue: dict[str, ServiceDefinition], outcome: str
) -> None:
    app = accepted_food_application(catalogue)
    if outcome == "approved":
        approve_every_stage(app)
    elif outcome == "denied":
        app.review(actor=staff(LEAD), decision="deny", opinion="不符合条件", at=at(2))
    else:
        app.withdraw(actor=CITIZEN, reason="不办了", at=at(2))
    assert app.status == outcome
    with pytest.raises(InvalidState):
        app.withdraw(actor=CITIZEN, reason="不办了", at=at(40))


def test_staff_cannot_withdraw_for_the_citizen(catalogue: dict[str, ServiceDefinition]) -> None:
    app = submit(catalogue[FOOD])
    with pytest.raises(InvalidState):
        app.withdraw(actor=staff(LEAD, "clerk"), reason="", at=at(1))
    assert app.status == "submitted"


# --- visibility ------------------------------------------------------------------------------


def test_a_citizen_cannot_see_or_withdraw_another_citizens_application(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[FOOD])
    app.ensure_visible_to(CITIZEN)
    with pytest.raises(NotFound):
        app.ensure_visible_to(OTHER_CITIZEN)
    with pytest.raises(NotFound):
        app.withdraw(actor=OTHER_CITIZEN, reason="", at=at(1))
    assert app.status == "submitted"


def test_a_department_sees_a_case_from_the_moment_its_stage_is_reached_and_keeps_it(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[FOOD])
    app.ensure_visible_to(staff(LEAD))
    app.ensure_visible_to(SUPERVISOR)
    for later in (HEALTH, FIRE, POLICE):  # waiting at the window: the lead's alone
        with pytest.raises(NotFound):
            app.ensure_visible_to(staff(later))
    app.accept(actor=staff(LEAD, "clerk"), calendar=CALENDAR, at=at(1))
    with pytest.raises(NotFound):
        app.ensure_visible_to(staff(HEALTH))  # stage 1 is not reached yet
    app.review(actor=staff(LEAD), decision="approve", opinion="", at=at(2))
    for department in (HEALTH, FIRE):
        app.ensure_visible_to(staff(department))
    app.review(actor=staff(HEALTH), decision="approve", opinion="", at=at(3))
    app.review(actor=staff(FIRE), decision="approve", opinion="", at=at(4))
    for department in (LEAD, HEALTH, FIRE):  # afterwards too
        app.ensure_visible_to(staff(department))
    with pytest.raises(NotFound):
        app.ensure_visible_to(staff(POLICE))


# --- replay ----------------------------------------------------------------------------------


def test_replaying_the_events_rebuilds_an_equal_application(
    catalogue: dict[str, ServiceDefinition],
) -> None:
    app = submit(catalogue[FOOD], delivery=Delivery(method="courier", address=courier_address()))
    app.accept(actor=staff(LEAD, "clerk"), calendar=CALENDAR, at=at(1))
    approve_every_stage(app)
    app.issue_result(actor=staff(LEAD, "clerk"), document_no="JY1", at=at(30))
    events = app.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Submitted",
        "Accepted",
        "Reviewed",
        "StageCompleted",
        "Reviewed",
        "Reviewed",
        "StageCompleted",
        "Reviewed",
        "StageCompleted",
        "Approved",
        "ResultIssued",
    ]
    assert [e.originator_version for e in events] == list(range(1, 12))

    replayed: Any = None
    for event in events:
        replayed = event.mutate(replayed)

    assert replayed == app
    assert replayed.status == "result_issued"
    assert replayed.version == 11
    assert replayed.modified_on == at(30)


# --- numbering -------------------------------------------------------------------------------


def test_application_number_is_day_compact_code_and_zero_padded_sequence() -> None:
    assert application_number(date(2026, 11, 24), "XK-00123-000", 42) == "20261124-XK00123-000042"
    assert application_number(date(2026, 1, 5), "GG-00201-000", 1) == "20260105-GG00201-000001"


def test_application_number_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        application_number(date(2026, 11, 24), "XK-00123-000", 0)
