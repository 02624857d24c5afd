"""The OpenAPI document of the app (sandbox mode, every route registered), built without a
server: what ``/schema/openapi.json`` serves (the served copy is checked in
``test_typescript_client``)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from backend.app import create_app
from backend.settings import Settings


@pytest.fixture(scope="session")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("openapi"),
        database_url="postgresql://unused/unused",  # the document needs no database
        secret_key="contract-test-secret-key-of-enough-length",
    )
    schema = create_app(settings).openapi_schema.to_schema()
    served: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(schema))  # as JSON has it
    return served


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation."""
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "delete", "patch"}
    ]
