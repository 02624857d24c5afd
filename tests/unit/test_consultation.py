"""Consultations (咨询) in the domain: the reply clock in working days (2, or 3 after a
forward), yellow and red once per reply period, who answers, follow-ups, closing and rating,
and the citizen's words sealed under their key."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

import pytest

from backend.working_calendar.data import load_calendar
from domain.actors import Actor
from domain.calendar import CST, WorkingCalendar
from domain.catalog import LegalBasis
from domain.consultation import Consultation, overdue_reason, reply_due
from domain.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from domain.personal import Personal

WEEKDAYS = WorkingCalendar()  # weekends only: March 2026 has no holidays
AMR, HEALTH = "市市场监督管理局", "市卫生健康委员会"
CITIZEN_ID = uuid.UUID("6a0c3c1e-0d44-4b1a-9d51-9a3e4c2f0011")
CITIZEN = Actor(id=str(CITIZEN_ID), role="citizen")
OTHER_CITIZEN = Actor(id=str(uuid.uuid4()), role="citizen")
AMR_CLERK = Actor(id="amr-clerk", role="clerk", department=AMR)
HEALTH_CLERK = Actor(id="health-clerk", role="clerk", department=HEALTH)
SUPERVISOR = Actor(id="supervisor", role="supervisor")
DEPARTMENTS = (AMR, HEALTH)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), CST)


def ask(day: str = "2026-03-02", calendar: WorkingCalendar = WEEKDAYS) -> Consultation:
    return Consultation.ask(
        id=uuid.uuid4(),
        number="ZX20260302-000001",
        citizen_id=CITIZEN_ID,
        service_code="XK-00101-000",
        service_name="食品经营许可",
        department=AMR,
        question="开小吃店要办食品经营许可证吗？",
        file_ids=[],
        calendar=calendar,
        at=at(day),
    )


def test_a_question_is_due_two_working_days_later_across_a_weekend() -> None:
    consultation = ask("2026-03-06")  # a Friday
    assert consultation.reply_due == "2026-03-10"  # Monday and Tuesday count


def test_the_reply_clock_skips_national_day_and_counts_make_up_workdays() -> None:
    calendar = load_calendar()
    # 2026: 1-7 October off; asked on Wednesday 30 September
    assert reply_due(date(2026, 9, 30), calendar, forwarded=False) == date(2026, 10, 9)
    assert ask("2026-09-30", calendar).reply_due == "2026-10-09"


def test_a_forward_gives_three_working_days_counted_from_the_question() -> None:
    consultation = ask("2026-03-02")  # Monday: due Wednesday
    consultation.forward(
        actor=AMR_CLERK,
        department=HEALTH,
        reason="涉及从业人员健康证明，由卫健委答复",
        departments=DEPARTMENTS,
        calendar=WEEKDAYS,
        at=at("2026-03-03"),
    )
    assert consultation.department == HEALTH
    assert consultation.reply_due == "2026-03-05"  # Thursday: three after Monday, not Tuesday


def test_forwarding_it_back_does_not_restart_the_citizens_wait() -> None:
    consultation = ask("2026-03-02")
    for actor, to, day in ((AMR_CLERK, HEALTH, "2026-03-03"), (HEALTH_CLERK, AMR, "2026-03-04")):
        consultation.forward(
            actor=actor,
            department=to,
            reason="转办",
            departments=DEPARTMENTS,
            calendar=WEEKDAYS,
            at=at(day),
        )
    assert consultation.reply_due == "2026-03-05"


def test_only_the_holding_department_answers_and_others_do_not_see_the_question() -> None:
    consultation = ask()
    with pytest.raises(NotFound):
        consultation.reply(actor=HEALTH_CLERK, text="答复", legal_basis=None, at=at("2026-03-02"))
    with pytest.raises(NotFound):
        consultation.ensure_visible_to(OTHER_CITIZEN)
    with pytest.raises(Forbidden):  # supervisors see it and may forward, but do not answer
        consultation.reply(actor=SUPERVISOR, text="答复", legal_basis=None, at=at("2026-03-02"))


def test_a_reply_records_its_legal_basis_and_whether_it_was_in_time() -> None:
    consultation = ask("2026-03-02")
    basis = LegalBasis(name="《中华人民共和国食品安全法》", number="第三十五条")
    consultation.reply(actor=AMR_CLERK, text="需要办理。", legal_basis=basis, at=at("2026-03-05"))
    (replied,) = [e for e in consultation.collect_events() if isinstance(e, Consultation.Replied)]
    assert replied.legal_basis == {"name": "《中华人民共和国食品安全法》", "number": "第三十五条"}
    assert replied.on_time is False  # due Wednesday, answered Thursday
    assert consultation.status == "answered"
    assert consultation.reply_due is None


def test_yellow_then_red_once_each_and_a_follow_up_after_a_reply_starts_a_new_period() -> None:
    consultation = ask("2026-03-02")  # due Wednesday 4 March

    def watch(day: str) -> list[str]:
        consultation.watch_deadline(today=date.fromisoformat(day), calendar=WEEKDAYS, at=at(day))
        return [
            e.level
            for e in consultation.collect_events()
            if isinstance(e, Consultation.DeadlineWarning)
        ]

    watch("2026-03-02")  # two working days left: nothing yet
    assert watch("2026-03-03") == ["yellow"]
    assert watch("2026-03-04") == []  # still yellow, recorded once
    assert watch("2026-03-05") == ["red"]
    assert watch("2026-03-06") == []
    consultation.reply(actor=AMR_CLERK, text="需要办理。", legal_basis=None, at=at("2026-03-06"))
    consultation.follow_up(
        actor=CITIZEN, text="健康证几人办？", file_ids=[], calendar=WEEKDAYS, at=at("2026-03-09")
    )
    assert consultation.status == "open"
    assert consultation.reply_due == "2026-03-11"
    assert watch("2026-03-10") == ["yellow"]


def test_a_follow_up_before_the_reply_keeps_the_deadline() -> None:
    consultation = ask("2026-03-02")
    consultation.follow_up(
        actor=CITIZEN, text="店面20平米", file_ids=[], calendar=WEEKDAYS, at=at("2026-03-03")
    )
    assert consultation.reply_due == "2026-03-04"
    with pytest.raises(Forbidden):
        consultation.follow_up(
            actor=AMR_CLERK, text="x", file_ids=[], calendar=WEEKDAYS, at=at("2026-03-03")
        )


def test_an_answered_thread_is_not_forwarded_and_a_closed_one_takes_nothing_more() -> None:
    consultation = ask()
    consultation.reply(actor=AMR_CLERK, text="需要办理。", legal_basis=None, at=at("2026-03-02"))
    with pytest.raises(InvalidState):
        consultation.forward(
            actor=AMR_CLERK,
            department=HEALTH,
            reason="转办",
            departments=DEPARTMENTS,
            calendar=WEEKDAYS,
            at=at("2026-03-02"),
        )
    with pytest.raises(ValidationFailed):
        consultation.close(actor=CITIZEN, rating=6, at=at("2026-03-03"))
    consultation.close(actor=CITIZEN, rating=5, at=at("2026-03-03"))
    assert (consultation.status, consultation.rating) == ("closed", 5)
    with pytest.raises(InvalidState):
        consultation.follow_up(
            actor=CITIZEN, text="还有一个问题", file_ids=[], calendar=WEEKDAYS, at=at("2026-03-04")
        )
    with pytest.raises(InvalidState):
        consultation.reply(actor=AMR_CLERK, text="补充", legal_basis=None, at=at("2026-03-04"))


def test_forwarding_needs_a_known_other_department_and_a_reason() -> None:
    consultation = ask()
    for department, reason in ((AMR, "转办"), ("市不存在局", "转办"), (HEALTH, " ")):
        with pytest.raises(ValidationFailed):
            consultation.forward(
                actor=AMR_CLERK,
                department=department,
                reason=reason,
                departments=DEPARTMENTS,
                calendar=WEEKDAYS,
                at=at("2026-03-02"),
            )


def test_empty_or_overlong_messages_and_too_many_images_are_refused() -> None:
    for question, files in (("  ", []), ("问" * 1001, []), ("问题", [str(i) for i in range(10)])):
        with pytest.raises(ValidationFailed):
            Consultation.ask(
                id=uuid.uuid4(),
                number="ZX20260302-000002",
                citizen_id=CITIZEN_ID,
                service_code="XK-00101-000",
                service_name="食品经营许可",
                department=AMR,
                question=question,
                file_ids=files,
                calendar=WEEKDAYS,
                at=at("2026-03-02"),
            )


def test_every_text_of_the_thread_is_sealed_under_the_citizens_key() -> None:
    consultation = ask()
    consultation.reply(actor=AMR_CLERK, text="需要办理", legal_basis=None, at=at("2026-03-02"))
    consultation.follow_up(
        actor=CITIZEN, text="谢谢", file_ids=[], calendar=WEEKDAYS, at=at("2026-03-02")
    )
    texts = [
        getattr(e, name)
        for e in consultation.collect_events()
        for name in ("question", "text", "reason")
        if hasattr(e, name)
    ]
    assert len(texts) == 3
    assert all(isinstance(t, Personal) and t.owner == CITIZEN_ID for t in texts)


def test_an_overdue_consultation_is_explained_in_working_days() -> None:
    due = date(2026, 3, 4)
    assert overdue_reason(due, date(2026, 3, 4), WEEKDAYS) is None
    assert overdue_reason(due, date(2026, 3, 9), WEEKDAYS) == (
        "咨询已超过答复期限2026-03-04，逾期3个工作日未答复"
    )
