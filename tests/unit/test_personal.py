"""Personal data in the application's events: wrapped as the applicant's, read as plain values,
and ``None`` once erased, without the domain ever touching a key."""

from __future__ import annotations

import msgspec
import pytest
from eventsourcing.domain import Snapshot

from backend.demo_data import demo_catalog
from domain.application import Application, Delivery
from domain.catalog import ServiceDefinition, parse_definition
from domain.personal import Personal
from tests.unit.test_application import CITIZEN_ID, FOOD, courier_address, submit


@pytest.fixture(scope="module")
def food() -> ServiceDefinition:
    return next(parse_definition(e) for e in demo_catalog() if e["code"] == FOOD)


def test_the_form_and_the_courier_address_are_the_applicants_personal_data(
    food: ServiceDefinition,
) -> None:
    app = submit(food, delivery=Delivery(method="courier", address=courier_address()))
    (submitted,) = app.collect_events()
    assert isinstance(submitted, Application.Submitted)
    assert submitted.form == Personal(CITIZEN_ID, {"shopName": "小笼包店"})
    assert submitted.delivery["method"] == "courier"  # in clear: the rules need it
    address = submitted.delivery["address"]
    assert isinstance(address, Personal)
    assert address.owner == CITIZEN_ID
    assert app.delivery.address == courier_address()


def test_an_erased_address_reads_as_none_and_the_method_stays(
    food: ServiceDefinition,
) -> None:
    app = submit(food, delivery=Delivery(method="courier", address=courier_address()))
    app.delivery_record = {**app.delivery_record, "address": Personal.erased_of(CITIZEN_ID)}
    app.form = Personal.erased_of(CITIZEN_ID)
    assert app.delivery == Delivery(method="courier", address=None)
    assert app.form.erased
    assert app.form.reveal({}) == {}


def test_personal_values_never_show_in_a_repr_nor_serialise_by_accident() -> None:
    secret = Personal(CITIZEN_ID, {"idNumber": "110101199003078515"})
    assert "110101199003078515" not in repr(secret)
    assert str(CITIZEN_ID) in repr(secret)
    # a read model or a response that forgot to reveal (or drop) it fails instead of leaking
    with pytest.raises(TypeError):
        msgspec.json.encode({"form": secret})


def test_a_snapshot_taken_before_personal_data_was_sealed_upcasts(
    food: ServiceDefinition,
) -> None:
    app = submit(food, delivery=Delivery(method="courier", address=courier_address()))
    snapshot = Snapshot.take(app)
    state = dict(snapshot.state)
    # the v1 state: plain values, no class version
    state.pop("class_version")
    state["form"] = {"shopName": "小笼包店"}
    state["delivery_record"] = {
        "method": "courier",
        "address": app.delivery_record["address"].value,
    }
    old = Snapshot(
        originator_id=app.id,
        originator_version=app.version,
        timestamp=snapshot.timestamp,
        topic=snapshot.topic,
        state=state,
    )
    restored = old.mutate(None)
    assert isinstance(restored, Application)
    assert restored.form == Personal(CITIZEN_ID, {"shopName": "小笼包店"})
    assert restored.delivery.address == courier_address()
