"""What each event tells the citizen, rendered into its template's fields."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from integrations.wechat.subscribe_fields import kind_of, violation
from projections.notification_messages import MESSAGES, Subject, detail_page, variables
from projections.notification_templates import (
    DEFAULT_TEMPLATES,
    MAX_PER_REQUEST,
    STEPS,
    TemplateConfigError,
    Templates,
    load_templates,
)

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 3, 2, 9, 30, tzinfo=CST)
APP = uuid.UUID("00000000-0000-4000-8000-000000000001")
SUBJECT = Subject(
    id=APP,
    citizen_id=uuid.uuid4(),
    application_id=APP,
    number="20260302-GF00301-000007",
    service="失业保险金申领",
    department="市人力资源和社会保障局",
    pickup_place="市民中心C区社保8号窗口",
    promised_days=3,
    materials={"id-card": "居民身份证", "termination-proof": "解除或终止劳动关系证明"},
)


def render(name: str, **attributes: Any) -> tuple[dict[str, str], str | None]:
    """The data and page the default configuration gives event ``name``."""
    event = SimpleNamespace(timestamp=AT, originator_id=APP, **attributes)
    spec = Templates(DEFAULT_TEMPLATES).for_event(name)
    assert spec is not None
    notice = MESSAGES[name](event, SUBJECT)
    assert notice is not None
    data = spec.render(variables(event, SUBJECT, notice))
    for key, value in data.items():
        assert violation(kind_of(key), value) is None, (key, value)
    return data, notice.page or detail_page(SUBJECT)


def test_accepted_tells_the_promised_time_limit() -> None:
    data, page = render("Accepted", deadline="2026-03-05")

    assert data == {
        "character_string1": "20260302-GF00301-000007",
        "thing2": "失业保险金申领",
        "phrase3": "已受理",
        "time4": "2026年3月2日 09:30",
        "thing5": "承诺3个工作日内办结",
    }
    assert page == f"pages/application/detail?id={APP}"


def test_approval_of_a_free_item_says_the_result_is_being_issued() -> None:
    data, _ = render("Approved", fee=0)

    assert data["phrase3"] == "审批通过"
    assert data["thing4"] == "正在出具办理结果"


def test_approval_with_a_fee_says_payment_is_due_and_how_much() -> None:
    data, _ = render("Approved", fee=20050)

    assert data["phrase3"] == "待缴费"
    assert data["thing4"] == "审批通过，请缴纳200.50元"


def test_a_denial_gives_the_reason_cut_to_fit() -> None:
    reason = "申请人不符合领取失业保险金的条件，缴费不满一年且非因本人意愿中断就业"

    data, _ = render("Denied", department="市人力资源和社会保障局", reason=reason)

    assert data["phrase3"] == "未通过"
    assert data["thing4"] == ("原因：" + reason)[:19] + "…"


def test_a_result_for_pickup_says_where() -> None:
    data, _ = render("ResultIssued", document_no="SY2026-001", method="pickup")

    assert data["phrase3"] == "待领取"
    assert data["thing4"] == "请到市民中心C区社保8号窗口领取"


def test_a_result_by_courier_says_it_will_be_sent() -> None:
    data, _ = render("ResultIssued", document_no="SY2026-001", method="courier")

    assert data["phrase3"] == "待寄送"
    assert data["thing4"] == "办理结果将通过快递寄送"


def test_a_supplement_request_lists_the_missing_materials_by_name() -> None:
    data, _ = render(
        "SupplementRequested", missing=["id-card", "termination-proof"], note="", round=1
    )

    assert data["thing3"] == "请补正：居民身份证、解除或终止劳动关系证明"[:19] + "…"


def test_a_rejection_gives_its_reason() -> None:
    data, _ = render("Rejected", reason="不属于本部门职权范围")

    assert data["phrase3"] == "不予受理"
    assert data["thing4"] == "原因：不属于本部门职权范围"


def test_payment_shows_the_amount() -> None:
    data, _ = render("Paid", amount=20050)

    assert data["amount3"] == "200.50元"


@pytest.mark.parametrize(
    ("name", "status"), [("Delivered", "已签收"), ("DeliveryFailed", "投递失败")]
)
def test_delivery_events_tell_the_delivery_status(name: str, status: str) -> None:
    data, _ = render(name, reason="")

    assert data["phrase3"] == status


def test_an_appointment_links_to_the_appointment_and_shows_its_start() -> None:
    data, page = render(
        "AppointmentBooked",
        citizen_id=SUBJECT.citizen_id,
        hall_name="市民中心",
        start="2026-03-04T10:00:00+08:00",
    )

    assert data == {
        "phrase1": "预约成功",
        "thing2": "市民中心",
        "thing3": "请按时到市民中心办理",
        "time4": "2026年3月4日 10:00",
    }
    assert page == f"pages/appointment/detail?id={APP}"


def test_every_default_template_entry_renders_valid_values() -> None:
    for spec in DEFAULT_TEMPLATES:
        render(spec.event)  # events without their attributes still give valid values


def test_the_configuration_file_replaces_the_built_in_table(tmp_path: Path) -> None:
    path = tmp_path / "templates.json"
    path.write_text(
        json.dumps(
            {
                "templates": [
                    {
                        "event": "Accepted",
                        "templateId": "real-id-1",
                        "title": "受理通知",
                        "longTerm": True,
                        "fields": {"thing1": "service", "phrase2": "status"},
                    }
                ]
            }
        ),
        encoding="utf-8",
    )

    templates = load_templates(path)

    assert [(s.event, s.template_id, s.long_term) for s in templates] == [
        ("Accepted", "real-id-1", True)
    ]
    assert templates.for_event("Approved") is None  # not configured: not notified


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"event": "Exploded"}, "no message is written"),
        ({"fields": {"emoji1": "status"}}, "not a subscribe-message data key"),
        ({"fields": {"thing1": "mood"}}, "choose one of"),
        ({"templateId": ""}, "required"),
    ],
)
def test_a_bad_configuration_is_refused_at_start(
    tmp_path: Path, entry: dict[str, Any], message: str
) -> None:
    base = {"event": "Accepted", "templateId": "t", "title": "受理", "fields": {"thing1": "note"}}
    path = tmp_path / "templates.json"
    path.write_text(json.dumps([base | entry]), encoding="utf-8")

    with pytest.raises(TemplateConfigError, match=message):
        load_templates(path)


def test_a_template_cannot_be_long_term_for_one_event_and_not_another() -> None:
    spec = DEFAULT_TEMPLATES[0]
    other = type(spec)("Approved", spec.template_id, spec.title, spec.fields, not spec.long_term)

    with pytest.raises(TemplateConfigError, match="long-term"):
        Templates([spec, other])


def test_the_waybill_number_is_shown_whole_in_a_character_string_field() -> None:
    waybill = "SF7444444444444444"
    data, _ = render("DeliveryDispatched", waybill_no=waybill, company="sf")

    assert data["character_string4"] == waybill
    assert data["phrase3"] == "已寄出"
    assert not any(value.endswith("…") for value in data.values())


def test_later_delivery_messages_show_the_waybill_the_dispatch_left_with_the_subject() -> None:
    event = SimpleNamespace(timestamp=AT, originator_id=APP, signed_by="")
    spec = Templates(DEFAULT_TEMPLATES).for_event("Delivered")
    assert spec is not None
    subject = msgspec.structs.replace(SUBJECT, waybill="SF1234567890")
    notice = MESSAGES["Delivered"](event, subject)
    assert notice is not None

    assert spec.render(variables(event, subject, notice))["character_string4"] == "SF1234567890"


def test_a_refund_says_how_much_went_back() -> None:
    data, _ = render("Refunded", amount=2000, reason="")

    assert data["amount3"] == "20.00元"
    assert data["thing5"] == "已退还20.00元"


def test_suspension_and_resumption_tell_the_citizen_with_the_new_deadline() -> None:
    suspended, _ = render("Suspended", reason="组织专家评审")
    resumed, _ = render("Resumed", deadline="2026-03-16")

    assert (suspended["phrase3"], suspended["thing5"]) == ("暂停办理", "原因：组织专家评审")
    assert (resumed["phrase3"], resumed["thing5"]) == ("恢复办理", "承诺2026年3月16日前办结")


def test_the_reminder_says_the_appointment_at_the_hall_is_about_to_start() -> None:
    data, _ = render("AppointmentReminder", hall_name="市政务服务中心", start=AT.isoformat())

    assert data["thing3"] == "您在市政务服务中心的预约即将开始"


def test_every_step_asks_for_at_most_three_templates_each_once() -> None:
    templates = Templates(DEFAULT_TEMPLATES)
    asked = {step: [t.template_id for t in templates.for_step(step)] for step in STEPS}

    assert all(0 < len(ids) <= MAX_PER_REQUEST for ids in asked.values())
    assert all(len(set(ids)) == len(ids) for ids in asked.values())
    assert asked["submit"] == [
        "sandbox-tmpl-progress",
        "sandbox-tmpl-supplement",
        "sandbox-tmpl-decision",
    ]
    # every notifying event's template is asked for at some step
    assert {s.template_id for s in DEFAULT_TEMPLATES} == {i for ids in asked.values() for i in ids}


def test_a_configuration_asking_for_four_templates_at_one_step_is_refused() -> None:
    specs = [
        type(DEFAULT_TEMPLATES[0])(event, f"t{i}", "通知", {"thing1": "note"})
        for i, event in enumerate(("Accepted", "Rejected", "Approved", "Denied"))
    ]

    with pytest.raises(TemplateConfigError, match="at most 3"):
        Templates(specs)
