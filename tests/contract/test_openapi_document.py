"""The OpenAPI document says what the API does: its errors, who may call what, its names."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate

from tests.contract.conftest import operations

PROBLEM = {"$ref": "#/components/schemas/Problem"}
XML_WEBHOOKS = {"/webhooks/wechat/pay", "/webhooks/wechat/refund"}


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_no_error_answer_has_litestars_default_body(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            for content in (response.get("content") or {}).values():
                properties = content["schema"].get("properties", {})
                assert "status_code" not in properties, f"{method} {path} {status}"


def test_every_error_is_a_problem_json(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
        assert "400" in errors, f"{method} {path}: every request can be refused as invalid"
        for status, response in errors.items():
            if path in XML_WEBHOOKS and status != "413":
                continue  # WeChat Pay reads XML replies
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                f"{method} {path} {status}"
            )


def test_the_problem_schema_is_the_contracts(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert problem["properties"]["errors"]["additionalProperties"] == {"type": "string"}


def test_protected_operations_need_the_bearer_scheme(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    protected = {
        (m, p) for m, p, o in operations(document) if o.get("security") == [{"bearer": []}]
    }
    for method, path, operation in operations(document):
        if (method, path) in protected:
            assert "401" in operation["responses"], f"{method} {path}"
    public = {(m, p) for m, p, _ in operations(document)} - protected
    assert public == {
        ("post", "/api/v1/auth/wechat-login"),
        ("post", "/api/v1/auth/staff-login"),
        ("get", "/api/v1/services"),
        ("get", "/api/v1/services/{code}"),
        ("get", "/api/v1/answers"),
        ("get", "/api/v1/life-events"),
        ("get", "/api/v1/life-events/{code}"),
        ("get", "/api/v1/halls"),
        ("get", "/api/v1/halls/{hallId}/slots"),
        ("get", "/api/v1/halls/{hallId}/open-dates"),
        ("get", "/api/v1/notification-templates"),
        ("post", "/webhooks/wechat/pay"),
        ("post", "/webhooks/wechat/refund"),
        ("post", "/webhooks/courier/{company}"),
        ("get", "/health"),
        ("get", "/ready"),
    }


def test_role_limited_operations_answer_403_and_rate_limited_ones_429(
    document: dict[str, Any],
) -> None:
    by_id = {o["operationId"]: o["responses"] for _, _, o in operations(document)}
    assert "403" in by_id["acceptApplication"]
    assert "403" not in by_id["logout"]  # every role may log out
    assert "429" in by_id["submitApplication"]
    assert by_id["submitApplication"]["429"]["headers"]["Retry-After"]
    assert by_id["bookAppointment"]["503"]["headers"]["Retry-After"]
    assert {"413", "415"} <= set(by_id["uploadFile"])
    assert "409" in by_id["submitApplication"]  # an Idempotency-Key reused with another body
    assert "404" in by_id["getApplication"]


def test_pay_fee_answers_201_for_a_new_order_and_200_for_an_open_one(
    document: dict[str, Any],
) -> None:
    pay = document["paths"]["/api/v1/applications/{applicationId}/payment"]["post"]
    for status in ("200", "201"):
        schema = pay["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/PaymentOrder"}


def test_wechat_pay_webhooks_are_xml_in_and_out(document: dict[str, Any]) -> None:
    for path in XML_WEBHOOKS:
        operation = document["paths"][path]["post"]
        assert list(operation["requestBody"]["content"]) == ["text/xml; charset=utf-8"]
        for status in ("200", "400", "503"):
            assert list(operation["responses"][status]["content"]) == ["text/xml; charset=utf-8"]


def test_every_operation_has_a_description_and_its_own_summary(document: dict[str, Any]) -> None:
    summaries = [o["summary"] for _, _, o in operations(document)]
    assert len(set(summaries)) == len(summaries)
    for method, path, operation in operations(document):
        assert operation.get("description"), f"{method} {path} has no docstring"


def test_schema_names_are_clean_and_unique(document: dict[str, Any]) -> None:
    for name in document["components"]["schemas"]:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name), name
