"""docs/errors.md lists every problem code; every refusal a person can cause reads in Chinese."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for d in ("domain", "backend", "integrations") for p in (ROOT / d).rglob("*.py")]
ERRORS = {
    "NotFound",
    "InvalidState",
    "ConflictError",
    "SlotFull",
    "ValidationFailed",
    "Unauthenticated",
    "Forbidden",
    "PayloadTooLarge",
    "QuotaExceeded",
    "UnsupportedMediaType",
    "RateLimited",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _raised_codes() -> set[str]:
    """``code="..."`` given to an error, a class's own ``code = "..."``, ``_ensure_status``'s
    code, and the codes of (code, text) refusals such as the booking window's."""
    codes: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and _name(node) in ERRORS:
                codes |= {
                    k.value.value
                    for k in node.keywords
                    if k.arg == "code" and isinstance(k.value, ast.Constant)
                }
            elif isinstance(node, ast.Call) and _name(node) == "_ensure_status":
                codes.add(ast.literal_eval(node.args[2]))
            elif isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and (b.id in ERRORS or b.id == "DomainError")
                for b in node.bases
            ):
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and isinstance(item.value, ast.Constant)
                        and getattr(item.targets[0], "id", None) == "code"
                    ):
                        codes.add(item.value.value)
            elif isinstance(node, ast.FunctionDef) and (
                "refusal" in node.name or node.name.startswith("check_")
            ):
                codes |= {
                    t.elts[0].value
                    for t in ast.walk(node)
                    if isinstance(t, ast.Tuple)
                    and len(t.elts) == 2
                    and isinstance(t.elts[0], ast.Constant)
                    and isinstance(t.elts[0].value, str)
                    and CJK.search(ast.unparse(t.elts[1]))
                }
    return codes


def _documented() -> set[str]:
    text = (ROOT / "docs" / "errors.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {code for row in rows for code in re.findall(r"`([a-z_]+)`", row.split("|")[1])}


def _literals() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_code_raised_is_in_the_table() -> None:
    missing = _raised_codes() - _documented()
    assert not missing, f"add to docs/errors.md: {sorted(missing)}"


def test_every_code_in_the_table_is_raised_somewhere() -> None:
    stale = _documented() - _literals()
    assert not stale, f"no longer raised, remove from docs/errors.md: {sorted(stale)}"


def test_the_fine_codes_a_mini_program_maps_exist() -> None:
    asked_for = {
        "already_evaluated",
        "evaluation_too_early",
        "no_fee_due",
        "appointment_exists_that_day",
        "outside_booking_window",
        "already_cancelled",
    }
    assert asked_for <= _raised_codes()


def test_every_domain_refusal_has_a_chinese_detail() -> None:
    english: list[str] = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and _name(node) in ERRORS and node.args):
                continue
            detail = node.args[0]
            if isinstance(detail, ast.Constant | ast.JoinedStr) and not CJK.search(
                ast.unparse(detail)
            ):
                english.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            fields = node.args[1] if len(node.args) > 1 else None
            if isinstance(fields, ast.Dict):
                for value in fields.values:
                    if isinstance(value, ast.Constant) and not CJK.search(str(value.value)):
                        english.append(f"{path.relative_to(ROOT)}:{node.lineno} (field)")
    assert not english, english
