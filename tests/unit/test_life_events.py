"""Life events (一件事一次办): which items apply given the answers, the merged form filling
each item's own form, materials given once for every item that needs them, and how a bundle
stands when an item is denied."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import pytest

from domain.application import Delivery, MaterialRef
from domain.catalog import ServiceDefinition, parse_definition
from domain.errors import ValidationFailed
from domain.life_events import (
    Bundle,
    BundleItem,
    LifeEventDefinition,
    bundle_state,
    parse_life_event,
    plan_bundle,
)

BIRTH_CERT, HUKOU, INSURANCE = "GG-01001-000", "GG-01101-000", "GF-01201-000"
LICENCE, FOOD, FIRE = "QT-01301-000", "XK-00101-000", "XK-00501-000"
PICKUP = Delivery(method="pickup")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
YES = {"localHukou": "是", "insurance": "是"}
BIRTH_FORM = {
    "childName": "王小明",
    "childGender": "男",
    "birthDate": "2026-11-20",
    "birthPlace": "市第一人民医院",
    "motherName": "李华",
    "householdAddress": "某区某路1号",
    "relation": "子",
    "phone": "13800138000",
}


def _raw() -> dict[str, Any]:
    text = (files("backend") / "demo" / "catalog.json").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return raw


@pytest.fixture(scope="module")
def services() -> dict[str, ServiceDefinition]:
    return {d.code: d for d in map(parse_definition, _raw()["services"])}


@pytest.fixture(scope="module")
def events(services: dict[str, ServiceDefinition]) -> dict[str, LifeEventDefinition]:
    parsed = (parse_life_event(e, services) for e in _raw()["lifeEvents"])
    return {e.code: e for e in parsed}


def _files(*ids: str) -> tuple[MaterialRef, ...]:
    return tuple(
        MaterialRef(material_id=m, file_id=f"00000000-0000-4000-8000-{n:012d}")  # type: ignore[arg-type]
        for n, m in enumerate(ids, 1)
    )


BIRTH_MATERIALS = ("parents-id-cards", "delivery-record", "household-register")


# --- the demo bundles --------------------------------------------------------------------------


def test_birth_bundles_three_items_of_three_departments(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    birth = events["birth"]
    assert birth.name == "出生一件事"
    departments = {services[c].department for c in birth.service_codes}
    assert len(departments) == 3


def test_restaurant_bundle_has_an_item_with_a_parallel_review(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    stages = [s for c in events["restaurant"].service_codes for s in services[c].stages]
    assert any(len(stage) > 1 for stage in stages)


# --- eligibility -------------------------------------------------------------------------------


def test_every_item_applies_when_every_condition_holds(
    events: dict[str, LifeEventDefinition],
) -> None:
    codes = [i.service_code for i in events["birth"].applicable(YES)]
    assert codes == [BIRTH_CERT, HUKOU, INSURANCE]


def test_an_item_whose_condition_fails_does_not_apply(
    events: dict[str, LifeEventDefinition],
) -> None:
    codes = [i.service_code for i in events["birth"].applicable({**YES, "insurance": "否"})]
    assert codes == [BIRTH_CERT, HUKOU]


def test_an_item_that_depends_on_an_item_that_does_not_apply_does_not_apply_either(
    events: dict[str, LifeEventDefinition],
) -> None:
    codes = [i.service_code for i in events["birth"].applicable({**YES, "localHukou": "否"})]
    assert codes == [BIRTH_CERT]


def test_an_answer_not_among_the_options_is_refused_with_its_own_code(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        plan_bundle(
            events["birth"],
            services,
            answers={**YES, "insurance": "也许"},
            form=BIRTH_FORM,
            materials=_files(*BIRTH_MATERIALS),
            delivery=PICKUP,
        )
    assert refused.value.code == "invalid_answers"
    assert set(refused.value.errors) == {"answers.insurance"}


def test_an_unanswered_question_is_refused(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        plan_bundle(
            events["birth"],
            services,
            answers={"localHukou": "是"},
            form=BIRTH_FORM,
            materials=_files(*BIRTH_MATERIALS),
            delivery=PICKUP,
        )
    assert set(refused.value.errors) == {"answers.insurance"}


# --- the merged form ---------------------------------------------------------------------------


def test_a_merged_field_fills_the_field_of_each_item_it_maps_to(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    plans = plan_bundle(
        events["birth"],
        services,
        answers=YES,
        form=BIRTH_FORM,
        materials=_files(*BIRTH_MATERIALS),
        delivery=PICKUP,
    )
    forms = {p.service_code: p.form for p in plans}
    assert forms[INSURANCE] == {
        "childName": "王小明",
        "guardianName": "李华",  # motherName maps to the insurance's guardianName
        "phone": "13800138000",
    }


def test_an_item_gets_only_its_own_fields(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    plans = plan_bundle(
        events["birth"],
        services,
        answers=YES,
        form=BIRTH_FORM,
        materials=_files(*BIRTH_MATERIALS),
        delivery=PICKUP,
    )
    hukou = next(p for p in plans if p.service_code == HUKOU)
    assert set(hukou.form) == {
        "childName",
        "childGender",
        "birthDate",
        "householdAddress",
        "relation",
    }


def test_a_missing_required_merged_field_is_named_by_its_merged_id(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    form = {k: v for k, v in BIRTH_FORM.items() if k != "householdAddress"}
    with pytest.raises(ValidationFailed) as refused:
        plan_bundle(
            events["birth"],
            services,
            answers=YES,
            form=form,
            materials=_files(*BIRTH_MATERIALS),
            delivery=PICKUP,
        )
    assert set(refused.value.errors) == {"form.householdAddress"}


def test_a_required_field_of_an_item_that_does_not_apply_may_be_left_out(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    form = {k: v for k, v in BIRTH_FORM.items() if k not in {"householdAddress", "relation"}}
    plans = plan_bundle(
        events["birth"],
        services,
        answers={"localHukou": "否", "insurance": "否"},
        form=form,
        materials=_files("parents-id-cards", "delivery-record"),
        delivery=PICKUP,
    )
    assert [p.service_code for p in plans] == [BIRTH_CERT]


def test_an_item_check_of_a_field_is_reported_by_the_merged_field_that_fills_it(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        plan_bundle(
            events["birth"],
            services,
            answers=YES,
            form={**BIRTH_FORM, "phone": "12345"},
            materials=_files(*BIRTH_MATERIALS),
            delivery=PICKUP,
        )
    assert refused.value.errors == {"form.phone": "应为11位手机号码"}


def test_a_merged_form_that_leaves_a_required_item_field_unfilled_is_refused_at_load(
    services: dict[str, ServiceDefinition],
) -> None:
    raw = next(e for e in _raw()["lifeEvents"] if e["code"] == "birth")
    broken = {**raw, "form": [f for f in raw["form"] if f["field"] != "relation"]}
    with pytest.raises(ValidationFailed) as refused:
        parse_life_event(broken, services)
    assert f"form.{HUKOU}.relation" in refused.value.errors


def test_an_item_may_depend_on_earlier_items_only(services: dict[str, ServiceDefinition]) -> None:
    raw = next(e for e in _raw()["lifeEvents"] if e["code"] == "birth")
    items = [{**raw["items"][0], "dependsOn": [HUKOU]}, *raw["items"][1:]]
    with pytest.raises(ValidationFailed) as refused:
        parse_life_event({**raw, "items": items}, services)
    assert f"items.{BIRTH_CERT}.dependsOn" in refused.value.errors


# --- materials, once ---------------------------------------------------------------------------


def test_a_material_three_items_need_is_given_once_for_all_three(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    materials = events["birth"].materials(services)
    ids = [m.id for m in materials]
    (cards,) = [m for m in materials if m.id == "parents-id-cards"]
    assert ids.count("parents-id-cards") == 1
    assert cards.for_items == (BIRTH_CERT, HUKOU, INSURANCE)


def test_a_material_an_earlier_items_certificate_stands_for_is_not_asked_of_the_citizen(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    ids = {m.id for m in events["birth"].materials(services)}
    assert "birth-medical-certificate" not in ids  # 出生医学证明: the first item's result


def test_the_later_item_is_planned_to_take_the_earlier_items_certificate(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    plans = plan_bundle(
        events["birth"],
        services,
        answers=YES,
        form=BIRTH_FORM,
        materials=_files(*BIRTH_MATERIALS),
        delivery=PICKUP,
    )
    supplied = {p.service_code: p.supplied for p in plans}
    assert supplied == {
        BIRTH_CERT: {},
        HUKOU: {"birth-medical-certificate": BIRTH_CERT},
        INSURANCE: {"household-register": HUKOU},
    }


def test_each_item_gets_the_shared_material_the_citizen_gave_once(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    plans = plan_bundle(
        events["birth"],
        services,
        answers=YES,
        form=BIRTH_FORM,
        materials=_files(*BIRTH_MATERIALS),
        delivery=PICKUP,
    )
    given = {p.service_code: [m.material_id for m in p.materials] for p in plans}
    assert given == {
        BIRTH_CERT: ["parents-id-cards", "delivery-record"],
        HUKOU: ["parents-id-cards", "household-register"],
        INSURANCE: ["parents-id-cards"],
    }


def test_a_missing_material_is_named_once_by_its_bundle_id(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        plan_bundle(
            events["birth"],
            services,
            answers=YES,
            form=BIRTH_FORM,
            materials=_files("delivery-record", "household-register"),
            delivery=PICKUP,
        )
    assert set(refused.value.errors) == {"materials.parents-id-cards"}


def test_documents_of_the_same_id_but_different_items_are_given_apart(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    forms = [m.id for m in events["restaurant"].materials(services) if "application-form" in m.id]
    assert forms == [f"application-form@{FOOD}", f"application-form@{FIRE}"]


def test_a_material_no_applicable_item_needs_is_refused(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        plan_bundle(
            events["birth"],
            services,
            answers={"localHukou": "否", "insurance": "否"},
            form=BIRTH_FORM,
            materials=_files("parents-id-cards", "delivery-record", "household-register"),
            delivery=PICKUP,
        )
    assert set(refused.value.errors) == {"materials[2]"}


# --- how a bundle stands -----------------------------------------------------------------------


def _items() -> list[BundleItem]:
    def item(code: str, app: str, *deps: str) -> BundleItem:
        return BundleItem(
            service_code=code,
            service_name=code,
            department="d",
            application_id=app,
            number=app,
            situation_id="s",
            depends_on=deps,
        )

    return [item("A", "a"), item("B", "b", "A"), item("C", "c")]


def test_a_dependent_item_waits_while_the_earlier_one_is_under_review() -> None:
    state = bundle_state(_items(), {"a": "under_review", "c": "accepted"}, {})
    assert [(i.status, i.goes_on) for i in state.items] == [
        ("under_review", True),
        ("waiting", True),
        ("accepted", True),
    ]


def test_a_denial_blocks_its_dependents_and_the_citizen_is_told_which_items_go_on() -> None:
    state = bundle_state(_items(), {"a": "denied", "c": "accepted"}, {})
    assert [i.status for i in state.items] == ["denied", "blocked", "accepted"]
    assert state.status == "in_progress"
    assert state.notice == "“A”、“B”未能办理；“C”继续办理"


def test_a_bundle_is_complete_when_every_item_has_its_result() -> None:
    state = bundle_state(
        _items(), {"a": "completed", "b": "ready_for_pickup", "c": "completed"}, {}
    )
    assert state.status == "completed"


def test_a_bundle_where_nothing_goes_on_but_some_item_was_denied_is_ended_not_complete() -> None:
    state = bundle_state(_items(), {"a": "denied", "c": "completed"}, {})
    assert (state.status, state.status_text) == ("ended", "已办结，部分事项未能办理")


# --- the bundle: an item waits, then takes the earlier result's certificate ---------------------


def _bundle(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> Bundle:
    plans = plan_bundle(
        events["birth"],
        services,
        answers=YES,
        form=BIRTH_FORM,
        materials=_files(*BIRTH_MATERIALS),
        delivery=PICKUP,
    )
    items = [
        BundleItem(
            service_code=p.service_code,
            service_name=services[p.service_code].name,
            department=services[p.service_code].department,
            application_id=str(uuid.uuid4()),
            number=f"N{n}",
            situation_id=p.situation_id,
            depends_on=p.depends_on,
            supplied=p.supplied,
        )
        for n, p in enumerate(plans)
    ]
    return Bundle.submit(
        id=uuid.uuid4(),
        number="YJ20261201-000001",
        citizen_id=uuid.uuid4(),
        event=events["birth"],
        answers=YES,
        plans=plans,
        items=items,
        delivery={"method": "pickup", "address": None},
        at=NOW,
    )


def test_no_item_is_ready_before_the_result_it_waits_for(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    assert _bundle(events, services).ready_items() == []


def test_the_earlier_results_certificate_stands_for_the_later_items_material(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    bundle = _bundle(events, services)
    bundle.record_result(BIRTH_CERT, "cert-1", at=NOW)
    (ready,) = bundle.ready_items()
    assert ready.item.service_code == HUKOU
    assert MaterialRef(material_id="birth-medical-certificate", certificate_id="cert-1") in (
        ready.materials
    )
    assert [m.material_id for m in ready.materials if m.file_id] == [
        "parents-id-cards",
        "household-register",
    ]


def test_a_released_item_is_not_ready_again(
    events: dict[str, LifeEventDefinition], services: dict[str, ServiceDefinition]
) -> None:
    bundle = _bundle(events, services)
    bundle.record_result(BIRTH_CERT, "cert-1", at=NOW)
    bundle.release(HUKOU, at=NOW)
    assert bundle.ready_items() == []


def test_a_merged_field_that_fills_no_item_is_refused_at_load(
    services: dict[str, ServiceDefinition],
) -> None:
    raw = next(e for e in _raw()["lifeEvents"] if e["code"] == "birth")
    stray = {"field": "nickname", "label": "小名"}
    with pytest.raises(ValidationFailed) as refused:
        parse_life_event({**raw, "form": [*raw["form"], stray]}, services)
    assert set(refused.value.errors) == {"form.nickname"}
