"""The demo catalogue shipped with the backend: every entry parses, and together they exercise
every feature of the catalogue schema the journey needs (fee, courier, appointment, parallel
review, 容缺 materials, e-certificates)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import pytest

from domain.catalog import ServiceDefinition, parse_definition


def _load_raw() -> dict[str, Any]:
    resource = files("backend") / "demo" / "catalog.json"
    raw: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return raw


@pytest.fixture(scope="module")
def catalogue() -> list[ServiceDefinition]:
    return [parse_definition(entry) for entry in _load_raw()["services"]]


def test_demo_catalogue_file_has_version_and_services() -> None:
    raw = _load_raw()
    assert raw["version"] == 1
    assert isinstance(raw["services"], list)


def test_demo_catalogue_has_at_least_six_items(catalogue: list[ServiceDefinition]) -> None:
    assert len(catalogue) >= 6


def test_demo_catalogue_codes_are_unique(catalogue: list[ServiceDefinition]) -> None:
    codes = [item.code for item in catalogue]
    assert len(codes) == len(set(codes))


def test_demo_catalogue_has_a_paid_item(catalogue: list[ServiceDefinition]) -> None:
    assert any(item.fee > 0 for item in catalogue)


def test_demo_catalogue_offers_courier_delivery_for_some_item(
    catalogue: list[ServiceDefinition],
) -> None:
    assert any("courier" in item.delivery_options for item in catalogue)


def test_demo_catalogue_has_an_item_that_needs_an_appointment(
    catalogue: list[ServiceDefinition],
) -> None:
    assert any(item.needs_appointment for item in catalogue)


def test_demo_catalogue_has_a_stage_with_parallel_departments(
    catalogue: list[ServiceDefinition],
) -> None:
    assert any(len(stage) >= 2 for item in catalogue for stage in item.stages)


def test_demo_catalogue_has_items_with_several_situations(
    catalogue: list[ServiceDefinition],
) -> None:
    assert any(len(item.situations) >= 2 for item in catalogue)


def test_demo_catalogue_has_a_deferrable_material(catalogue: list[ServiceDefinition]) -> None:
    assert any(
        material.deferrable
        for item in catalogue
        for situation in item.situations
        for material in situation.materials
    )


def test_demo_catalogue_has_an_optional_material(catalogue: list[ServiceDefinition]) -> None:
    assert any(
        not material.required
        for item in catalogue
        for situation in item.situations
        for material in situation.materials
    )


def test_demo_catalogue_has_a_material_satisfiable_by_an_e_certificate(
    catalogue: list[ServiceDefinition],
) -> None:
    assert any(
        material.certificate_types
        for item in catalogue
        for situation in item.situations
        for material in situation.materials
    )


def test_demo_catalogue_has_two_items_whose_results_are_e_certificates(
    catalogue: list[ServiceDefinition],
) -> None:
    issuing = {item.code for item in catalogue if item.issues_certificate is not None}
    assert len(issuing) >= 2
    assert "QR-00701-000" in issuing  # marriage registration: a 结婚证


def test_three_materials_of_other_items_are_satisfied_by_certificates_onewindow_issues(
    catalogue: list[ServiceDefinition],
) -> None:
    """Let the information travel: what one item issues, others accept without an upload."""
    issued = {
        item.issues_certificate.type_code: item.code
        for item in catalogue
        if item.issues_certificate is not None
    }
    satisfied = [
        (item.code, situation.id, material.id)
        for item in catalogue
        for situation in item.situations
        for material in situation.materials
        if any(t in issued and issued[t] != item.code for t in material.certificate_types)
    ]
    assert len(satisfied) >= 1
    by_certificate = [
        (item.code, material.id)
        for item in catalogue
        for situation in item.situations
        for material in situation.materials
        if material.certificate_types and item.issues_certificate is None
    ]
    assert len(by_certificate) >= 3


def test_demo_items_needing_an_appointment_are_not_online_and_need_one_visit(
    catalogue: list[ServiceDefinition],
) -> None:
    for item in catalogue:
        if item.needs_appointment:
            assert not item.online, item.code
            assert item.max_visits == 1, item.code
        else:
            assert item.max_visits == 0, item.code


def test_demo_items_offering_pickup_name_the_pickup_place(
    catalogue: list[ServiceDefinition],
) -> None:
    for item in catalogue:
        if "pickup" in item.delivery_options:
            assert item.pickup_place, item.code


def test_demo_items_promise_no_more_than_the_legal_time_limit(
    catalogue: list[ServiceDefinition],
) -> None:
    for item in catalogue:
        assert 0 < item.promised_days <= item.legal_days, item.code
