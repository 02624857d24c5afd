"""The contract check: TypeScript types generated from the *served* ``/schema/openapi.json`` with
openapi-typescript, and the reference mini-program client (``client/``, a wx.request adapter and
the citizen journey) compiled against them with ``tsc --strict`` and miniprogram-api-typings.

Node and npm come from Debian (``make contract-deps``, run by ``make test``); the npm packages are
pinned in ``package.json`` / ``package-lock.json`` and installed here when missing."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

from backend.app import create_app
from backend.settings import Settings

HERE = Path(__file__).resolve().parent
BIN = HERE / "node_modules" / ".bin"
GENERATED = HERE / "generated"


def _run(*command: str) -> None:
    done = subprocess.run(  # noqa: S603 - our pinned tools on our own files
        command, cwd=HERE, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def npm_packages() -> Path:
    npm = shutil.which("npm")
    assert npm, "the contract check needs node and npm: run `make contract-deps` (Debian's nodejs)"
    lock = HERE / "package-lock.json"
    stamp = HERE / "node_modules" / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        _run(npm, "ci", "--no-fund", "--no-audit")
    return BIN


@pytest.fixture
async def served(db_url: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    settings = Settings(
        data_dir=tmp_path, database_url=db_url, secret_key="contract-test-secret-key-long-enough"
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        answer = await client.get("/schema/openapi.json")
        assert answer.status_code == 200
        yield answer.json()


async def test_the_served_document_is_valid_and_the_one_built(
    served: dict[str, Any], document: dict[str, Any]
) -> None:
    validate(served)
    assert served["components"] == document["components"]
    for path, item in document["paths"].items():
        assert served["paths"].get(path) == item, path
    assert set(served["paths"]) == set(document["paths"])


async def test_the_reference_client_compiles_strict_against_the_served_document(
    served: dict[str, Any], npm_packages: Path
) -> None:
    GENERATED.mkdir(exist_ok=True)
    (GENERATED / "openapi.json").write_bytes(msgspec.json.encode(served))
    generate = str(npm_packages / "openapi-typescript")
    # a field with a default may be left out of a request body (``fileIds`` beside ``fileId``):
    # openapi-typescript would otherwise type it as always present
    _run(
        generate,
        "generated/openapi.json",
        "-o",
        "generated/api.d.ts",
        "--default-non-nullable=false",
    )
    _run(str(npm_packages / "tsc"), "--strict", "-p", "tsconfig.json")
