"""One source of truth for a case's state: every path of the workflow, replayed event by event
through the aggregate and through the progress read model's pure handlers (their rows
round-tripped through JSON as PostgreSQL would keep them), agrees after every event on status,
waiting departments, queue, deadline, warnings and "finished"."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib.resources import files
from typing import Any

import msgspec
import pytest

from domain import policies
from domain.actors import Actor, Role
from domain.application import Address, Application, Delivery, MaterialRef
from domain.calendar import CST, WorkingCalendar
from domain.catalog import ServiceDefinition, parse_definition
from domain.numbering import application_number
from domain.payment import Payment
from projections.progress_view import ProgressView, apply_event, started

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=CST)  # a Monday
CALENDAR = WorkingCalendar()
FOOD = "XK-00101-000"  # 市场监管 -> 卫健委 ‖ 消防 -> 市场监管; pickup or courier; 容缺 materials
ID_CARD = "GG-00201-000"  # 公安局; fee 2000 fen; pickup or courier
AMR, HEALTH, FIRE, POLICE = "市市场监督管理局", "市卫生健康委员会", "市消防救援支队", "市公安局"
CITIZEN_ID = uuid.UUID("0b7a4d4e-8a55-4d0b-9d7e-6a1f4f0e0101")
CITIZEN = Actor(id=str(CITIZEN_ID), role="citizen")
SUPERVISOR = Actor(id="supervisor-1", role="supervisor")
ADDRESS = Address(
    name="张三",
    phone="13800138000",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    detail="1号",
)


def staff(department: str, role: Role = "reviewer") -> Actor:
    return Actor(id=f"{role}-{department}", role=role, department=department)


def clerk(department: str) -> Actor:
    return staff(department, "clerk")


@pytest.fixture(scope="module")
def catalogue() -> dict[str, ServiceDefinition]:
    raw: dict[str, Any] = json.loads(
        (files("backend") / "demo" / "catalog.json").read_text(encoding="utf-8")
    )
    return {entry["code"]: parse_definition(entry) for entry in raw["services"]}


def refs(*ids: str) -> tuple[MaterialRef, ...]:
    return tuple(MaterialRef(material_id=i, file_id=uuid.uuid4()) for i in ids)


FOOD_REQUIRED = refs("application-form", "business-licence", "id-card", "floor-plan")
ID_CARD_REQUIRED = refs("id-card", "household-register")


@dataclass
class Case:
    """An application driven through its commands; every event it records is kept."""

    application: Application
    events: list[Any] = field(default_factory=list)
    minutes: int = 0

    def now(self) -> datetime:
        self.minutes += 7
        return T0 + timedelta(minutes=self.minutes)

    def later(self, days: int) -> datetime:
        self.minutes += days * 24 * 60
        return self.now()

    def do(self, command: Callable[[Application, datetime], object]) -> None:
        command(self.application, self.now())
        self.events.extend(self.application.collect_events())


def case_of(
    service: ServiceDefinition, materials: tuple[MaterialRef, ...], method: str = "pickup"
) -> Case:
    delivery = Delivery(method=method, address=ADDRESS if method == "courier" else None)  # type: ignore[arg-type]
    application = Application.submit(
        id=uuid.uuid4(),
        number=application_number(T0.date(), service.code, 1),
        citizen_id=CITIZEN_ID,
        service=service,
        service_version=1,
        situation_id="new" if service.code == FOOD else "expired",
        form={"shopName": "小笼包店"},
        materials=materials,
        delivery=delivery,
        at=T0,
    )
    return Case(application, list(application.collect_events()))


# --- the corpus: every path of the workflow -------------------------------------------------


def parallel_review_to_evaluation_with_rectification(
    catalogue: dict[str, ServiceDefinition],
) -> Case:
    case = case_of(catalogue[FOOD], FOOD_REQUIRED)
    case.do(lambda a, t: a.accept(actor=clerk(AMR), calendar=CALENDAR, at=t))
    case.do(lambda a, t: a.review(actor=staff(AMR), decision="approve", opinion="", at=t))
    case.do(lambda a, t: a.review(actor=staff(FIRE), decision="approve", opinion="", at=t))
    case.do(lambda a, t: a.review(actor=staff(HEALTH), decision="approve", opinion="", at=t))
    case.do(lambda a, t: a.review(actor=staff(AMR), decision="approve", opinion="", at=t))
    case.do(lambda a, t: a.issue_result(actor=clerk(AMR), document_no="JY001", at=t))
    case.do(lambda a, t: a.hand_over(actor=clerk(AMR), at=t))
    case.do(lambda a, t: policies.evaluate(a, actor=CITIZEN, rating=1, comment="太慢", at=t))
    return case


def supplement_before_acceptance_then_deferred_materials(
    catalogue: dict[str, ServiceDefinition],
) -> Case:
    case = case_of(catalogue[FOOD], FOOD_REQUIRED)  # the floor plan is unreadable
    case.do(
        lambda a, t: a.request_supplement(
            actor=clerk(AMR), missing=["floor-plan", "food-safety-rules"], note="请补齐", at=t
        )
    )
    case.do(
        lambda a, t: a.provide_materials(
            actor=CITIZEN, materials=refs("floor-plan"), calendar=CALENDAR, at=t
        )
    )
    case.do(
        lambda a, t: a.provide_materials(
            actor=CITIZEN, materials=refs("food-safety-rules"), calendar=CALENDAR, at=t
        )
    )
    # 容缺: health certificates are still missing, deferred at acceptance
    case.do(lambda a, t: a.accept(actor=clerk(AMR), calendar=CALENDAR, at=t))
    today = case.later(20).date()
    case.do(lambda a, t: a.watch_deadline(today=today, calendar=CALENDAR, at=t))
    case.do(
        lambda a, t: a.provide_materials(
            actor=CITIZEN, materials=refs("health-certificates"), calendar=CALENDAR, at=t
        )
    )
    return case


def supplement_in_review_restarts_the_clock(catalogue: dict[str, ServiceDefinition]) -> Case:
    case = case_of(catalogue[FOOD], FOOD_REQUIRED)
    case.do(lambda a, t: a.accept(actor=clerk(AMR), calendar=CALENDAR, at=t))
    case.do(
        lambda a, t: a.request_supplement(
            actor=staff(AMR), missing=["floor-plan"], note="图纸不清", at=t
        )
    )
    case.do(
        lambda a, t: a.provide_materials(
            actor=CITIZEN, materials=refs("floor-plan"), calendar=CALENDAR, at=t
        )
    )
    case.do(lambda a, t: a.review(actor=staff(AMR), decision="approve", opinion="", at=t))
    return case


def parallel_review_with_a_denial(catalogue: dict[str, ServiceDefinition]) -> Case:
    case = case_of(catalogue[FOOD], FOOD_REQUIRED)
    case.do(lambda a, t: a.accept(actor=clerk(AMR), calendar=CALENDAR, at=t))
    case.do(lambda a, t: a.review(actor=staff(AMR), decision="approve", opinion="", at=t))
    case.do(lambda a, t: a.review(actor=staff(HEALTH), decision="approve", opinion="", at=t))
    case.do(lambda a, t: a.review(actor=staff(FIRE), decision="deny", opinion="消防不合格", at=t))
    case.do(lambda a, t: a.evaluate(actor=CITIZEN, rating=4, comment="", at=t))
    return case


def suspension_and_red_card(catalogue: dict[str, ServiceDefinition]) -> Case:
    case = case_of(catalogue[FOOD], FOOD_REQUIRED)
    case.do(lambda a, t: a.accept(actor=clerk(AMR), calendar=CALENDAR, at=t))
    case.do(lambda a, t: a.suspend(actor=staff(AMR), reason="专家评审", calendar=CALENDAR, at=t))
    case.later(10)
    case.do(lambda a, t: a.resume(actor=staff(AMR), calendar=CALENDAR, at=t))
    today = case.later(40).date()
    case.do(lambda a, t: a.watch_deadline(today=today, calendar=CALENDAR, at=t))
    case.do(lambda a, t: a.escalate(actor=SUPERVISOR, note="请尽快办理", at=t))
    case.do(lambda a, t: a.add_note(actor=staff(AMR), text="已联系申请人", at=t))
    case.do(
        lambda a, t: a.reassign(
            actor=SUPERVISOR, to_department="市行政审批局", reason="职责调整", at=t
        )
    )
    return case


def forced_transitions(catalogue: dict[str, ServiceDefinition]) -> Case:
    case = case_of(catalogue[FOOD], FOOD_REQUIRED)
    case.do(lambda a, t: a.reject(actor=clerk(AMR), reason="材料不全", at=t))
    case.do(
        lambda a, t: a.force_transition(
            actor=SUPERVISOR,
            to_status="accepted",
            reason="驳回有误，重新受理",
            calendar=CALENDAR,
            at=t,
        )
    )
    case.do(lambda a, t: a.review(actor=staff(AMR), decision="deny", opinion="仍不合格", at=t))
    case.do(
        lambda a, t: a.force_transition(
            actor=SUPERVISOR,
            to_status="under_review",
            reason="复核后继续审查",
            calendar=CALENDAR,
            at=t,
        )
    )
    return case


def fee_courier_failure_and_redispatch(catalogue: dict[str, ServiceDefinition]) -> Case:
    case = case_of(catalogue[ID_CARD], ID_CARD_REQUIRED, method="courier")
    police = staff(POLICE)
    case.do(lambda a, t: a.accept(actor=clerk(POLICE), calendar=CALENDAR, at=t))
    case.do(lambda a, t: a.review(actor=police, decision="approve", opinion="", at=t))
    case.do(lambda a, t: a.report_payment_problem(reason="金额不符", at=t))
    case.do(
        lambda a, t: a.record_payment(payment_id="p-1", amount=2000, transaction_id="wx1", at=t)
    )
    case.do(lambda a, t: a.issue_result(actor=clerk(POLICE), document_no="SFZ001", at=t))
    case.do(
        lambda a, t: a.dispatch_delivery(delivery_id="d-1", company="sf", waybill_no="SF1", at=t)
    )
    case.do(lambda a, t: a.record_delivery_step(step="picked_up", location="杭州", note="", at=t))
    case.do(lambda a, t: a.record_delivery_failure(reason="无人", attempts=1, final=False, at=t))
    case.do(lambda a, t: a.record_delivery_failure(reason="拒收", attempts=2, final=True, at=t))
    case.do(
        lambda a, t: a.dispatch_delivery(delivery_id="d-2", company="sf", waybill_no="SF2", at=t)
    )
    case.do(lambda a, t: a.record_delivered(signed_by="张三", at=t))
    return case


def courier_given_up_for_pickup(catalogue: dict[str, ServiceDefinition]) -> Case:
    case = case_of(catalogue[FOOD], FOOD_REQUIRED, method="courier")
    case.do(
        lambda a, t: a.force_transition(
            actor=SUPERVISOR,
            to_status="approved",
            reason="并联审批线下完成",
            calendar=CALENDAR,
            at=t,
        )
    )
    case.do(lambda a, t: a.issue_result(actor=clerk(AMR), document_no="JY002", at=t))
    case.do(
        lambda a, t: a.dispatch_delivery(delivery_id="d-1", company="sf", waybill_no="SF3", at=t)
    )
    case.do(lambda a, t: a.record_delivery_failure(reason="地址错误", attempts=2, final=True, at=t))
    case.do(lambda a, t: a.switch_to_pickup(actor=SUPERVISOR, reason="改为窗口领取", at=t))
    case.do(lambda a, t: a.hand_over(actor=clerk(AMR), at=t))
    return case


def withdrawals(catalogue: dict[str, ServiceDefinition]) -> Case:
    case = case_of(catalogue[ID_CARD], ID_CARD_REQUIRED)
    police = staff(POLICE)
    case.do(lambda a, t: a.accept(actor=clerk(POLICE), calendar=CALENDAR, at=t))
    case.do(lambda a, t: a.review(actor=police, decision="approve", opinion="", at=t))
    case.do(
        lambda a, t: a.record_payment(payment_id="p-1", amount=2000, transaction_id="wx2", at=t)
    )
    payment = Payment.create(
        application_id=case.application.id,
        citizen_id=CITIZEN_ID,
        application_number=case.application.number,
        attempt=1,
        amount=2000,
        description="换领",
        at=T0,
        expires_at=T0 + timedelta(hours=2),
    )
    payment.record_paid(transaction_id="wx2", amount=2000, paid_at="", source="query", at=T0)
    case.do(lambda a, t: policies.withdraw(a, payment, actor=CITIZEN, reason="不办了", at=t))
    case.do(lambda a, t: a.record_refund(payment_id="p-1", amount=2000, reason="撤回退款", at=t))
    assert payment.state == "refunding"
    return case


def withdrawn_before_any_decision(catalogue: dict[str, ServiceDefinition]) -> Case:
    case = case_of(catalogue[FOOD], FOOD_REQUIRED)
    case.do(
        lambda a, t: a.request_supplement(
            actor=clerk(AMR), missing=["id-card", "floor-plan"], note="", at=t
        )
    )
    case.do(lambda a, t: policies.withdraw(a, None, actor=CITIZEN, reason="", at=t))
    return case


CORPUS = [
    parallel_review_to_evaluation_with_rectification,
    supplement_before_acceptance_then_deferred_materials,
    supplement_in_review_restarts_the_clock,
    parallel_review_with_a_denial,
    suspension_and_red_card,
    forced_transitions,
    fee_courier_failure_and_redispatch,
    courier_given_up_for_pickup,
    withdrawals,
    withdrawn_before_any_decision,
]


def as_stored(view: ProgressView) -> ProgressView:
    """The view as the next batch reads it back from its row (JSON columns)."""
    detail = json.loads(msgspec.json.encode(view.detail))
    work = json.loads(msgspec.json.encode(view.work()))
    return ProgressView.restore(detail, work, version=view.version, updated_at=view.updated_at)


def facts(state: Any, today: date) -> dict[str, Any]:
    return {
        "status": state.status,
        "pending": state.pending_departments,
        "departments": state.departments,
        "queue": state.queue,
        "deadline": state.deadline,
        "legal_deadline": state.legal_deadline,
        "deadline_state": state.deadline_state(today, CALENDAR),
        "warnings": state.warnings,
        "closed": state.closed,
        "finished_at": state.finished_at,
        "deferred_due": state.deferred_due,
        "overdue_deferred": state.has_overdue_deferred,
        "supplement_rounds": state.supplement_rounds,
        "escalations": state.escalations,
        "rating": state.rating,
        "paid": state.paid_and_not_issued,
        "payment_problem": state.payment_problem,
        "delivery_failed": state.delivery_failed,
    }


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.__name__)
def test_the_aggregate_and_the_progress_projection_agree_after_every_event(
    path: Callable[[dict[str, ServiceDefinition]], Case],
    catalogue: dict[str, ServiceDefinition],
) -> None:
    case = path(catalogue)
    submitted, *rest = case.events
    assert isinstance(submitted, Application.Submitted)
    replayed: Any = submitted.mutate(None)
    view = started(submitted)
    assert view.detail["status"] == replayed.status == "submitted"
    for event in rest:
        replayed = event.mutate(replayed)
        view = as_stored(view)
        assert apply_event(view, event), f"{type(event).__name__} changed no row"
        today = event.timestamp.date()
        assert facts(view.case, today) == facts(replayed, today), type(event).__name__
        # what the citizen reads follows the same state
        assert view.detail["status"] == replayed.status
        assert view.detail.get("deadline") == replayed.deadline
        assert ("supplement" in view.detail) == (replayed.status == "supplement_requested")
    # and the replay is the aggregate the commands built
    assert facts(replayed, T0.date()) == facts(case.application, T0.date())


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("batch", [1, 2, 3, 100])
def test_refreshing_the_citizens_view_once_per_batch_gives_what_refreshing_every_event_gives(
    path: Callable[[dict[str, ServiceDefinition]], Case],
    catalogue: dict[str, ServiceDefinition],
    batch: int,
) -> None:
    """The projection applies a batch's events without rebuilding the state-derived parts of
    the detail, then rebuilds them once: the row it writes is the row per-event refreshes give,
    whatever the batch boundaries."""
    submitted, *rest = path(catalogue).events
    assert isinstance(submitted, Application.Submitted)
    every, batched = started(submitted), as_stored(started(submitted))
    for start in range(0, len(rest), batch):
        for event in rest[start : start + batch]:
            every = as_stored(every)
            apply_event(every, event)
            apply_event(batched, event, refresh=False)
        batched.refresh()
        batched = as_stored(batched)  # the next batch reads the row back
    assert as_stored(batched).detail == as_stored(every).detail
    assert batched.work() == as_stored(every).work()
    # to the byte: ``detail`` is kept as JSON text, so its keys' order is part of the row
    assert msgspec.json.encode(batched.detail) == msgspec.json.encode(as_stored(every).detail)


def test_the_corpus_walks_every_status_but_none() -> None:
    """The corpus above is the workflow: every status is reached by some path."""
    reached: set[str] = set()
    cat = {
        entry["code"]: parse_definition(entry)
        for entry in json.loads(
            (files("backend") / "demo" / "catalog.json").read_text(encoding="utf-8")
        )["services"]
    }
    for path in CORPUS:
        state: Any = None
        for event in path(cat).events:
            state = event.mutate(state)
            reached.add(state.status)
    assert reached == {
        "submitted",
        "supplement_requested",
        "rejected",
        "accepted",
        "under_review",
        "suspended",
        "approved",
        "denied",
        "awaiting_payment",
        "result_issued",
        "delivering",
        "ready_for_pickup",
        "completed",
        "withdrawn",
    }
