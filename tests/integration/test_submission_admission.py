"""A submission checks against the service item's current version even though each process keeps
the item it last replayed, and a refused submission still draws no application number."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from backend.applications.submission import submit
from backend.auth.tokens import Principal
from backend.bootstrap import bootstrap
from backend.catalog.commands import publish_catalog
from backend.demo_data import demo_catalog
from backend.services import Services
from backend.settings import Settings
from bench.commands import SERVICE, submission
from domain.application import Application, Delivery, MaterialRef
from domain.catalog import service_item_id
from domain.errors import ValidationFailed

SECRET = "admission-test-secret-key-of-32-bytes!!"


def _entry() -> dict[str, Any]:
    return copy.deepcopy(next(e for e in demo_catalog() if e["code"] == SERVICE))


@pytest.fixture
async def two_processes(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[Services, Services]]:
    """Two bootstraps on one database: each has its own pool and its own cache of items."""
    settings = Settings(data_dir=tmp_path, database_url=db_url, secret_key=SECRET)
    async with (
        bootstrap(settings, run_workers=False) as one,
        bootstrap(settings, run_workers=False) as other,
    ):
        await publish_catalog(one, [_entry()])
        yield one, other


async def _citizen_with_file(services: Services) -> tuple[Principal, uuid.UUID]:
    citizen_id, file_id = uuid.uuid4(), uuid.uuid4()
    await services.pool.execute(
        "INSERT INTO files (id, owner_id, sha256, size, content_type) VALUES ($1, $2, $3, 1, 'a')",
        file_id,
        citizen_id,
        "0" * 64,
    )
    return Principal(id=str(citizen_id), role="citizen"), file_id


async def _numbers_drawn(services: Services) -> int:
    return int(
        await services.pool.fetchval("SELECT coalesce(sum(last), 0) FROM application_numbers")
    )


async def test_a_revision_by_another_process_is_what_the_next_submission_is_checked_against(
    two_processes: tuple[Services, Services],
) -> None:
    one, other = two_processes
    citizen, file_id = await _citizen_with_file(one)
    first = await submit(one, citizen, submission(file_id))  # ``one`` now keeps version 1
    revised = _entry()
    revised["name"] = "失业保险金申领（修订）"
    assert await publish_catalog(other, [revised]) == {"published": 0, "revised": 1, "unchanged": 0}

    second = await submit(one, citizen, submission(file_id))

    apps = [await one.repository.get(Application, uuid.UUID(a.body.id)) for a in (first, second)]
    assert [(a.service.version, a.service.name) for a in apps] == [
        (1, "失业保险金申领"),
        (2, "失业保险金申领（修订）"),
    ]
    cached = one.service_items.get(service_item_id(SERVICE))
    assert cached is not None
    assert cached.version == 2


async def test_a_submission_naming_someone_elses_file_is_refused_and_draws_no_number(
    two_processes: tuple[Services, Services],
) -> None:
    one, _ = two_processes
    citizen, _ = await _citizen_with_file(one)
    _, not_theirs = await _citizen_with_file(one)
    command = submission(not_theirs)
    before = await _numbers_drawn(one)

    with pytest.raises(ValidationFailed) as refused:
        await submit(one, citizen, command)

    assert set(refused.value.errors) == {f"materials[{i}].fileId" for i in range(3)}
    assert await _numbers_drawn(one) == before


async def test_a_form_and_a_file_at_fault_come_back_together_and_draw_no_number(
    two_processes: tuple[Services, Services],
) -> None:
    one, _ = two_processes
    citizen, own = await _citizen_with_file(one)
    command = submission(own)
    bad = replace(
        command,
        delivery=Delivery(method="courier"),  # and no address
        materials=(
            *command.materials[:2],
            MaterialRef(material_id="termination-proof", file_id=uuid.uuid4()),
        ),
    )
    before = await _numbers_drawn(one)

    with pytest.raises(ValidationFailed) as refused:
        await submit(one, citizen, bad)

    assert "materials[2].fileId" in refused.value.errors
    assert any(key.startswith("delivery") for key in refused.value.errors), refused.value.errors
    assert await _numbers_drawn(one) == before


async def test_an_unknown_service_is_a_field_error(
    two_processes: tuple[Services, Services],
) -> None:
    one, _ = two_processes
    citizen, own = await _citizen_with_file(one)

    with pytest.raises(ValidationFailed) as refused:
        await submit(one, citizen, replace(submission(own), service_code="XX-99999-000"))

    assert refused.value.errors == {"serviceCode": "没有该事项"}
