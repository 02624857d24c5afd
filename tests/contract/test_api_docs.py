"""docs/api.md and the OpenAPI document name the same operations, and the README links only files
that are in the repository."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.contract.conftest import operations

ROOT = Path(__file__).resolve().parents[2]
OPERATION = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
NAMED_PAGE = re.compile(r"`([\w./-]+\.md)`")  # a page named in code quotes, e.g. `docs/scaling.md`


def test_docs_api_lists_every_operation_of_the_document_and_no_other(
    document: dict[str, Any],
) -> None:
    documented = set(OPERATION.findall((ROOT / "docs" / "api.md").read_text()))
    served = {(method.upper(), path) for method, path, _ in operations(document)}
    assert served - documented == set(), "operations missing from docs/api.md"
    assert documented - served == set(), "docs/api.md names operations the API does not have"


def test_the_readme_and_docs_point_only_at_files_of_the_repository() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # a URL
            assert (page.parent / target).exists(), f"{page.name} links {target}"
    for name in NAMED_PAGE.findall((ROOT / "README.md").read_text()):
        assert (ROOT / name).exists(), f"the README names {name}, which is not in the repository"
